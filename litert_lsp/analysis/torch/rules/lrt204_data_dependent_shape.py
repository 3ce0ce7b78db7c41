"""LRT204: an op whose output size depends on tensor values (nonzero, unique, one-argument
torch.where, repeat_interleave with tensor repeats, ...) and that the knowledge base does
not already judge.

Why: torch.export and LiteRT need static shapes.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from litert_lsp.analysis.torch.rules import lrt10x_kb_status as kb_status
from litert_lsp.analysis.torch.values import DATA_DEPENDENT_FUNCTIONS, DATA_DEPENDENT_METHODS, TENSOR
from litert_lsp.core import codes

if TYPE_CHECKING:
    from litert_lsp.analysis.torch.context import TraceContext

CODE = codes.LRT204


def message(subject: str) -> str:
    """`subject` is how the op is shown: "`torch.nonzero`" or a longer label."""
    return (
        f"{subject} returns a tensor whose size depends on the input's values: torch.export and "
        "LiteRT need static shapes, so it cannot be exported or converted. Instead: use "
        "fixed-size formulations (torch.where(mask, a, b), a mask multiply, topk with a fixed k)."
    )


# ---- hooks -------------------------------------------------------------------------------------


def _report(ctx: TraceContext, node: ast.Call, op: str, label: str | None = None) -> None:
    ctx.report(node, CODE.code, message(label or f"`{op}`"), op=op)


def on_library_call(ctx: TraceContext, node: ast.Call, name: str) -> bool:
    if name == "torch.where" and len(node.args) == 1 and not node.keywords:
        # Claimed even though the knowledge base knows torch.where: it measured the
        # three-argument form.
        _report(ctx, node, name, "`torch.where(condition)` (one argument)")
        return True
    one_argument_repeat = name == "torch.repeat_interleave" and len(node.args) == 1 and not node.keywords
    if (name in DATA_DEPENDENT_FUNCTIONS or one_argument_repeat) and kb_status.lookup(name) is None:
        _report(ctx, node, name)
        return True
    return False


def on_tensor_method(ctx: TraceContext, node: ast.Call, method: str) -> bool:
    tensor_repeats = method == "repeat_interleave" and node.args and ctx.kind_of_known(node.args[0]) == TENSOR
    if not (method in DATA_DEPENDENT_METHODS or tensor_repeats):
        return False
    op, entry = kb_status.method_entry(method)
    if entry is not None:
        return False  # measured: the knowledge-base rule reports it
    _report(ctx, node, op)
    return True
