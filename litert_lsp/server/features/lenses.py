"""Code lenses: the server asks every feature for its lenses (the export feature has some).

Lenses appear only when a feature returns some, so nothing shows while the export commands
are unavailable.
"""

from __future__ import annotations

from lsprotocol import types

# Imported at run time: pygls reads handlers' annotations with get_type_hints.
from litert_lsp.server.app import Feature, LitertServer


def _register(server: LitertServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_CODE_LENS)
    def code_lens(ls: LitertServer, params: types.CodeLensParams) -> list[types.CodeLens] | None:
        uri = params.text_document.uri
        if ls.open_document(uri) is None:
            return None
        return [lens for offered in ls.each("lenses", uri) for lens in offered]


class LensesFeature(Feature):
    """textDocument/codeLens: the lenses every feature offers for a document."""

    def register(self) -> None:
        _register(self.server)
