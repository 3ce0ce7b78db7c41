"""LRT203: indexing (or assigning) with a boolean mask.

Why: `x[mask]` has as many elements as the mask has true values, a size torch.export and
LiteRT cannot know ahead of time (the lowering fails).
"""

from __future__ import annotations

from litert_lsp.core import codes

CODE = codes.LRT203


def message() -> str:
    return (
        "Boolean-mask indexing gives a tensor whose size depends on the mask's values; "
        "torch.export and LiteRT need static shapes (the lowering fails). Instead: keep the "
        "shape with torch.where(mask, x, fill) or x * mask."
    )
