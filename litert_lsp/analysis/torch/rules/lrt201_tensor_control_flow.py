"""LRT201: Python control flow on a tensor value.

Why: torch.export traces one path through Python code; a branch that depends on tensor data
needs the value at trace time (GuardOnDataDependentSymNode), so the model cannot be exported.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from litert_lsp.analysis.torch.values import TENSOR, Kind
from litert_lsp.core import codes

if TYPE_CHECKING:
    from litert_lsp.analysis.torch.context import TraceContext

CODE = codes.LRT201


def branch_message(construct: str) -> str:
    """`if`/`while`/`assert`/`and`/`or`/`not`/comprehension tests on a tensor."""
    return (
        f"Python {construct} on a tensor value: torch.export cannot trace a branch that "
        "depends on tensor data, so the model cannot be exported. Instead: compute both "
        "sides and select with torch.where(...), or use torch.cond; checks on shapes "
        "(x.shape, x.size(0), x.dim()) are fine."
    )


def bool_message() -> str:
    """`bool(tensor)`."""
    return (
        "`bool()` of a tensor value needs its data at trace time: torch.export "
        "cannot trace it, so the model cannot be exported. Instead: keep it a "
        "tensor and select with torch.where(...)."
    )


def any_all_message(builtin: str) -> str:
    """Python's `any(tensor)` / `all(tensor)`."""
    return (
        f"Python `{builtin}()` over a tensor tests each element's value: torch.export "
        f"cannot trace it. Instead: use the tensor method `.{builtin}()` and keep the "
        "result a tensor."
    )


# ---- hooks -------------------------------------------------------------------------------------


def on_condition(ctx: TraceContext, node: ast.expr, construct: str, kind: Kind | None) -> None:
    """`node` is used as a Python truth value: only a tensor's truth needs its data."""
    if kind == TENSOR:
        ctx.report(node, CODE.code, branch_message(construct))


def on_builtin_call(ctx: TraceContext, node: ast.Call, name: str, first: Kind | None) -> None:
    """`bool(x)`, `any(x)`, `all(x)` on a tensor."""
    if first != TENSOR:
        return
    if name == "bool":
        ctx.report(node, CODE.code, bool_message())
    elif name in ("any", "all"):
        ctx.report(node, CODE.code, any_all_message(name))
