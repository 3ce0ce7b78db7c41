"""The JSON-RPC/LSP protocol layer: pygls' protocol with the fixes this server needs."""

from __future__ import annotations

import logging
from collections.abc import Generator
from typing import Any
from urllib.parse import unquote

from lsprotocol import types
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from litert_lsp.core.text import apply_change

log = logging.getLogger("litert_lsp.server")


class LitertProtocol(LanguageServerProtocol):
    """pygls' protocol with document sync that survives anything a client sends."""

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(
        self, params: types.DidChangeTextDocumentParams
    ) -> Generator[Any, Any, None]:
        # pygls raises KeyError for a change to a document that was never opened and splits
        # lines with str.splitlines (which breaks on \x0c, \u2028, ...): apply edits ourselves
        # with the protocol's line rules.
        uri = params.text_document.uri
        document = self.workspace.text_documents.get(unquote(uri))
        if document is None:
            log.warning("ignoring a change to %s, which is not open", uri)
            return
        encoding = str(self.workspace.position_encoding or "utf-16")
        text = document.source
        for change in params.content_changes:
            if isinstance(change, types.TextDocumentContentChangePartial):
                start, end = change.range.start, change.range.end
                text = apply_change(
                    text, (start.line, start.character), (end.line, end.character), change.text, encoding
                )
            else:
                text = change.text
        document._source = text
        document.version = params.text_document.version
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None
