"""LRT203: indexing (or assigning) with a boolean mask.

Why: `x[mask]` has as many elements as the mask has true values, a size torch.export and
LiteRT cannot know ahead of time (the lowering fails).
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from litert_lsp.analysis.torch.values import MAYBE, TENSOR, Kind
from litert_lsp.core import codes

if TYPE_CHECKING:
    from litert_lsp.analysis.torch.context import TraceContext

CODE = codes.LRT203


def message() -> str:
    return (
        "Boolean-mask indexing gives a tensor whose size depends on the mask's values; "
        "torch.export and LiteRT need static shapes (the lowering fails). Instead: keep the "
        "shape with torch.where(mask, x, fill) or x * mask."
    )


# ---- hooks -------------------------------------------------------------------------------------


def on_subscript(ctx: TraceContext, node: ast.Subscript, base: Kind | None) -> None:
    """`x[mask]` read or assigned, where `x` may be a tensor and the index is a mask."""
    if base in (TENSOR, MAYBE) and ctx.is_mask(node.slice):
        ctx.report(node, CODE.code, message())
