"""LRT101..LRT106: what the knowledge base measured for a torch op or layer.

Why: each op was exported, lowered, run and compared by a probe (tools/probes/); an op that
fails one of those layers fails the same way in the user's model. The verdict and its text
come from `analysis/torch/kb_verdict.py` (which variant the call's literal arguments pick).

This rule runs after the specific ones (LRT2xx): a call they claim is not looked up.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from litert_lsp import kb
from litert_lsp.analysis.torch import kb_verdict
from litert_lsp.analysis.torch.values import NON_TENSOR_METHODS, VALUE_BOOL_METHODS
from litert_lsp.core.codes import TORCH_STATUS_CODES

if TYPE_CHECKING:
    from litert_lsp.analysis.torch.context import TraceContext

CODES = tuple(TORCH_STATUS_CODES.values())


def lookup(name: str) -> kb.Entry | None:
    """The measured entry of a qualified torch name (module attribute, so tests can swap it)."""
    return kb_verdict.lookup(name)


def method_entry(method: str) -> tuple[str, kb.Entry | None]:
    """The op a tensor method is measured as: `torch.Tensor.<m>`, else the function form
    `torch.<m>` (`x.add_` -> `torch.add`), and its entry."""
    op = f"torch.Tensor.{method}"
    entry = lookup(op)
    if entry is None and not method.startswith("_"):
        fallback = f"torch.{method.rstrip('_')}"
        entry = lookup(fallback)
        if entry is not None:
            op = fallback
    return op, entry


# ---- hooks -------------------------------------------------------------------------------------


def on_library_call(ctx: TraceContext, node: ast.Call, name: str) -> bool:
    entry = lookup(name)
    if entry is None:
        return False
    _report(ctx, node, entry, name, method=False, receiver=False)
    return True


def on_tensor_method(ctx: TraceContext, node: ast.Call, method: str) -> bool:
    if method in VALUE_BOOL_METHODS or method in NON_TENSOR_METHODS:
        return False  # gives a Python value, not an op of the graph
    if method == "type" and not node.args and not node.keywords:
        return False  # x.type(): the type name
    op, entry = method_entry(method)
    if entry is None:
        return False
    _report(ctx, node, entry, op, method=op.startswith("torch.Tensor."), receiver=True)
    return True


def on_layer(ctx: TraceContext, node: ast.Call, name: str) -> bool:
    """A torch.nn layer constructor (in __init__ or forward): its measured verdict."""
    entry = lookup(name)
    if entry is None and ".modules." in name:
        name = "torch.nn." + name.rsplit(".", 1)[-1]
        entry = lookup(name)
    if entry is None:
        return False
    _report(ctx, node, entry, name, method=False, receiver=False)
    return True


def _report(ctx: TraceContext, node: ast.Call, entry: kb.Entry, op: str, method: bool, receiver: bool) -> None:
    # Only a conditional entry's variants can depend on the call site (outputs used, rank).
    site = ctx.call_site(node, receiver) if entry.status == "conditional" else None
    operands = None
    if entry.status == "conditional" and kb_verdict.has_operand_variants(entry):
        operands = _operands(ctx, node, entry, receiver)
    found = kb_verdict.verdict(entry, op, node, method, site, operands)
    if found is not None:
        ctx.report(node, found.code, found.message, op=op, status=found.status,
                   data=found.data, severity=found.severity)


def _operands(ctx: TraceContext, node: ast.Call, entry: kb.Entry, receiver: bool) -> list[str | None] | None:
    """The kind of each positional operand of the call (the receiver first for a method):
    `torch.div(t, 2, ...)` is ["tensor", "scalar"]. Keywords go to their parameter's place."""
    items: list[ast.expr] = list(node.args)
    if receiver and isinstance(node.func, ast.Attribute):
        items.insert(0, node.func.value)
    if any(isinstance(item, ast.Starred) for item in items):
        return None
    kinds = [ctx.operand_kind(item) for item in items]
    params = list(entry.get("params") or [])
    if params and params[0] == "self":
        params[0] = "input"
    for keyword in node.keywords:
        if keyword.arg in params:
            index = params.index(keyword.arg)
            kinds.extend([None] * (index + 1 - len(kinds)))
            kinds[index] = ctx.operand_kind(keyword.value)
    return kinds
