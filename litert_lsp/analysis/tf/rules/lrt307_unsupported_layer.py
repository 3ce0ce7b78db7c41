"""LRT307: a Keras layer measured not to convert (or not to run / match).

Why: as LRT302, for a whole layer: its ops are not all taken by LiteRT.
"""

from __future__ import annotations

from litert_lsp.core import codes

CODE = codes.LRT307


INSTEAD = ("Instead: use a layer option measured to work (the hover lists them), or build the same "
           "computation from layers LiteRT takes.")


def message(subject: str, what: str) -> str:
    return f"Keras layer {subject} {what}. {INSTEAD}"
