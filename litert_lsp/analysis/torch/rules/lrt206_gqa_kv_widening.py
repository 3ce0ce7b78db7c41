"""LRT206: grouped-query attention whose K/V heads are widened to the query heads.

Why: the idiom probe (`python -m tools.probes.torch_idioms`, data in
`kb/data/torch_idioms.json`) builds a minimal attention with fewer KV heads than query heads
from separate K and V projections. Widening K and V to the query heads before attention, in
every common spelling (expand+reshape as transformers' `repeat_kv`, `.repeat`,
`repeat_interleave`, SDPA `enable_gqa=True`, explicit matmul-softmax after widening), converts
and runs with numbers that differ from PyTorch; with as many KV heads as query heads, or K and
V the same tensor, it is exact, and so is attention that lets the matmul broadcast the KV head.
No single op's probe shows this: each op alone converts correctly.

What is recognized, at the widening's line:
- `F.scaled_dot_product_attention(..., enable_gqa=True)`;
- `t.repeat_interleave(n, dim=1)` (or `torch.repeat_interleave`), `t.repeat(1, n, 1, 1)`,
  and `t[:, :, None].expand(b, h, n, s, d).reshape(b, h * n, s, d)` (the `repeat_kv` shape),
  when the widened tensor reaches attention in the function (SDPA, `@`, `matmul`, `einsum`)
  or is the function's result (a `repeat_kv`-like helper).
The message carries the measured errors; the broadcast rewrite is offered only when the
probe verified it.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from litert_lsp.core import codes
from litert_lsp.kb import idioms

if TYPE_CHECKING:
    from litert_lsp.analysis.torch.context import TraceContext
    from litert_lsp.analysis.torch.usage import FunctionUsage

CODE = codes.LRT206.code
IDIOM = "gqa_kv_widening"
_SDPA = "torch.nn.functional.scaled_dot_product_attention"
_ATTENTION_CALLS = frozenset({"scaled_dot_product_attention", "matmul", "einsum", "bmm", "baddbmm"})
_HOPS = 3  # assignments followed from the widening to attention (`k = k.transpose(1, 2)`)


def message(spelling: str) -> str | None:
    """The finding's text from the measured idiom; None when it was not measured as failing."""
    record = idioms.idiom(IDIOM)
    if not record or record.get("status") in (None, "supported"):
        return None
    shapes = "fewer KV heads than query heads"
    failing = record.get("failing_spellings") or []
    widening = [s for s in record.get("spellings", []) if s.get("role") == "widening"]
    errors = record.get("rel_to_scale_error_range")
    measured = f"{len(failing)} of {len(widening)} widening spellings probed"
    if errors:
        measured += f" differ by {errors[0]:.2g} to {errors[1]:.2g} of the output's scale"
    controls = [s["label"] for s in record.get("spellings", []) if s.get("role") == "control" and s.get("status") == "supported"]
    exact = " (exact with as many KV heads as query heads, or K and V the same tensor)" if controls else ""
    text = (f"Grouped-query attention with K/V widened to the query heads ({spelling}) converts and runs, "
            f"but LiteRT's numbers differ from PyTorch with {shapes}: {measured}{exact}.")
    rewrite = idioms.verified_rewrite(record)
    if rewrite:
        error = rewrite.get("rel_to_scale_error")
        verified = f" (verified through litert-torch and LiteRT: error {error:.1g} of the output's scale)" if error is not None else ""
        return f"{text} Instead: {rewrite['description']}{verified}."
    return f"{text} Instead: keep as many KV heads as query heads, or check the converted model's numbers."


# ---- hooks -------------------------------------------------------------------------------------


def on_library_call(ctx: TraceContext, node: ast.Call, name: str) -> bool:
    if name == _SDPA:
        if any(k.arg == "enable_gqa" and isinstance(k.value, ast.Constant) and k.value.value is True
               for k in node.keywords):
            return _report(ctx, node, "`scaled_dot_product_attention(..., enable_gqa=True)`")
        return False
    if name == "torch.repeat_interleave" and _widens_heads_dim(node, first_is_input=True):
        return _report_if_attention(ctx, node, "`repeat_interleave` over the head dimension")
    return False


def on_tensor_method(ctx: TraceContext, node: ast.Call, method: str) -> bool:
    if method == "repeat_interleave" and _widens_heads_dim(node, first_is_input=False):
        return _report_if_attention(ctx, node, "`repeat_interleave` over the head dimension")
    if method == "repeat" and _repeats_heads(node):
        return _report_if_attention(ctx, node, "`.repeat` over the head dimension")
    if method in ("reshape", "view") and _merges_expanded_heads(ctx, node):
        return _report_if_attention(ctx, node, "expand+reshape, as `repeat_kv`", returned=True)
    return False


# ---- recognizing the widening ----------------------------------------------------------------


def _widens_heads_dim(node: ast.Call, first_is_input: bool) -> bool:
    """`repeat_interleave(n, dim=1)` on a (batch, heads, tokens, head_dim) tensor."""
    dim = next((k.value for k in node.keywords if k.arg == "dim"), None)
    positional = node.args[2 if first_is_input else 1:]
    if dim is None and positional:
        dim = positional[0]
    return _int(dim) in (1, -3)


def _repeats_heads(node: ast.Call) -> bool:
    """`t.repeat(1, n, 1, 1)`: only the head dimension of a 4-D tensor repeated."""
    args = node.args
    if len(args) == 1 and isinstance(args[0], (ast.Tuple, ast.List)):
        args = list(args[0].elts)
    if len(args) != 4 or node.keywords:
        return False
    return all(_int(a) == 1 for a in (args[0], args[2], args[3])) and _int(args[1]) != 1


def _merges_expanded_heads(ctx: TraceContext, node: ast.Call) -> bool:
    """`x.reshape(b, h * n, s, d)` of `x[:, :, None].expand(b, h, n, s, d)`: a new axis after
    the heads, expanded, then merged into them."""
    if len(node.args) != 4 or node.keywords:
        return False
    receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
    usage = ctx.function_usage()
    if isinstance(receiver, ast.Name) and usage is not None:
        receiver = usage.last_value(receiver.id, node.lineno)
    if not (isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Attribute)
            and receiver.func.attr == "expand" and len(receiver.args) == 5):
        return False
    source = receiver.func.value
    if isinstance(source, ast.Subscript) and isinstance(source.slice, ast.Tuple):
        items = source.slice.elts
        return len(items) >= 3 and _is_none(items[2]) and not any(_is_none(i) for i in items[:2])
    if isinstance(source, ast.Call) and isinstance(source.func, ast.Attribute) and source.func.attr == "unsqueeze":
        return len(source.args) == 1 and _int(source.args[0]) == 2
    return False


def _report_if_attention(ctx: TraceContext, node: ast.Call, spelling: str, returned: bool = False) -> bool:
    usage = ctx.function_usage()
    if usage is None or not _reaches_attention(usage, node, _HOPS, returned):
        return False
    return _report(ctx, node, spelling)


def _reaches_attention(usage: FunctionUsage, expr: ast.AST, hops: int, returned: bool = False) -> bool:
    """Whether the value of `expr` is an operand of attention in its function (SDPA, `@`,
    `matmul`, ...), through method chains (`.transpose(1, 2)`) and plain assignments; any other
    use (arithmetic, a layer) ends the search. With `returned`, the function's result counts
    too: only for the expand+reshape shape of a `repeat_kv` helper, which nothing but K/V
    widening spells (a `repeat_interleave` that is returned upsamples tokens as often: Funnel)."""
    node = expr
    while True:
        parent = usage.parent(node)
        if parent is None:
            return False
        if _is_attention(parent):
            return True
        if isinstance(parent, ast.Return) or (isinstance(parent, ast.Tuple) and isinstance(usage.parent(parent), ast.Return)):
            return returned
        if isinstance(parent, ast.Assign):
            if hops <= 0:
                return False
            names = [t.id for t in parent.targets if isinstance(t, ast.Name)]
            return any(_reaches_attention(usage, load, hops - 1, returned)
                       for name in names for load in usage.reads_after(name, parent.lineno))
        if isinstance(parent, ast.Attribute) and parent.value is node:
            call = usage.parent(parent)
            if isinstance(call, ast.Call) and call.func is parent:
                node = call  # a method of the widened tensor: its result carries it on
                continue
        return False


def _is_attention(node: ast.AST) -> bool:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
        return True
    if isinstance(node, ast.Call):
        func = node.func
        last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        return last in _ATTENTION_CALLS
    return False


def _report(ctx: TraceContext, node: ast.Call, spelling: str) -> bool:
    text = message(spelling)
    if text is None:
        return False
    ctx.report(node, CODE, text, op=IDIOM, status="wrong_numbers")
    return True


def _int(node: ast.expr | None) -> int | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _int(node.operand)
        return -inner if inner is not None else None
    return None


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None
