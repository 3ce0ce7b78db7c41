"""Code lenses: the server asks each registered provider (the export features add theirs).

Lenses appear only when a provider returns some, so nothing shows while the export commands
are unavailable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from litert_lsp.server.app import LitertServer


def register(server: LitertServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_CODE_LENS)
    def code_lens(ls: LitertServer, params: types.CodeLensParams) -> list[types.CodeLens] | None:
        uri = params.text_document.uri
        if ls.open_document(uri) is None:
            return None
        lenses: list[types.CodeLens] = []
        for provider in list(ls.lens_providers):
            try:
                lenses.extend(provider(ls, uri) or [])
            except Exception:
                ls.log.exception("code lens provider %r failed on %s", provider, uri)
        return lenses
