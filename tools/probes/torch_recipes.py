"""Probe recipes for PyTorch: how to call each public entry point with typical arguments.

A recipe says only HOW to call an op (shapes, dtypes, value ranges, keyword arguments);
whether the call converts is measured by `torch_probe`. Ops are grouped in families that
share argument builders (unary elementwise, binary, reductions, pooling, conv, ...). Names
that the installed torch does not have are dropped at enumeration time, and each
`torch.X` recipe whose first argument is a tensor also yields the `torch.Tensor.X` method.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from tools.probes.torch_spec import Recipe, T, Variant

# ---- specs ---------------------------------------------------------------------------


def make_tensor(spec: T, generator: torch.Generator) -> torch.Tensor:
    dtype = getattr(torch, spec.dtype)
    shape = spec.shape
    domain = spec.domain
    if spec.values is not None:
        return torch.tensor(spec.values, dtype=torch.float64).reshape(shape).to(dtype)
    if domain == "bool":
        return torch.rand(shape, generator=generator) > 0.5
    if domain.startswith("idx:"):
        return torch.randint(0, int(domain[4:]), shape, generator=generator).to(dtype)
    if domain == "int":
        return torch.randint(-8, 9, shape, generator=generator).to(dtype)
    if domain == "posint":
        return torch.randint(1, 9, shape, generator=generator).to(dtype)
    base = torch.rand(shape, generator=generator, dtype=torch.float32)
    if domain == "pos":
        value = base * 2.0 + 0.1
    elif domain == "gt1":
        value = base * 2.0 + 1.1
    elif domain == "unit":
        value = base * 1.8 - 0.9
    elif domain == "prob":
        value = base * 0.9 + 0.05
    elif domain == "nonzero":
        value = (base + 0.5) * torch.where(torch.rand(shape, generator=generator) > 0.5, 1.0, -1.0)
    elif domain == "spd":  # symmetric positive definite batch of matrices
        m = torch.randn(shape, generator=generator)
        value = m @ m.transpose(-1, -2) + shape[-1] * torch.eye(shape[-1])
    else:
        value = torch.randn(shape, generator=generator)
    return value.to(dtype)


# ---- shorthands -------------------------------------------------------------------------

X4 = T((2, 3, 8, 8))
X2 = T((4, 16))
V = Variant


def _u(domain: str = "normal") -> list[Variant]:
    return [V("4-D float32", (T((2, 3, 8, 8), domain=domain),))]


def _binary(domain_a: str = "normal", domain_b: str = "normal", ints: bool = False) -> list[Variant]:
    out = [
        V("same shape float32", (T((2, 3, 8, 8), domain=domain_a), T((2, 3, 8, 8), domain=domain_b))),
        V("broadcast float32", (T((2, 3, 8, 8), domain=domain_a), T((8,), domain=domain_b))),
    ]
    if ints:
        out.append(V("int32", (T((2, 3, 8, 8), "int32", domain_a if domain_a in ("int", "posint") else "int"),
                               T((2, 3, 8, 8), "int32", "posint"))))
    return out


def _reduce(full: bool = True, domain: str = "normal", dtype: str = "float32") -> list[Variant]:
    x = T((2, 3, 8, 8), dtype, domain)
    out = [V("dim=1", (x,), {"dim": 1}), V("dim=-1 keepdim", (x,), {"dim": -1, "keepdim": True})]
    if full:
        out.insert(0, V("all elements", (x,)))
    return out


REGISTRY: dict[str, tuple[str, list[Variant]]] = {}  # name -> (kind, variants)


def add(name: str, variants: list[Variant], kind: str | None = None) -> None:
    REGISTRY[name] = (kind or ("layer" if name.rsplit(".", maxsplit=1)[-1][:1].isupper() else "function"), variants)


def many(prefix: str, names: str, variants: Callable[[], list[Variant]]) -> None:
    for short in names.split():
        add(f"{prefix}.{short}", variants())


# ---- torch.* elementwise ------------------------------------------------------------------

many("torch", "abs absolute neg negative exp sin cos tanh sigmoid relu ceil floor round trunc fix sign sgn "
     "square erf erfc atan arctan asinh arcsinh sinh cosh expm1 exp2 frac positive deg2rad rad2deg "
     "nan_to_num isnan isinf isfinite isneginf isposinf isreal signbit sinc i0 angle conj clone "
     "logical_not selu celu rrelu hardshrink", _u)
many("torch", "sqrt rsqrt log log2 log10 log1p lgamma digamma", lambda: _u("pos"))
many("torch", "tan asin arcsin acos arccos atanh arctanh erfinv", lambda: _u("unit"))
many("torch", "logit", lambda: _u("prob"))
many("torch", "acosh arccosh", lambda: _u("gt1"))
many("torch", "reciprocal", lambda: _u("nonzero"))
for _name in ["abs", "neg", "sign", "square"]:
    REGISTRY[f"torch.{_name}"][1].append(V("int32", (T((2, 3, 8, 8), "int32", "int"),)))
add("torch.bitwise_not", [V("int32", (T((2, 3, 8, 8), "int32", "int"),))])
add("torch.logical_not", [V("bool", (T((2, 3, 8, 8), "bool", "bool"),)), V("float32", (X4,))])
add("torch.round", [V("4-D float32", (X4,)), V("decimals=2", (X4,), {"decimals": 2})])
add("torch.clamp", [V("min/max floats", (X4,), {"min": -0.5, "max": 0.5}),
                    V("min only", (X4,), {"min": 0.0}),
                    V("tensor bounds", (X4, T((8,), const=True), T((8,), domain="gt1", const=True)))])
add("torch.clip", [V("min/max floats", (X4,), {"min": -0.5, "max": 0.5})])
add("torch.clamp_min", [V("float", (X4, 0.1))])
add("torch.clamp_max", [V("float", (X4, 0.1))])
add("torch.polygamma", [V("n=1", (1, T((2, 3, 8, 8), domain="pos")))])
add("torch.mvlgamma", [V("p=1", (T((2, 3, 8, 8), domain="gt1"),), {"p": 1})])
add("torch.threshold", [V("0.1 -> 0", (X4, 0.1, 0.0))])
add("torch.float_power", [V("float", (T((2, 3, 8, 8), domain="pos"), 2.0))])

many("torch", "add sub subtract mul multiply maximum minimum fmax fmin eq ne lt le gt ge greater less "
     "greater_equal less_equal not_equal rsub", lambda: _binary(ints=True))
many("torch", "div divide true_divide", lambda: _binary(domain_b="nonzero"))
many("torch", "floor_divide remainder fmod", lambda: _binary(domain_b="nonzero", ints=True))
many("torch", "atan2 arctan2 hypot copysign logaddexp logaddexp2 nextafter heaviside xlogy", _binary)
add("torch.pow", [V("tensor ** tensor", (T((2, 3, 8, 8), domain="pos"), T((2, 3, 8, 8)))),
                  V("tensor ** 2", (X4, 2)), V("tensor ** 0.5", (T((2, 3, 8, 8), domain="pos"), 0.5)),
                  V("int32 ** 2", (T((2, 3, 8, 8), "int32", "int"), 2))])
add("torch.add", _binary(ints=True) + [V("alpha=2", (X4, X4), {"alpha": 2})])
add("torch.div", _binary(domain_b="nonzero")
    + [V("rounding_mode=floor", (X4, T((2, 3, 8, 8), domain="nonzero")), {"rounding_mode": "floor"}),
       V("rounding_mode=trunc", (X4, T((2, 3, 8, 8), domain="nonzero")), {"rounding_mode": "trunc"})])
many("torch", "logical_and logical_or logical_xor",
     lambda: [V("bool", (T((2, 3, 8, 8), "bool", "bool"), T((2, 3, 8, 8), "bool", "bool")))])
many("torch", "bitwise_and bitwise_or bitwise_xor",
     lambda: [V("int32", (T((2, 3, 8, 8), "int32", "int"), T((2, 3, 8, 8), "int32", "int")))])
many("torch", "bitwise_left_shift bitwise_right_shift",
     lambda: [V("int32", (T((2, 3, 8, 8), "int32", "posint"), T((2, 3, 8, 8), "int32", "idx:3")))])

# Operand kinds. The same op can lower differently for a plain-number operand than for a
# tensor one (`torch.div(t, 2, rounding_mode="floor")` vs a tensor divisor), so the ops that
# fail or are conditional with tensor operands are also probed with a Python scalar second
# operand, and with constant operands only (weights, as a tensor built from static values in
# forward is): whether the converter folds a failing op away is measured, not assumed. Each
# variant's operand kinds are recorded (`operands` in the data file) and the analyzer picks
# the variant from the call site's operands.
_CONST_A = T((2, 3, 8, 8), const=True)
_CONST_B = T((2, 3, 8, 8), domain="nonzero", const=True)
for _name in ["torch.div", "torch.divide"]:
    REGISTRY[_name][1].extend([
        V("scalar divisor", (X4, 2)),
        V("rounding_mode=floor, scalar divisor", (X4, 2), {"rounding_mode": "floor"}),
        V("rounding_mode=trunc, scalar divisor", (X4, 2), {"rounding_mode": "trunc"}),
        V("rounding_mode=floor, constant tensors", (_CONST_A, _CONST_B), {"rounding_mode": "floor"}),
    ])
REGISTRY["torch.divide"][1].extend([
    V("rounding_mode=floor", (X4, T((2, 3, 8, 8), domain="nonzero")), {"rounding_mode": "floor"}),
])
REGISTRY["torch.floor_divide"][1].extend([
    V("scalar divisor", (X4, 2)), V("int32, scalar divisor", (T((2, 3, 8, 8), "int32", "int"), 2)),
    V("constant tensors", (_CONST_A, _CONST_B)),
])
for _name in ["torch.bitwise_and", "torch.bitwise_or"]:
    REGISTRY[_name][1].extend([
        V("int32, scalar", (T((2, 3, 8, 8), "int32", "int"), 3)),
        V("int32, constant tensors", (T((2, 3, 8, 8), "int32", "int", const=True),
                                      T((2, 3, 8, 8), "int32", "int", const=True))),
    ])
for _name in ["torch.bitwise_left_shift", "torch.bitwise_right_shift"]:
    REGISTRY[_name][1].extend([
        V("int32, scalar shift", (T((2, 3, 8, 8), "int32", "posint"), 2)),
        V("int32, constant tensors", (T((2, 3, 8, 8), "int32", "posint", const=True),
                                      T((2, 3, 8, 8), "int32", "idx:3", const=True))),
    ])
REGISTRY["torch.copysign"][1].extend([V("scalar sign", (X4, -1.0)), V("constant tensors", (_CONST_A, _CONST_B))])
add("torch.lerp", [V("float weight", (X4, X4, 0.3)), V("tensor weight", (X4, X4, T((2, 3, 8, 8), domain="prob")))])
add("torch.addcmul", [V("value=0.5", (X4, X4, X4), {"value": 0.5})])
add("torch.addcdiv", [V("value=0.5", (X4, X4, T((2, 3, 8, 8), domain="nonzero")), {"value": 0.5})])
add("torch.where", [V("cond, x, y", (T((2, 3, 8, 8), "bool", "bool"), X4, X4)),
                    V("cond, x, scalar", (T((2, 3, 8, 8), "bool", "bool"), X4, 0.0)),
                    V("single argument", (T((2, 3, 8, 8), "bool", "bool"),))])
add("torch.masked_fill", [V("bool mask, 0.0", (X4, T((2, 3, 8, 8), "bool", "bool"), 0.0))])
add("torch.isclose", [V("float32", (X4, X4))])
add("torch.isin", [V("int32 elements in const set", (T((2, 3, 8, 8), "int32", "int"),
                                                    T((5,), "int32", "int", const=True)))])

# ---- reductions and scans -------------------------------------------------------------------

many("torch", "sum mean prod amax amin nansum nanmean", _reduce)
add("torch.logsumexp", _reduce(full=False))
many("torch", "std var std_mean var_mean", lambda: _reduce() + [V("dim=1 correction=0", (X4,), {"dim": 1, "correction": 0})])
many("torch", "argmax argmin", _reduce)
for _name in ("max", "min"):
    add(f"torch.{_name}", [V("all elements", (X4,)), V("dim=1 (values, indices)", (X4,), {"dim": 1}),
                           V("dim=1 values only", (X4,), {"dim": 1}, outputs_used=(0,)),
                           V("dim=1 indices only", (X4,), {"dim": 1}, outputs_used=(1,)),
                           V("elementwise with tensor", (X4, X4))])
add("torch.aminmax", [V("all elements", (X4,)), V("dim=1", (X4,), {"dim": 1})])
many("torch", "all any", lambda: [V("all elements bool", (T((2, 3, 8, 8), "bool", "bool"),)),
                                  V("dim=1 bool", (T((2, 3, 8, 8), "bool", "bool"),), {"dim": 1})])
add("torch.count_nonzero", [V("all elements", (T((2, 3, 8, 8), "int32", "int"),)),
                            V("dim=1", (T((2, 3, 8, 8), "int32", "int"),), {"dim": 1})])
many("torch", "median nanmedian", lambda: [V("all elements", (X4,)), V("dim=1", (X4,), {"dim": 1})])
add("torch.mode", [V("dim=-1 int32", (T((2, 3, 8, 8), "int32", "idx:4"),), {"dim": -1})])
many("torch", "cumsum cumprod logcumsumexp cummax cummin",
     lambda: [V("dim=1 4-D", (X4,), {"dim": 1}), V("dim=-1 2-D", (X2,), {"dim": -1})])
add("torch.cumsum", [V("dim=1 4-D", (X4,), {"dim": 1}), V("dim=-1 2-D", (X2,), {"dim": -1}),
                     V("dim=-1 int32", (T((4, 16), "int32", "int"),), {"dim": -1})])
add("torch.sort", [V("dim=-1", (X4,), {"dim": -1}), V("descending dim=1", (X4,), {"dim": 1, "descending": True}),
                   V("dim=-1 values only", (X4,), {"dim": -1}, outputs_used=(0,)),
                   V("dim=-1 indices only", (X4,), {"dim": -1}, outputs_used=(1,))])
add("torch.argsort", [V("dim=-1", (X4,), {"dim": -1}), V("descending dim=1", (X4,), {"dim": 1, "descending": True})])
add("torch.msort", [V("4-D", (X4,))])
# Multi-output ops are probed by which outputs the graph uses: values alone lower differently.
add("torch.topk", [V("k=3 last dim (values, indices)", (X4, 3)),
                   V("k=3 last dim values only", (X4, 3), outputs_used=(0,)),
                   V("k=3 last dim indices only", (X4, 3), outputs_used=(1,)),
                   V("k=2 dim=1 (values, indices)", (X4, 2), {"dim": 1}),
                   V("k=2 dim=1 values only", (X4, 2), {"dim": 1}, outputs_used=(0,)),
                   V("k=2 dim=1 smallest (values, indices)", (X4, 2), {"dim": 1, "largest": False}),
                   V("k=2 dim=1 smallest values only", (X4, 2), {"dim": 1, "largest": False}, outputs_used=(0,))])
add("torch.kthvalue", [V("k=3 last dim", (X4, 3))])
add("torch.quantile", [V("q=0.3 dim=-1", (X4, 0.3), {"dim": -1})])
add("torch.nanquantile", [V("q=0.3 dim=-1", (X4, 0.3), {"dim": -1})])
add("torch.unique", [V("sorted", (T((2, 3, 8, 8), "int32", "idx:5"),)),
                     V("return_counts", (T((2, 3, 8, 8), "int32", "idx:5"),), {"return_counts": True})])
add("torch.unique_consecutive", [V("1-D int32", (T((32,), "int32", "idx:3"),))])
add("torch.bincount", [V("1-D int32", (T((32,), "int32", "idx:6"),))])
add("torch.histc", [V("bins=10", (X4,), {"bins": 10, "min": -2.0, "max": 2.0})])
add("torch.diff", [V("last dim", (X4,)), V("dim=1 n=2", (X4,), {"dim": 1, "n": 2})])
add("torch.trapezoid", [V("last dim", (X4,))])
add("torch.cumulative_trapezoid", [V("last dim", (X4,))])
add("torch.dist", [V("p=2", (X4, X4))])
add("torch.norm", [V("all elements", (X4,)), V("dim=1 p=1", (X4,), {"dim": 1, "p": 1})])
add("torch.renorm", [V("p=2 dim=0 maxnorm=1", (X4, 2, 0, 1.0))])
add("torch.searchsorted", [V("sorted const boundaries", (T((10,), const=True, domain="normal"), X2))])
add("torch.bucketize", [V("const boundaries", (X2, T((10,), const=True)))])

# ---- shape, indexing, joining --------------------------------------------------------------

add("torch.reshape", [V("4-D -> 2-D", (X4, (6, 64))), V("with -1", (X4, (-1, 8)))])
add("torch.flatten", [V("all dims", (X4,)), V("start_dim=1", (X4,), {"start_dim": 1})])
add("torch.unflatten", [V("dim=1 -> (3, 1)", (X4, 1, (3, 1)))])
add("torch.ravel", [V("4-D", (X4,))])
add("torch.squeeze", [V("all size-1 dims", (T((2, 1, 8, 1)),)), V("dim=1", (T((2, 1, 8, 1)),), {"dim": 1})])
add("torch.unsqueeze", [V("dim=1", (X4, 1)), V("dim=-1", (X4, -1))])
add("torch.permute", [V("NCHW -> NHWC", (X4, (0, 2, 3, 1)))])
many("torch", "transpose swapaxes swapdims", lambda: [V("dims 1, 3", (X4, 1, 3))])
many("torch", "movedim moveaxis", lambda: [V("1 -> -1", (X4, 1, -1))])
add("torch.t", [V("2-D", (X2,))])
add("torch.adjoint", [V("4-D", (X4,))])
add("torch.narrow", [V("dim=2 start=1 length=4", (X4, 2, 1, 4))])
add("torch.select", [V("dim=1 index=0", (X4, 1, 0))])
add("torch.index_select", [V("dim=2 const index", (X4, 2, T((4,), "int64", "idx:8", const=True)))])
add("torch.gather", [V("dim=-1", (X4, -1, T((2, 3, 8, 4), "int64", "idx:8", const=True)))])
add("torch.take_along_dim", [V("dim=-1", (X4, T((2, 3, 8, 4), "int64", "idx:8", const=True)), {"dim": -1})])
add("torch.take", [V("flat const index", (X4, T((10,), "int64", "idx:384", const=True)))])
add("torch.scatter", [V("dim=-1 src", (X4, -1, T((2, 3, 8, 4), "int64", "idx:8", const=True), T((2, 3, 8, 4))))])
add("torch.scatter_add", [V("dim=-1", (X4, -1, T((2, 3, 8, 4), "int64", "idx:8", const=True), T((2, 3, 8, 4))))])
add("torch.scatter_reduce", [V("dim=-1 amax", (X4, -1, T((2, 3, 8, 4), "int64", "idx:8", const=True),
                                              T((2, 3, 8, 4)), "amax"))])
add("torch.index_add", [V("dim=1", (X4, 1, T((2,), "int64", "idx:3", const=True), T((2, 2, 8, 8))))])
add("torch.index_copy", [V("dim=1", (X4, 1, T((2,), "int64", "idx:3", const=True), T((2, 2, 8, 8))))])
add("torch.index_fill", [V("dim=1", (X4, 1, T((2,), "int64", "idx:3", const=True), -1.0))])
add("torch.masked_select", [V("bool mask", (X4, T((2, 3, 8, 8), "bool", "bool")))])
add("torch.masked_scatter", [V("bool mask", (X4, T((2, 3, 8, 8), "bool", "bool"), X4))])
add("torch.nonzero", [V("4-D", (X4,))])
add("torch.argwhere", [V("4-D", (X4,))])
add("torch.flip", [V("dims (2, 3)", (X4, (2, 3))), V("dims (1,)", (X4, (1,)))])
add("torch.fliplr", [V("2-D", (X2,))])
add("torch.flipud", [V("2-D", (X2,))])
add("torch.roll", [V("shift 2 dim 3", (X4, 2, 3)), V("flat shift", (X4, 5))])
add("torch.rot90", [V("k=1 dims (2, 3)", (X4, 1, (2, 3)))])
add("torch.tile", [V("(1, 2, 1, 1)", (X4, (1, 2, 1, 1)))])
add("torch.repeat_interleave", [V("repeats=2 dim=1", (X4, 2), {"dim": 1})])
add("torch.broadcast_to", [V("(2, 3, 8, 8) -> (4, 2, 3, 8, 8)", (X4, (4, 2, 3, 8, 8)))])
many("torch", "cat concat concatenate", lambda: [V("dim=1", ([X4, X4],), {"dim": 1}), V("dim=0", ([X4, X4],))])
add("torch.stack", [V("dim=0", ([X4, X4],)), V("dim=-1", ([X4, X4],), {"dim": -1})])
many("torch", "hstack vstack dstack column_stack row_stack", lambda: [V("two 2-D", ([X2, X2],))])
add("torch.split", [V("size 4 dim 2", (X4, 4, 2)), V("sizes [2, 6] dim 3", (X4, [2, 6], 3))])
add("torch.chunk", [V("2 chunks dim 2", (X4, 2, 2))])
add("torch.tensor_split", [V("3 sections dim 3", (X4, 3, 3))])
add("torch.unbind", [V("dim=1", (X4, 1))])
many("torch", "hsplit vsplit", lambda: [V("2 sections 2-D", (T((8, 8)), 2))])
add("torch.dsplit", [V("2 sections 3-D", (T((4, 4, 8)), 2))])
add("torch.diag", [V("2-D -> 1-D", (T((8, 8)),)), V("1-D -> 2-D", (T((8,)),))])
add("torch.diagonal", [V("last two dims", (X4,), {"dim1": -2, "dim2": -1})])
add("torch.diag_embed", [V("2-D", (X2,))])
add("torch.diagflat", [V("1-D", (T((8,)),))])
many("torch", "tril triu", lambda: [V("4-D", (X4,)), V("diagonal=1 2-D", (T((8, 8)),), {"diagonal": 1})])
add("torch.trace", [V("2-D", (T((8, 8)),))])
add("torch.block_diag", [V("two 2-D", (T((2, 3)), T((3, 2))))])
many("torch", "atleast_1d atleast_2d atleast_3d", lambda: [V("1-D", (T((8,)),))])
add("torch.cartesian_prod", [V("two 1-D", (T((4,)), T((3,))))])
add("torch.combinations", [V("r=2", (T((5,)),))])
add("torch.meshgrid", [V("indexing ij", (T((4,)), T((3,))), {"indexing": "ij"})])
many("torch", "zeros_like ones_like", lambda: [V("4-D float32", (X4,))])
add("torch.full_like", [V("fill 2.5", (X4, 2.5))])
add("torch.cross", [V("dim=-1", (T((4, 3)), T((4, 3))), {"dim": -1})])
add("torch.kron", [V("two 2-D", (T((2, 3)), T((3, 2))))])
add("torch.cdist", [V("p=2", (T((2, 5, 4)), T((2, 6, 4))))])
add("torch.cosine_similarity", [V("dim=1", (X4, X4))])
add("torch.pairwise_distance", [V("2-D", (X2, X2))])
add("torch.vander", [V("N=4", (T((5,)),), {"N": 4})])
add("torch.histogram", [V("bins=5", (T((32,)),), {"bins": 5})])
add("torch.corrcoef", [V("2-D", (X2,))])
add("torch.cov", [V("2-D", (X2,))])
add("torch.frexp", [V("4-D", (X4,))])
add("torch.ldexp", [V("int exponents", (X4, T((2, 3, 8, 8), "int32", "idx:4")))])
add("torch.logdet", [V("SPD 4x4", (T((2, 4, 4), domain="spd"),))])
add("torch.det", [V("3x3 batch", (T((2, 3, 3)),))])
add("torch.inverse", [V("SPD 4x4", (T((2, 4, 4), domain="spd"),))])
add("torch.cholesky", [V("SPD 4x4", (T((2, 4, 4), domain="spd"),))])
add("torch.pinverse", [V("4x3", (T((4, 3)),))])
add("torch.matrix_exp", [V("3x3 batch", (T((2, 3, 3)),))])
add("torch.trapz", [V("last dim", (X4,))])

# ---- linear algebra and matmul ------------------------------------------------------------

add("torch.matmul", [V("3-D @ 3-D", (T((2, 4, 5)), T((2, 5, 6)))), V("const weight", (T((2, 4, 5)), T((5, 6), const=True))),
                     V("1-D @ 1-D", (T((5,)), T((5,))))])
add("torch.mm", [V("2-D", (T((4, 5)), T((5, 6))))])
add("torch.bmm", [V("3-D", (T((2, 4, 5)), T((2, 5, 6))))])
add("torch.mv", [V("2-D @ 1-D", (T((4, 5)), T((5,))))])
add("torch.dot", [V("1-D", (T((5,)), T((5,))))])
add("torch.vdot", [V("1-D", (T((5,)), T((5,))))])
add("torch.inner", [V("2-D", (T((4, 5)), T((3, 5))))])
add("torch.outer", [V("1-D", (T((4,)), T((5,))))])
add("torch.ger", [V("1-D", (T((4,)), T((5,))))])
add("torch.addmm", [V("bias + 2-D", (T((6,)), T((4, 5)), T((5, 6))))])
add("torch.addmv", [V("bias + 2-D @ 1-D", (T((4,)), T((4, 5)), T((5,))))])
add("torch.addbmm", [V("3-D", (T((4, 6)), T((2, 4, 5)), T((2, 5, 6))))])
add("torch.baddbmm", [V("3-D", (T((2, 4, 6)), T((2, 4, 5)), T((2, 5, 6))))])
add("torch.addr", [V("outer", (T((4, 5)), T((4,)), T((5,))))])
add("torch.einsum", [V("bij,bjk->bik", ("bij,bjk->bik", T((2, 4, 5)), T((2, 5, 6)))),
                     V("transpose ij->ji", ("ij->ji", X2)),
                     V("sum bhwc->bc", ("bchw->bc", X4))])
add("torch.tensordot", [V("dims=1", (T((4, 5)), T((5, 6))), {"dims": 1})])
add("torch.chain_matmul", [V("three 2-D", (T((4, 5)), T((5, 6)), T((6, 3))))])
add("torch.linalg.multi_dot", [V("three 2-D", ([T((4, 5)), T((5, 6)), T((6, 3))],))])
add("torch.linalg.matmul", [V("3-D", (T((2, 4, 5)), T((2, 5, 6))))])
add("torch.linalg.vecdot", [V("last dim", (X2, X2))])
add("torch.linalg.cross", [V("last dim", (T((4, 3)), T((4, 3))))])
add("torch.linalg.norm", [V("vector 1-D", (T((8,)),)), V("matrix fro 2-D", (X2,)), V("dim=-1 4-D", (X4,), {"dim": -1})])
add("torch.linalg.vector_norm", [V("all elements", (X4,)), V("ord=1 dim=-1", (X4,), {"ord": 1, "dim": -1}),
                                 V("ord=inf dim=-1", (X4,), {"ord": float("inf"), "dim": -1})])
add("torch.linalg.matrix_norm", [V("fro", (T((2, 4, 4)),)), V("ord=1", (T((2, 4, 4)),), {"ord": 1})])
add("torch.linalg.det", [V("3x3 batch", (T((2, 3, 3)),))])
add("torch.linalg.slogdet", [V("SPD 4x4", (T((2, 4, 4), domain="spd"),))])
many("torch.linalg", "inv inv_ex cholesky cholesky_ex eigh eigvalsh",
     lambda: [V("SPD 4x4", (T((2, 4, 4), domain="spd"),))])
many("torch.linalg", "pinv svd svdvals qr matrix_rank", lambda: [V("4x3", (T((4, 3)),))])
many("torch.linalg", "eig eigvals lu lu_factor", lambda: [V("3x3 batch", (T((2, 3, 3), domain="spd"),))])
add("torch.linalg.solve", [V("SPD 4x4, rhs 4x2", (T((2, 4, 4), domain="spd"), T((2, 4, 2))))])
add("torch.linalg.lstsq", [V("4x3, rhs 4x2", (T((4, 3)), T((4, 2))))])
add("torch.linalg.matrix_power", [V("n=3", (T((2, 3, 3)), 3))])
add("torch.linalg.matrix_exp", [V("3x3 batch", (T((2, 3, 3)),))])
add("torch.linalg.diagonal", [V("last two dims", (T((2, 4, 4)),))])
add("torch.linalg.vander", [V("1-D", (T((5,)),))])
add("torch.linalg.solve_triangular", [V("upper 4x4", (T((4, 4), domain="spd"), T((4, 2))), {"upper": True})])

# ---- FFT ----------------------------------------------------------------------------------

# LiteRT's RFFT2D kernel takes only power-of-two lengths, and litert-torch lowers only a 1-D
# FFT over the last dimension: each 1-D transform is probed on a power-of-two and on another
# length, over the last and over another dimension, with `n=` padding/cropping to either kind
# of length, and with each normalization, so the analyzer can match literal `dim`/`n`/`norm`.


# Transforms that take a complex spectrum in real models (irfft(rfft(x)), ifft(...)): a module
# input cannot be complex, so the probe feeds them `torch.fft.rfft(x)` of its real input (over
# the last dim, which converts for power-of-two lengths) and the labels say so.
COMPLEX_INPUT = {f"torch.fft.{short}" for short in ["ifft", "irfft", "hfft", "ifft2", "irfft2", "ifftn", "irfftn"]}


def _fft_1d(spectrum: bool = False) -> list[Variant]:
    of = " (input: rfft of a real tensor)" if spectrum else ""
    return [
        V(f"length 16 (power of two){of}", (T((4, 16)),)),
        V(f"length 12 (not a power of two){of}", (T((4, 12)),)),
        V(f"dim=-1, length 16{of}", (T((4, 16)),), {"dim": -1}),
        V(f"dim=-1, length 12{of}", (T((4, 12)),), {"dim": -1}),
        V(f"dim=0 (not the last){of}", (T((16, 16)),), {"dim": 0}),
        V(f"dim=1 of 3-D (not the last){of}", (T((2, 16, 16)),), {"dim": 1}),
        # The same literal dim is the last one on a lower rank: measured, so the analyzer does
        # not call `dim=1` wrong when the input may be 2-D.
        V(f"dim=1 of 2-D (the last), length 16{of}", (T((4, 16)),), {"dim": 1}),
        V(f"dim=0 of 1-D (the last), length 16{of}", (T((16,)),), {"dim": 0}),
        V(f"n=16 on length 12{of}", (T((4, 12)),), {"n": 16}),
        V(f"n=12 on length 16{of}", (T((4, 16)),), {"n": 12}),
        V(f"norm=ortho{of}", (T((4, 16)),), {"norm": "ortho"}),
        V(f"norm=forward{of}", (T((4, 16)),), {"norm": "forward"}),
    ]


def _fft_nd(spectrum: bool = False) -> list[Variant]:
    of = " (input: rfft of a real tensor)" if spectrum else ""
    return [
        V(f"last two dims, 16x16{of}", (T((2, 16, 16)),)),
        V(f"last two dims, 12x12{of}", (T((2, 12, 12)),)),
        V(f"dim=(-1,), length 16{of}", (T((2, 16, 16)),), {"dim": [-1]}),
        V(f"dim=(-1,), length 12{of}", (T((2, 12, 12)),), {"dim": [-1]}),
    ]


for _short in ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]:
    add(f"torch.fft.{_short}", _fft_1d(f"torch.fft.{_short}" in COMPLEX_INPUT))
for _short in ["fft2", "ifft2", "rfft2", "irfft2", "fftn", "ifftn", "rfftn", "irfftn"]:
    add(f"torch.fft.{_short}", _fft_nd(f"torch.fft.{_short}" in COMPLEX_INPUT))
many("torch.fft", "fftshift ifftshift", lambda: [V("2-D", (X2,))])
add("torch.stft", [
    V("n_fft=16 (power of two) return_complex", (T((2, 64)), 16), {"return_complex": True}),
    V("n_fft=12 (not a power of two) return_complex", (T((2, 64)), 12), {"return_complex": True}),
    V("n_fft=16 center=False", (T((2, 64)), 16), {"return_complex": True, "center": False}),
])

# ---- torch.special ---------------------------------------------------------------------------

many("torch.special", "expit erf erfc erfcx exp2 expm1 sinc i0 i0e i1 i1e ndtr log_ndtr entr "
     "bessel_j0 bessel_j1 round", _u)
many("torch.special", "log1p gammaln digamma psi", lambda: _u("pos"))
many("torch.special", "erfinv", lambda: _u("unit"))
many("torch.special", "logit ndtri", lambda: _u("prob"))
many("torch.special", "xlogy xlog1py", lambda: _binary("normal", "pos"))
many("torch.special", "softmax log_softmax", lambda: [V("dim=1", (X4, 1))])
add("torch.special.logsumexp", [V("dim=1", (X4, 1))])
add("torch.special.polygamma", [V("n=1", (1, T((2, 3, 8, 8), domain="pos")))])
add("torch.special.multigammaln", [V("p=1", (T((2, 3, 8, 8), domain="gt1"), 1))])
add("torch.special.zeta", [V("q > 0", (T((2, 3, 8, 8), domain="gt1"), T((2, 3, 8, 8), domain="pos")))])

# ---- torch.nn.functional ----------------------------------------------------------------------

F = "torch.nn.functional"
many(F, "relu relu6 elu selu celu silu mish hardswish hardsigmoid hardtanh softplus softsign "
     "tanhshrink softshrink hardshrink logsigmoid sigmoid tanh", _u)
add(f"{F}.leaky_relu", [V("slope 0.1", (X4, 0.1))])
add(f"{F}.gelu", [V("exact", (X4,)), V("approximate=tanh", (X4,), {"approximate": "tanh"})])
add(f"{F}.threshold", [V("0.1 -> 0", (X4, 0.1, 0.0))])
add(f"{F}.prelu", [V("per-channel weight", (X4, T((3,), const=True)))])
add(f"{F}.rrelu", [V("eval", (X4,), {"training": False})])
add(f"{F}.glu", [V("dim=1 even", (T((2, 4, 8, 8)),), {"dim": 1})])
many(F, "softmax log_softmax softmin", lambda: [V("dim=1 4-D", (X4,), {"dim": 1}), V("dim=-1 2-D", (X2,), {"dim": -1})])
add(f"{F}.normalize", [V("dim=1", (X4,))])
many(F, "dropout alpha_dropout feature_alpha_dropout dropout1d dropout2d dropout3d",
     lambda: [V("training=False", (X4,), {"training": False})])
add(f"{F}.dropout1d", [V("training=False", (T((2, 3, 8)),), {"training": False})])
add(f"{F}.dropout3d", [V("training=False", (T((2, 3, 4, 4, 4)),), {"training": False})])
add(f"{F}.linear", [V("const weight and bias", (T((2, 5, 16)), T((8, 16), const=True), T((8,), const=True))),
                    V("input weight", (T((2, 5, 16)), T((8, 16))))])
add(f"{F}.bilinear", [V("const weight", (T((4, 5)), T((4, 6)), T((3, 5, 6), const=True)))])
add(f"{F}.conv1d", [V("const weight", (T((2, 3, 16)), T((4, 3, 3), const=True))),
                    V("stride 2 padding 1", (T((2, 3, 16)), T((4, 3, 3), const=True)), {"stride": 2, "padding": 1})])
add(f"{F}.conv2d", [V("const weight 3x3", (X4, T((4, 3, 3, 3), const=True))),
                    V("padding=same dilation 2", (X4, T((4, 3, 3, 3), const=True)), {"padding": "same", "dilation": 2}),
                    V("groups=3 (depthwise)", (X4, T((3, 1, 3, 3), const=True)), {"groups": 3}),
                    V("weight is an input", (X4, T((4, 3, 3, 3))))])
add(f"{F}.conv3d", [V("const weight", (T((1, 2, 6, 6, 6)), T((4, 2, 3, 3, 3), const=True)))])
add(f"{F}.conv_transpose1d", [V("stride 2", (T((2, 3, 16)), T((3, 4, 3), const=True)), {"stride": 2})])
add(f"{F}.conv_transpose2d", [V("stride 2", (X4, T((3, 4, 3, 3), const=True)), {"stride": 2}),
                              V("output_padding 1", (X4, T((3, 4, 3, 3), const=True)),
                                {"stride": 2, "output_padding": 1})])
add(f"{F}.conv_transpose3d", [V("stride 2", (T((1, 2, 4, 4, 4)), T((2, 3, 3, 3, 3), const=True)), {"stride": 2})])
add(f"{F}.max_pool1d", [V("kernel 2", (T((2, 3, 16)), 2))])
add(f"{F}.max_pool2d", [V("kernel 2", (X4, 2)), V("kernel 3 stride 2 padding 1", (X4, 3, 2, 1)),
                        V("ceil_mode", (T((2, 3, 9, 9)), 2), {"ceil_mode": True}),
                        V("return_indices", (X4, 2), {"return_indices": True})])
add(f"{F}.max_pool3d", [V("kernel 2", (T((1, 2, 4, 4, 4)), 2))])
add(f"{F}.avg_pool1d", [V("kernel 2", (T((2, 3, 16)), 2))])
add(f"{F}.avg_pool2d", [V("kernel 2", (X4, 2)), V("kernel 3 padding 1", (X4, 3, 1, 1)),
                        V("padding 1 count_include_pad=False", (X4, 3, 1, 1), {"count_include_pad": False}),
                        V("ceil_mode", (T((2, 3, 9, 9)), 2), {"ceil_mode": True})])
add(f"{F}.avg_pool3d", [V("kernel 2", (T((1, 2, 4, 4, 4)), 2))])
add(f"{F}.lp_pool1d", [V("p=2 kernel 2", (T((2, 3, 16)), 2.0, 2))])
add(f"{F}.lp_pool2d", [V("p=2 kernel 2", (X4, 2.0, 2))])
add(f"{F}.adaptive_avg_pool1d", [V("16 -> 4", (T((2, 3, 16)), 4)), V("16 -> 5 (not divisible)", (T((2, 3, 16)), 5))])
add(f"{F}.adaptive_avg_pool2d", [V("8x8 -> 1x1", (X4, 1)), V("8x8 -> 4x4", (X4, 4)), V("8x8 -> 3x3 (not divisible)", (X4, 3))])
add(f"{F}.adaptive_avg_pool3d", [V("4 -> 2", (T((1, 2, 4, 4, 4)), 2))])
add(f"{F}.adaptive_max_pool1d", [V("16 -> 4", (T((2, 3, 16)), 4))])
add(f"{F}.adaptive_max_pool2d", [V("8x8 -> 4x4", (X4, 4)), V("8x8 -> 3x3 (not divisible)", (X4, 3)),
                                 V("return_indices", (X4, 4), {"return_indices": True})])
add(f"{F}.adaptive_max_pool3d", [V("4 -> 2", (T((1, 2, 4, 4, 4)), 2))])
add(f"{F}.batch_norm", [V("eval running stats", (X4, T((3,), const=True), T((3,), domain="pos", const=True),
                                                 T((3,), const=True), T((3,), const=True)))])
add(f"{F}.instance_norm", [V("no stats", (X4,))])
add(f"{F}.layer_norm", [V("last dim", (X4, (8,))), V("last two dims", (X4, (8, 8)))])
add(f"{F}.group_norm", [V("3 groups", (T((2, 6, 8, 8)), 3))])
add(f"{F}.rms_norm", [V("last dim", (X4, (8,)))])
add(f"{F}.local_response_norm", [V("size 2", (X4, 2))])
# tfl.pad takes at most 5-D: probed by rank (the call site's rank picks the variant).
add(f"{F}.pad", [V("constant", (X4, (1, 1, 2, 2))), V("constant 5-D", (T((1, 2, 3, 4, 4)), (1, 1, 2, 2))),
                 V("constant 6-D", (T((1, 2, 2, 3, 4, 4)), (1, 1, 2, 2))), V("reflect", (X4, (1, 1, 2, 2)), {"mode": "reflect"}),
                 V("replicate", (X4, (1, 1, 2, 2)), {"mode": "replicate"}),
                 V("circular", (X4, (1, 1, 2, 2)), {"mode": "circular"})])
# The output size (`size` or `scale_factor`) is passed positionally so that it is not a
# keyword a call must repeat to match a variant: the mode and the flags decide the outcome.
add(f"{F}.interpolate", [
    V("nearest (the default mode) x2", (X4, None, 2)),
    V("bilinear x2", (X4, None, 2), {"mode": "bilinear"}),
    V("bilinear align_corners", (X4, None, 2), {"mode": "bilinear", "align_corners": True}),
    V("bilinear antialias", (X4, None, 0.5), {"mode": "bilinear", "antialias": True}),
    V("bicubic x2", (X4, None, 2), {"mode": "bicubic"}),
    V("bicubic antialias", (X4, None, 0.5), {"mode": "bicubic", "antialias": True}),
    V("nearest-exact size 12", (X4, 12, None), {"mode": "nearest-exact"}),
    V("area size 4", (X4, 4, None), {"mode": "area"}),
    V("linear 3-D", (T((2, 3, 16)), None, 2), {"mode": "linear"}),
    V("trilinear 5-D", (T((1, 2, 4, 4, 4)), None, 2), {"mode": "trilinear"})])
add(f"{F}.upsample", [V("nearest x2", (X4,), {"scale_factor": 2})])
add(f"{F}.upsample_nearest", [V("x2", (X4,), {"scale_factor": 2})])
add(f"{F}.upsample_bilinear", [V("x2", (X4,), {"scale_factor": 2})])
add(f"{F}.grid_sample", [V("bilinear", (X4, T((2, 6, 6, 2), domain="unit")), {"align_corners": False}),
                         V("nearest", (X4, T((2, 6, 6, 2), domain="unit")), {"mode": "nearest", "align_corners": False})])
add(f"{F}.affine_grid", [V("2-D theta", (T((2, 2, 3)), (2, 3, 8, 8)), {"align_corners": False})])
many(F, "pixel_shuffle", lambda: [V("factor 2", (T((2, 8, 4, 4)), 2))])
add(f"{F}.pixel_unshuffle", [V("factor 2", (X4, 2))])
add(f"{F}.channel_shuffle", [V("2 groups", (T((2, 4, 4, 4)), 2))])
add(f"{F}.unfold", [V("kernel 3 (im2col)", (X4, 3))])
add(f"{F}.fold", [V("kernel 2 to 4x4", (T((2, 12, 9)), (4, 4), 2))])
add(f"{F}.embedding", [V("int64 ids, const table", (T((2, 5), "int64", "idx:10"), T((10, 4), const=True))),
                       V("int32 ids, const table", (T((2, 5), "int32", "idx:10"), T((10, 4), const=True)))])
add(f"{F}.embedding_bag", [V("mean, offsets", (T((8,), "int64", "idx:10"), T((10, 4), const=True),
                                              T((2,), "int64", "idx:1", const=True)))])
add(f"{F}.one_hot", [V("num_classes=5", (T((2, 5), "int64", "idx:5"),), {"num_classes": 5})])
add(f"{F}.scaled_dot_product_attention", [V("4-D q, k, v", (T((2, 2, 6, 8)), T((2, 2, 6, 8)), T((2, 2, 6, 8)))),
                                          V("is_causal", (T((2, 2, 6, 8)), T((2, 2, 6, 8)), T((2, 2, 6, 8))),
                                            {"is_causal": True})])
add(f"{F}.cosine_similarity", [V("dim=1", (X4, X4))])
add(f"{F}.pairwise_distance", [V("2-D", (X2, X2))])
add(f"{F}.pdist", [V("2-D", (T((5, 4)),))])
for _loss in ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "soft_margin_loss"]:
    add(f"{F}.{_loss}", [V("mean", (X4, X4))])
add(f"{F}.kl_div", [V("log inputs", (T((2, 3, 8, 8), domain="unit"), T((2, 3, 8, 8), domain="prob")))])
add(f"{F}.binary_cross_entropy", [V("probabilities", (T((2, 3, 8, 8), domain="prob"), T((2, 3, 8, 8), domain="prob")))])
add(f"{F}.binary_cross_entropy_with_logits", [V("logits", (X4, T((2, 3, 8, 8), domain="prob")))])
add(f"{F}.cross_entropy", [V("class indices", (T((4, 5)), T((4,), "int64", "idx:5", const=True))),
                           V("label_smoothing", (T((4, 5)), T((4,), "int64", "idx:5", const=True)), {"label_smoothing": 0.1})])
add(f"{F}.nll_loss", [V("class indices", (T((4, 5)), T((4,), "int64", "idx:5", const=True)))])
add(f"{F}.poisson_nll_loss", [V("log input", (X4, T((2, 3, 8, 8), domain="pos")))])
add(f"{F}.gaussian_nll_loss", [V("var", (X4, X4, T((2, 3, 8, 8), domain="pos")))])
add(f"{F}.margin_ranking_loss", [V("1-D", (T((8,)), T((8,)), T((8,), domain="nonzero")))])
add(f"{F}.hinge_embedding_loss", [V("1-D", (T((8,)), T((8,), domain="nonzero")))])
add(f"{F}.cosine_embedding_loss", [V("2-D", (X2, X2, T((4,), domain="nonzero")))])
add(f"{F}.triplet_margin_loss", [V("2-D", (X2, X2, X2))])
add(f"{F}.multilabel_soft_margin_loss", [V("2-D", (X2, T((4, 16), domain="prob")))])
add(f"{F}.multi_margin_loss", [V("class indices", (T((4, 5)), T((4,), "int64", "idx:5", const=True)))])

# ---- torch.nn layers ---------------------------------------------------------------------------

NN = "torch.nn"
for _layer in ["ReLU", "ReLU6", "ELU", "SELU", "CELU", "SiLU", "Mish", "Hardswish", "Hardsigmoid", "Hardtanh", "Softplus", "Softsign", "Tanhshrink", "Softshrink", "Hardshrink", "LogSigmoid", "Sigmoid", "Tanh", "GELU", "LeakyReLU", "PReLU", "Identity", "Softmax2d"]:
    add(f"{NN}.{_layer}", [V("4-D float32", (X4,))])
add(f"{NN}.RReLU", [V("eval", (X4,))])
add(f"{NN}.Threshold", [V("0.1 -> 0", (X4,), ctor=(0.1, 0.0))])
add(f"{NN}.GLU", [V("dim=1", (T((2, 4, 8, 8)),), ctor_kwargs={"dim": 1})])
for _layer in ["Softmax", "LogSoftmax", "Softmin"]:
    add(f"{NN}.{_layer}", [V("dim=1", (X4,), ctor_kwargs={"dim": 1})])
for _layer in ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]:
    add(f"{NN}.{_layer}", [V("eval (identity)", (X4,))])
add(f"{NN}.Dropout1d", [V("eval (identity)", (T((2, 3, 8)),))])
add(f"{NN}.Dropout3d", [V("eval (identity)", (T((2, 3, 4, 4, 4)),))])
add(f"{NN}.Flatten", [V("default start_dim=1", (X4,))])
add(f"{NN}.Unflatten", [V("dim=1 -> (3, 1)", (X4,), ctor=(1, (3, 1)))])
add(f"{NN}.Linear", [V("2-D input", (T((4, 16)),), ctor=(16, 8)), V("3-D input", (T((2, 5, 16)),), ctor=(16, 8)),
                     V("no bias", (T((4, 16)),), ctor=(16, 8), ctor_kwargs={"bias": False})])
add(f"{NN}.Bilinear", [V("5 x 6 -> 3", (T((4, 5)), T((4, 6))), ctor=(5, 6, 3))])
add(f"{NN}.Conv1d", [V("3x3", (T((2, 3, 16)),), ctor=(3, 4, 3)),
                     V("stride 2 dilation 2", (T((2, 3, 16)),), ctor=(3, 4, 3), ctor_kwargs={"stride": 2, "dilation": 2})])
add(f"{NN}.Conv2d", [V("3x3", (X4,), ctor=(3, 4, 3)),
                     V("stride 2 padding 1", (X4,), ctor=(3, 4, 3), ctor_kwargs={"stride": 2, "padding": 1}),
                     V("depthwise groups=3", (X4,), ctor=(3, 6, 3), ctor_kwargs={"groups": 3, "padding": "same"}),
                     V("padding_mode=reflect", (X4,), ctor=(3, 4, 3), ctor_kwargs={"padding": 1, "padding_mode": "reflect"}),
                     V("padding_mode=circular", (X4,), ctor=(3, 4, 3), ctor_kwargs={"padding": 1, "padding_mode": "circular"})])
add(f"{NN}.Conv3d", [V("3x3x3", (T((1, 2, 6, 6, 6)),), ctor=(2, 4, 3))])
add(f"{NN}.ConvTranspose1d", [V("stride 2", (T((2, 3, 16)),), ctor=(3, 4, 3), ctor_kwargs={"stride": 2})])
add(f"{NN}.ConvTranspose2d", [V("stride 2", (X4,), ctor=(3, 4, 3), ctor_kwargs={"stride": 2}),
                              V("kernel 2 stride 2", (X4,), ctor=(3, 4, 2), ctor_kwargs={"stride": 2}),
                              V("groups=3", (X4,), ctor=(3, 6, 3), ctor_kwargs={"groups": 3})])
add(f"{NN}.ConvTranspose3d", [V("stride 2", (T((1, 2, 4, 4, 4)),), ctor=(2, 3, 3), ctor_kwargs={"stride": 2})])
add(f"{NN}.MaxPool1d", [V("kernel 2", (T((2, 3, 16)),), ctor=(2,))])
add(f"{NN}.MaxPool2d", [V("kernel 2", (X4,), ctor=(2,)), V("kernel 3 stride 2 padding 1", (X4,), ctor=(3, 2, 1)),
                        V("return_indices", (X4,), ctor=(2,), ctor_kwargs={"return_indices": True}),
                        V("ceil_mode", (T((2, 3, 9, 9)),), ctor=(2,), ctor_kwargs={"ceil_mode": True})])
add(f"{NN}.MaxPool3d", [V("kernel 2", (T((1, 2, 4, 4, 4)),), ctor=(2,))])
add(f"{NN}.AvgPool1d", [V("kernel 2", (T((2, 3, 16)),), ctor=(2,))])
add(f"{NN}.AvgPool2d", [V("kernel 2", (X4,), ctor=(2,)),
                        V("kernel 3 padding 1", (X4,), ctor=(3, 1, 1)),
                        V("count_include_pad=False", (X4,), ctor=(3, 1, 1), ctor_kwargs={"count_include_pad": False})])
add(f"{NN}.AvgPool3d", [V("kernel 2", (T((1, 2, 4, 4, 4)),), ctor=(2,))])
add(f"{NN}.LPPool1d", [V("p=2 kernel 2", (T((2, 3, 16)),), ctor=(2.0, 2))])
add(f"{NN}.LPPool2d", [V("p=2 kernel 2", (X4,), ctor=(2.0, 2))])
add(f"{NN}.AdaptiveAvgPool1d", [V("16 -> 4", (T((2, 3, 16)),), ctor=(4,)), V("16 -> 5", (T((2, 3, 16)),), ctor=(5,))])
add(f"{NN}.AdaptiveAvgPool2d", [V("-> 1x1", (X4,), ctor=(1,)), V("8x8 -> 4x4", (X4,), ctor=(4,)),
                                V("8x8 -> 3x3 (not divisible)", (X4,), ctor=(3,))])
add(f"{NN}.AdaptiveAvgPool3d", [V("-> 2", (T((1, 2, 4, 4, 4)),), ctor=(2,))])
add(f"{NN}.AdaptiveMaxPool1d", [V("16 -> 4", (T((2, 3, 16)),), ctor=(4,))])
add(f"{NN}.AdaptiveMaxPool2d", [V("8x8 -> 4x4", (X4,), ctor=(4,)), V("8x8 -> 3x3 (not divisible)", (X4,), ctor=(3,)),
                                V("-> 1x1", (X4,), ctor=(1,))])
add(f"{NN}.AdaptiveMaxPool3d", [V("-> 2", (T((1, 2, 4, 4, 4)),), ctor=(2,))])
add(f"{NN}.BatchNorm1d", [V("2-D input", (T((4, 16)),), ctor=(16,)), V("3-D input", (T((2, 16, 5)),), ctor=(16,))])
add(f"{NN}.BatchNorm2d", [V("4-D", (X4,), ctor=(3,))])
add(f"{NN}.BatchNorm3d", [V("5-D", (T((1, 2, 4, 4, 4)),), ctor=(2,))])
add(f"{NN}.InstanceNorm1d", [V("3-D", (T((2, 3, 16)),), ctor=(3,))])
add(f"{NN}.InstanceNorm2d", [V("4-D", (X4,), ctor=(3,)), V("affine", (X4,), ctor=(3,), ctor_kwargs={"affine": True})])
add(f"{NN}.InstanceNorm3d", [V("5-D", (T((1, 2, 4, 4, 4)),), ctor=(2,))])
add(f"{NN}.LayerNorm", [V("last dim", (X4,), ctor=(8,)), V("last two dims", (X4,), ctor=((8, 8),)),
                        V("no affine", (X4,), ctor=(8,), ctor_kwargs={"elementwise_affine": False})])
add(f"{NN}.GroupNorm", [V("3 groups of 2", (T((2, 6, 8, 8)),), ctor=(3, 6))])
add(f"{NN}.RMSNorm", [V("last dim", (X4,), ctor=(8,))])
add(f"{NN}.LocalResponseNorm", [V("size 2", (X4,), ctor=(2,))])
add(f"{NN}.ZeroPad1d", [V("1", (T((2, 3, 16)),), ctor=(1,))])
add(f"{NN}.ZeroPad2d", [V("(1, 1, 2, 2)", (X4,), ctor=((1, 1, 2, 2),))])
add(f"{NN}.ZeroPad3d", [V("1", (T((1, 2, 4, 4, 4)),), ctor=(1,))])
add(f"{NN}.ConstantPad1d", [V("1 with 0.5", (T((2, 3, 16)),), ctor=(1, 0.5))])
add(f"{NN}.ConstantPad2d", [V("1 with 0.5", (X4,), ctor=(1, 0.5))])
add(f"{NN}.ConstantPad3d", [V("1 with 0.5", (T((1, 2, 4, 4, 4)),), ctor=(1, 0.5))])
add(f"{NN}.ReflectionPad1d", [V("2", (T((2, 3, 16)),), ctor=(2,))])
add(f"{NN}.ReflectionPad2d", [V("2", (X4,), ctor=(2,))])
add(f"{NN}.ReflectionPad3d", [V("1", (T((1, 2, 4, 4, 4)),), ctor=(1,))])
add(f"{NN}.ReplicationPad1d", [V("2", (T((2, 3, 16)),), ctor=(2,))])
add(f"{NN}.ReplicationPad2d", [V("2", (X4,), ctor=(2,))])
add(f"{NN}.ReplicationPad3d", [V("1", (T((1, 2, 4, 4, 4)),), ctor=(1,))])
add(f"{NN}.CircularPad1d", [V("2", (T((2, 3, 16)),), ctor=(2,))])
add(f"{NN}.CircularPad2d", [V("2", (X4,), ctor=(2,))])
add(f"{NN}.CircularPad3d", [V("1", (T((1, 2, 4, 4, 4)),), ctor=(1,))])
add(f"{NN}.Upsample", [V("nearest x2", (X4,), ctor_kwargs={"scale_factor": 2}),
                       V("bilinear x2", (X4,), ctor_kwargs={"scale_factor": 2, "mode": "bilinear"}),
                       V("bicubic x2", (X4,), ctor_kwargs={"scale_factor": 2, "mode": "bicubic"})])
add(f"{NN}.UpsamplingNearest2d", [V("x2", (X4,), ctor_kwargs={"scale_factor": 2})])
add(f"{NN}.UpsamplingBilinear2d", [V("x2", (X4,), ctor_kwargs={"scale_factor": 2})])
add(f"{NN}.PixelShuffle", [V("factor 2", (T((2, 8, 4, 4)),), ctor=(2,))])
add(f"{NN}.PixelUnshuffle", [V("factor 2", (X4,), ctor=(2,))])
add(f"{NN}.ChannelShuffle", [V("2 groups", (T((2, 4, 4, 4)),), ctor=(2,))])
add(f"{NN}.Unfold", [V("kernel 3", (X4,), ctor=(3,))])
add(f"{NN}.Fold", [V("kernel 2 to 4x4", (T((2, 12, 9)),), ctor=((4, 4), 2))])
add(f"{NN}.Embedding", [V("10 x 4", (T((2, 5), "int64", "idx:10"),), ctor=(10, 4)),
                        V("10 x 4, int32 ids", (T((2, 5), "int32", "idx:10"),), ctor=(10, 4))])
add(f"{NN}.EmbeddingBag", [V("mean bags of 4", (T((2, 4), "int64", "idx:10"),), ctor=(10, 4))])
add(f"{NN}.CosineSimilarity", [V("dim=1", (X4, X4))])
add(f"{NN}.PairwiseDistance", [V("2-D", (X2, X2))])
add(f"{NN}.RNN", [V("batch_first", (T((2, 5, 4)),), ctor=(4, 6), ctor_kwargs={"batch_first": True}),
                  V("2 layers", (T((5, 2, 4)),), ctor=(4, 6), ctor_kwargs={"num_layers": 2}),
                  V("bidirectional", (T((2, 5, 4)),), ctor=(4, 6), ctor_kwargs={"batch_first": True, "bidirectional": True})])
add(f"{NN}.LSTM", [V("batch_first", (T((2, 5, 4)),), ctor=(4, 6), ctor_kwargs={"batch_first": True}),
                   V("2 layers", (T((5, 2, 4)),), ctor=(4, 6), ctor_kwargs={"num_layers": 2}),
                   V("bidirectional", (T((2, 5, 4)),), ctor=(4, 6), ctor_kwargs={"batch_first": True, "bidirectional": True})])
add(f"{NN}.GRU", [V("batch_first", (T((2, 5, 4)),), ctor=(4, 6), ctor_kwargs={"batch_first": True}),
                  V("bidirectional", (T((2, 5, 4)),), ctor=(4, 6), ctor_kwargs={"batch_first": True, "bidirectional": True})])
for _cell in ["RNNCell", "LSTMCell", "GRUCell"]:
    add(f"{NN}.{_cell}", [V("batch 2", (T((2, 4)),), ctor=(4, 6))])
add(f"{NN}.MultiheadAttention", [V("self-attention batch_first", (T((2, 5, 8)), T((2, 5, 8)), T((2, 5, 8))),
                                   ctor=(8, 2), ctor_kwargs={"batch_first": True})])
add(f"{NN}.TransformerEncoderLayer", [V("d_model 8, 2 heads", (T((2, 5, 8)),), ctor=(8, 2),
                                        ctor_kwargs={"dim_feedforward": 16, "batch_first": True, "dropout": 0.0})])
add(f"{NN}.TransformerDecoderLayer", [V("d_model 8, 2 heads", (T((2, 5, 8)), T((2, 4, 8))), ctor=(8, 2),
                                        ctor_kwargs={"dim_feedforward": 16, "batch_first": True, "dropout": 0.0})])
for _loss in ["MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "SoftMarginLoss"]:
    add(f"{NN}.{_loss}", [V("mean", (X4, X4))])
add(f"{NN}.CrossEntropyLoss", [V("class indices", (T((4, 5)), T((4,), "int64", "idx:5", const=True)))])
add(f"{NN}.NLLLoss", [V("class indices", (T((4, 5)), T((4,), "int64", "idx:5", const=True)))])
add(f"{NN}.BCELoss", [V("probabilities", (T((2, 3, 8, 8), domain="prob"), T((2, 3, 8, 8), domain="prob")))])
add(f"{NN}.BCEWithLogitsLoss", [V("logits", (X4, T((2, 3, 8, 8), domain="prob")))])
add(f"{NN}.KLDivLoss", [V("log inputs", (T((2, 3, 8, 8), domain="unit"), T((2, 3, 8, 8), domain="prob")))])

# ---- torch.Tensor-only methods --------------------------------------------------------------

M = "torch.Tensor"
add(f"{M}.view", [V("4-D -> 2-D", (X4, 6, 64))], "method")
add(f"{M}.view_as", [V("like a 2-D tensor", (X4, T((6, 64))))], "method")
add(f"{M}.reshape_as", [V("like a 2-D tensor", (X4, T((6, 64))))], "method")
add(f"{M}.expand", [V("(2, 3, 8, 8) from (1, 3, 1, 8)", (T((1, 3, 1, 8)), 2, 3, 8, 8))], "method")
add(f"{M}.expand_as", [V("broadcast", (T((1, 3, 1, 8)), X4))], "method")
add(f"{M}.repeat", [V("(1, 2, 1, 1)", (X4, 1, 2, 1, 1))], "method")
add(f"{M}.unfold", [V("2-D input", (T((4, 16)), 1, 4, 2)), V("4-D input", (X4, 3, 4, 2))], "method")
add(f"{M}.contiguous", [V("after transpose", (X4,))], "method")
add(f"{M}.float", [V("from int32", (T((2, 3, 8, 8), "int32", "int"),))], "method")
add(f"{M}.int", [V("from float32", (X4,))], "method")
add(f"{M}.long", [V("from float32", (X4,))], "method")
add(f"{M}.half", [V("from float32", (X4,))], "method")
add(f"{M}.bool", [V("from int32", (T((2, 3, 8, 8), "int32", "int"),))], "method")
add(f"{M}.double", [V("from float32", (X4,))], "method")
add(f"{M}.to", [V("dtype float16", (X4, torch.float16)), V("dtype int32", (X4, torch.int32))], "method")
add(f"{M}.type_as", [V("int32 like float", (T((2, 3, 8, 8), "int32", "int"), X4))], "method")
add(f"{M}.where", [V("x.where(cond, y)", (X4, T((2, 3, 8, 8), "bool", "bool"), X4))], "method")
add(f"{M}.masked_fill", [V("bool mask, 0.0", (X4, T((2, 3, 8, 8), "bool", "bool"), 0.0))], "method")
add(f"{M}.new_zeros", [V("shape (4, 4)", (X4, (4, 4)))], "method")
add(f"{M}.new_ones", [V("shape (4, 4)", (X4, (4, 4)))], "method")
add(f"{M}.new_full", [V("shape (4, 4)", (X4, (4, 4), 2.0))], "method")
add(f"{M}.new_tensor", [V("list", (X4, [1.0, 2.0]))], "method")
add(f"{M}.__getitem__", [V("basic slice [:, 1:, ::2]", (X4, (slice(None), slice(1, None), slice(None, None, 2)))),
                         V("integer index [0]", (X4, 0)),
                         V("None index [:, None]", (X4, (slice(None), None))),
                         V("bool mask", (X4, T((2, 3, 8, 8), "bool", "bool"))),
                         V("int64 index tensor", (X4, T((3,), "int64", "idx:2", const=True)))], "method")
add(f"{M}.__setitem__", [V("slice = 0.0", (X4, (slice(None), 0), 0.0))], "method")
add(f"{M}.index_put", [V("accumulate=False", (X4, (T((2,), "int64", "idx:2", const=True),), T((2, 3, 8, 8))))], "method")
add(f"{M}.sum_to_size", [V("(1, 3, 1, 8)", (X4, 1, 3, 1, 8))], "method")
add(f"{M}.item", [V("after sum, used as a tensor", (X4,))], "method")
add(f"{M}.tolist", [V("in forward", (X4,))], "method")
add(f"{M}.numpy", [V("in forward", (X4,))], "method")

# ---- creation ops called inside forward ------------------------------------------------------

# The last argument is a module input the created tensor is added to, so the graph has one.
add("torch.arange", [V("arange(8) + x", (8, T((8,))))])
add("torch.zeros", [V("zeros(2, 3, 8, 8) + x", ((2, 3, 8, 8), X4))])
add("torch.ones", [V("ones(2, 3, 8, 8) + x", ((2, 3, 8, 8), X4))])
add("torch.full", [V("full(.., 2.5) + x", ((2, 3, 8, 8), 2.5, X4))])
add("torch.eye", [V("eye(8) + x", (8, T((8, 8))))])
add("torch.linspace", [V("0..1, 8 steps + x", (0.0, 1.0, 8, T((8,))))])
add("torch.logspace", [V("0..1, 8 steps + x", (0.0, 1.0, 8, T((8,))))])
add("torch.tril_indices", [V("4x4 + x", (4, 4, T((2, 10), "int64", "int")))])
add("torch.triu_indices", [V("4x4 + x", (4, 4, T((2, 10), "int64", "int")))])
CREATION = {"torch.arange", "torch.zeros", "torch.ones", "torch.full", "torch.eye", "torch.linspace", "torch.logspace",
            "torch.tril_indices", "torch.triu_indices"}


# ---- enumeration --------------------------------------------------------------------------------


def resolve(name: str) -> Any:
    """The object a qualified name denotes in the installed torch, or None."""
    parts = name.split(".")
    obj: Any = torch
    for part in parts[1:]:
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _first_is_tensor(variants: list[Variant]) -> bool:
    return bool(variants) and all(v.args and isinstance(v.args[0], T) for v in variants)


@dataclass
class _Lazy:
    hand: dict[str, Recipe] | None = None
    built: dict[str, Recipe] | None = None


_CACHE = _Lazy()


def hand_recipes() -> dict[str, Recipe]:
    """The recipes written in this file whose target exists in the installed torch, plus the
    mirrored Tensor methods."""
    if _CACHE.hand is not None:
        return _CACHE.hand
    built: dict[str, Recipe] = {}
    for name, (kind, variants) in REGISTRY.items():
        if name in ("torch.Tensor.__getitem__", "torch.Tensor.__setitem__", "torch.Tensor.item",
                    "torch.Tensor.tolist", "torch.Tensor.numpy"):
            target: Any = name
        else:
            target = resolve(name)
        if target is None or not variants:
            continue
        built[name] = Recipe(name, kind, target, variants)
    for name, (_kind, variants) in REGISTRY.items():
        short = name.split(".")[-1]
        if not name.startswith("torch.") or name.count(".") != 1 or name in CREATION:
            continue
        method = f"torch.Tensor.{short}"
        if method in built or not _first_is_tensor(variants) or not hasattr(torch.Tensor, short):
            continue
        built[method] = Recipe(method, "method", getattr(torch.Tensor, short), variants)
    _CACHE.hand = dict(sorted(built.items()))
    return _CACHE.hand


def recipes() -> dict[str, Recipe]:
    """Every recipe: the hand-written ones, then recipes derived by rule for the public names
    they leave unmeasured (`torch_derived`: in-place and `_copy` twins, OpInfo and ModuleInfo
    samples)."""
    if _CACHE.built is not None:
        return _CACHE.built
    from tools.probes.torch_derived import derived_recipes

    built = dict(hand_recipes())
    for name, recipe in derived_recipes(built).items():
        built.setdefault(name, recipe)
    _CACHE.built = dict(sorted(built.items()))
    return _CACHE.built


def public_names() -> list[str]:
    """Public callables the installed torch exposes in the namespaces we cover (for coverage)."""
    found: list[str] = []
    spaces = {"torch": torch, "torch.nn.functional": torch.nn.functional, "torch.linalg": torch.linalg,
              "torch.fft": torch.fft, "torch.special": torch.special}
    for prefix, module in spaces.items():
        for short in dir(module):
            if not short.startswith("_") and callable(getattr(module, short, None)):
                found.append(f"{prefix}.{short}")
    for short in dir(torch.Tensor):
        if not short.startswith("_"):
            found.append(f"torch.Tensor.{short}")
    for short in dir(torch.nn):
        obj = getattr(torch.nn, short)
        if inspect.isclass(obj) and issubclass(obj, torch.nn.Module):
            found.append(f"torch.nn.{short}")
    return sorted(set(found))


_SIGNATURE = re.compile(r"^\s*(?:[\w.]+\.)?(\w+)\((.*?)\)")


def params(recipe: Recipe) -> list[str] | None:
    """Names of the positional parameters, by inspect or from the docstring's first line."""
    target = recipe.target
    if isinstance(target, str):
        return None
    if recipe.kind == "layer":
        target = target.__init__
    try:
        signature = inspect.signature(target)
        names = [p.name for p in signature.parameters.values()
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if not (len(signature.parameters) == 2 and {p.kind for p in signature.parameters.values()}
                == {inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD}):
            if recipe.kind == "layer" and names[:1] == ["self"]:
                names = names[1:]
            return names or None
    except (TypeError, ValueError):
        pass
    doc = (getattr(target, "__doc__", None) or "").strip()
    match = _SIGNATURE.match(doc)
    if not match:
        return None
    names = []
    for part in match.group(2).split(","):
        part = part.strip()
        if not part or part.startswith("*"):
            break
        names.append(part.split("=")[0].split(":")[0].strip())
    if recipe.kind == "method" and names[:1] != ["self"]:
        names.insert(0, "self")
    return [n for n in names if n.isidentifier()] or None
