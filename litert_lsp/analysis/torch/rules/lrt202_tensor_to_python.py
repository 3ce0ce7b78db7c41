"""LRT202: a tensor handed to Python (`.item()`, `.tolist()`, `.numpy()`, `int(x)`).

Why: torch.export cannot trace past a Python value taken from a tensor; at best the value
is frozen into the graph as a constant.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from litert_lsp.analysis.torch.values import TENSOR, TO_PYTHON_BUILTINS, TO_PYTHON_METHODS, Kind
from litert_lsp.core import codes

if TYPE_CHECKING:
    from litert_lsp.analysis.torch.context import TraceContext

CODE = codes.LRT202


def message(what: str) -> str:
    """`what` is the construct as written: `.item()`, `int()`."""
    return (
        f"`{what}` turns a tensor into a Python value: torch.export cannot trace past it, so "
        "the model cannot be exported (or the value is frozen as a constant). Instead: keep "
        "the value a tensor and use tensor ops, or compute it outside the model."
    )


def op(what: str) -> str | None:
    """The op a method form names (`torch.Tensor.item`); builtins name none."""
    return f"torch.Tensor.{what.strip('.()')}" if what.startswith(".") else None


# ---- hooks -------------------------------------------------------------------------------------


def _report(ctx: TraceContext, node: ast.Call, what: str) -> None:
    ctx.report(node, CODE.code, message(what), op=op(what))


def on_builtin_call(ctx: TraceContext, node: ast.Call, name: str, first: Kind | None) -> None:
    """`int(x)` / `float(x)` / `complex(x)` of a tensor."""
    if name in TO_PYTHON_BUILTINS and first == TENSOR:
        _report(ctx, node, f"{name}()")


def on_tensor_method(ctx: TraceContext, node: ast.Call, method: str) -> bool:
    """`x.item()` on a known tensor."""
    if method in TO_PYTHON_METHODS:
        _report(ctx, node, f".{method}()")
        return True
    return False


def on_untyped_method(ctx: TraceContext, node: ast.Call, method: str, receiver: ast.expr) -> bool:
    """`.item()` / `.numpy()` on a receiver of unknown kind: they exist on tensors, and in
    traced code the receiver is one (`.tolist()` is common on lists, so it is left alone)."""
    if method in TO_PYTHON_METHODS and method != "tolist" and not _visibly_not_tensor(receiver):
        _report(ctx, node, f".{method}()")
        return True
    return False


def _visibly_not_tensor(node: ast.expr) -> bool:
    return isinstance(node, (ast.Constant, ast.JoinedStr, ast.Dict, ast.List)) or (
        isinstance(node, ast.Attribute) and node.attr in ("shape", "dtype", "device")
    )
