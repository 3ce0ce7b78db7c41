"""Usage-aware verdicts: which outputs of a call are used, and the input's rank, pick the
measured variant (issue #10, item 3). The variants themselves are measured by the probes
(`tools/probes/torch_recipes.py`: topk by outputs used, F.pad by rank, interpolate antialias)."""

from __future__ import annotations

import ast
import textwrap

import pytest

from litert_lsp import kb
from litert_lsp.analysis import analyze
from litert_lsp.analysis.torch import kb_verdict
from litert_lsp.analysis.torch.usage import CallSite, FunctionUsage


def model(body: str) -> str:
    return ("import torch\nfrom torch import nn\nimport torch.nn.functional as F\n\n\n"
            "class M(nn.Module):\n    def forward(self, x):\n" + textwrap.indent(textwrap.dedent(body), "        "))


def findings(body: str) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in analyze(model(body))]


# ---- the call site, read from the function --------------------------------------------------


def _usage_of(source: str) -> tuple[FunctionUsage, list[ast.Call]]:
    function = ast.parse(textwrap.dedent(source)).body[0]
    calls = [n for n in ast.walk(function) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Attribute) and n.func.attr == "topk"]
    return FunctionUsage(function), sorted(calls, key=lambda c: c.lineno)


@pytest.mark.parametrize("line, used", [
    ("a = torch.topk(x, 3)[0]", {0}),
    ("a = torch.topk(x, 3)[1]", {1}),
    ("a = torch.topk(x, 3).values", {0}),
    ("a = x.topk(3).indices", {1}),
    ("v, _ = torch.topk(x, 3)", {0}),
    ("v, never_read = torch.topk(x, 3)", {0}),
    ("v, i = torch.topk(x, 3)", {0, 1}),
    ("r = torch.topk(x, 3)", {0}),  # read only as r[0] below
])
def test_outputs_used_is_read_from_the_call_site(line: str, used: set[int]):
    usage, calls = _usage_of(f"def f(x):\n    {line}\n    return {_reads(line)}\n")
    assert usage.outputs_used(calls[0]) == frozenset(used)


def _reads(line: str) -> str:
    target = line.split("=", maxsplit=1)[0].strip()
    if target.startswith("r"):
        return "r[0]"
    return " + ".join(n.strip() for n in target.split(",") if n.strip() not in ("_", "never_read"))


@pytest.mark.parametrize("source", [
    "def f(x):\n    return torch.topk(x, 3)\n",
    "def f(x):\n    r = torch.topk(x, 3)\n    return g(r)\n",
    "def f(x):\n    return g(torch.topk(x, 3))\n",
    "def f(x):\n    for t in torch.topk(x, 3):\n        pass\n",
])
def test_an_unknown_use_is_none(source: str):
    usage, calls = _usage_of(source)
    assert usage.outputs_used(calls[0]) is None


@pytest.mark.parametrize("source, rank", [
    ("def f(x):\n    h = x.reshape(1, 2, 2, 3, 4, 4)\n    return F.pad(h, (1, 1))\n", 6),
    ("def f(x):\n    h = x.view((1, 2, 3, 4, 4))\n    return F.pad(h, (1, 1))\n", 5),
    ("def f(x):\n    h = x.permute(0, 2, 1, 3)\n    return F.pad(h, (1, 1))\n", 4),
    ("def f(x):\n    return F.pad(x.reshape(1, 2, 2, 3, 4, 4), (1, 1))\n", 6),
    ("def f(x):\n    return F.pad(x, (1, 1))\n", None),
    ("def f(x, shape):\n    h = x.view(shape)\n    return F.pad(h, (1, 1))\n", None),
    ("def f(x):\n    h = x.reshape(1, 2, 2, 3, 4, 4)\n    h += 1\n    return F.pad(h, (1, 1))\n", None),
])
def test_rank_is_known_only_when_the_source_fixes_it(source: str, rank: int | None):
    function = ast.parse(source).body[0]
    usage = FunctionUsage(function)
    pad = next(n for n in ast.walk(function) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "pad")
    assert usage.rank(pad.args[0], pad.lineno) == rank


# ---- the verdict's variant choice, on a synthetic entry --------------------------------------


def _entry(variants: list[dict]) -> kb.Entry:
    return kb.Entry({"framework": "torch", "name": "torch.op", "status": "conditional", "params": ["input"],
                     "condition": "some fail", "variants": variants})


def _call() -> ast.Call:
    return ast.parse("torch.op(x)").body[0].value


USAGE_VARIANTS = [
    {"label": "both", "kwargs": {}, "rank": 4, "status": "supported", "outputs_used": None},
    {"label": "values only", "kwargs": {}, "rank": 4, "status": "runtime_fails", "outputs_used": [0],
     "reason": "no kernel"},
    {"label": "indices only", "kwargs": {}, "rank": 4, "status": "supported", "outputs_used": [1]},
]


def test_the_used_outputs_pick_the_variant():
    entry = _entry(USAGE_VARIANTS)
    found = kb_verdict.verdict(entry, "torch.op", _call(), False, CallSite(frozenset({0})))
    assert found is not None and found.code == "LRT104" and "using only output 0" in found.message
    assert kb_verdict.verdict(entry, "torch.op", _call(), False, CallSite(frozenset({1}))) is None
    assert kb_verdict.verdict(entry, "torch.op", _call(), False, CallSite(frozenset({0, 1}))) is None


def test_an_unknown_use_counts_as_all_outputs_used():
    entry = _entry(USAGE_VARIANTS)
    assert kb_verdict.verdict(entry, "torch.op", _call(), False, CallSite()) is None
    assert kb_verdict.verdict(entry, "torch.op", _call(), False, None) is None


RANK_VARIANTS = [
    {"label": "4-D", "kwargs": {}, "rank": 4, "status": "supported"},
    {"label": "6-D", "kwargs": {}, "rank": 6, "status": "lowering_fails", "reason": "at most 5-D"},
]


def test_a_known_rank_picks_the_variant_and_an_unknown_one_is_a_usual_rank():
    entry = _entry(RANK_VARIANTS)
    failing = kb_verdict.verdict(entry, "torch.op", _call(), False, CallSite(input_rank=6))
    assert failing is not None and failing.code == "LRT103" and "6-D input" in failing.message
    assert kb_verdict.verdict(entry, "torch.op", _call(), False, CallSite(input_rank=4)) is None
    # Unknown rank: model tensors are at most 5-D unless the source shows otherwise, and
    # every rank up to 5 was measured to work: no warning on every call.
    assert kb_verdict.verdict(entry, "torch.op", _call(), False, CallSite()) is None
    # A usual rank the source fixes but no probe measured (3-D; probes at 4-D and 6-D): as unknown.
    assert kb_verdict.verdict(entry, "torch.op", _call(), False, CallSite(input_rank=3)) is None
    # An unusual rank no probe measured (7-D) is not guessed: it may fail as 6-D does.
    seven = kb_verdict.verdict(entry, "torch.op", _call(), False, CallSite(input_rank=7))
    assert seven is not None and seven.code == "LRT106"


# ---- end to end, on the measured knowledge base ----------------------------------------------


def _measured(name: str, label: str) -> dict:
    entry = kb.lookup(name, "torch")
    assert entry is not None
    return next(v for v in entry.variants if v["label"] == label)


def test_the_knowledge_base_measured_topk_by_outputs_used():
    assert _measured("torch.topk", "k=3 last dim values only")["outputs_used"] == [0]
    assert _measured("torch.topk", "k=3 last dim values only")["status"] == "runtime_fails"
    assert _measured("torch.topk", "k=3 last dim (values, indices)")["status"] == "supported"


@pytest.mark.parametrize("body", [
    "return torch.topk(x, 3)[0]\n",
    "return torch.topk(x, 3).values\n",
    "v, _ = torch.topk(x, 3)\nreturn v\n",
    "v, idx = x.topk(3, dim=1)\nreturn v\n",
    "r = torch.topk(x, 3)\nreturn r[0] * 2\n",
])
def test_topk_values_alone_is_an_error(body: str):
    assert findings(body) == [(8, "LRT104")]


def test_topk_values_alone_offers_the_verified_gather():
    message = analyze(model("return torch.topk(x, 3).values\n"))[0].message
    assert "Instead:" in message and "gather" in message


@pytest.mark.parametrize("body", [
    "v, i = torch.topk(x, 3)\nreturn v, i\n",
    "return torch.topk(x, 3)\n",
    "return torch.topk(x, 3).indices\n",
    "r = torch.topk(x, 3)\nreturn r.values + r.indices\n",
    "return x.max(dim=1)[0]\n",
])
def test_topk_with_the_indices_used_or_an_unknown_use_is_quiet(body: str):
    assert findings(body) == []


def test_pad_beyond_five_dims_is_an_error_when_the_rank_is_known():
    assert findings("h = x.reshape(1, 2, 2, 3, 4, 4)\nreturn F.pad(h, (1, 1))\n") == [(9, "LRT103")]
    assert findings("h = x.reshape(1, 2, 3, 4, 4)\nreturn F.pad(h, (1, 1))\n") == []
    assert findings("return F.pad(x, (1, 1))\n") == []  # rank unknown: a usual (<= 5-D) one


@pytest.mark.parametrize("mode", ["bicubic", "bilinear"])
def test_interpolate_antialias_is_an_error_from_its_literal_keywords(mode: str):
    assert findings(f"return F.interpolate(x, size=(4, 4), mode={mode!r}, antialias=True)\n") == [(8, "LRT102")]
    assert findings(f"return F.interpolate(x, scale_factor=0.5, mode={mode!r})\n") == []
    assert findings(f"return F.interpolate(x, size=(4, 4), mode={mode!r}, antialias=False)\n") == []


def test_keywords_probed_apart_combine_in_one_call():
    # `align_corners=True` was probed with bilinear only, `antialias=True` without it: a call
    # passing both with another mode is judged by the most specific measured variant.
    assert findings("return F.interpolate(x, (4, 4), mode='bicubic', align_corners=True)\n") == []
    assert findings("return F.interpolate(x, size=(4, 4), mode='bicubic', antialias=True, align_corners=True)\n") == [
        (8, "LRT102")]
    assert findings("return F.interpolate(x, size=(4, 4))\n") == []


# ---- ranks carried from a shape unpacking through rank-keeping layers and functions ---------

HALO = """\
import torch
import torch.nn.functional as F
from torch import nn


class Halo(nn.Module):
    def __init__(self, dim, pool):
        super().__init__()
        self.kv = nn.Conv2d(dim, dim, 1)
        self.pool = nn.AvgPool2d(2, 2) if pool else nn.Identity()
        self.mixer = make_mixer(dim)

    def forward(self, x):
        B, C, H, W = x.shape
        kv = self.kv(x)
        kv = F.pad(kv, [1, 1, 1, 1]) * 2.0
        windows = kv.unfold(2, 3, 1)
        pooled = self.pool(x.float()).unfold(2, 2, 2)
        mixed = self.mixer(x).unfold(2, 2, 2)
        return windows, pooled, mixed
"""


def _line_of(source: str, text: str) -> int:
    return next(i for i, line in enumerate(source.splitlines(), 1) if text in line)


def test_a_rank_unpacked_from_the_shape_follows_layers_pads_and_arithmetic():
    found = {(f.line, f.code) for f in analyze(HALO) if f.op == "torch.Tensor.unfold"}
    # x is 4-D (B, C, H, W = x.shape); a Conv2d, F.pad and `* 2.0` keep the rank, so is
    # kv; both branches of the pool keep it; `make_mixer`'s layer is unknown: no rank.
    assert (_line_of(HALO, "windows = kv.unfold"), "LRT103") in found
    assert (_line_of(HALO, "pooled = self.pool"), "LRT103") in found
    assert (_line_of(HALO, "mixed = self.mixer"), "LRT103") not in found


@pytest.mark.parametrize("source, rank", [
    ("def f(x):\n    a, b, c = x.shape\n    return F.pad(x, (1, 1))\n", 3),
    ("def f(x):\n    n, c, h, w = x.size()\n    return F.pad(x, (1, 1))\n", 4),
    ("def f(x):\n    n, *rest = x.shape\n    return F.pad(x, (1, 1))\n", None),  # any rank >= 1
    ("def f(x):\n    a, b, c = x.shape\n    x = g(x)\n    return F.pad(x, (1, 1))\n", None),  # rebound by a call
    ("def f(x):\n    a, b, c = x.shape\n    for x in xs:\n        pass\n    return F.pad(x, (1, 1))\n", None),
    ("def f(x):\n    y = x.relu()\n    a, b = x.shape\n    return F.pad(y, (1, 1))\n", None),  # unpacked after y
])
def test_a_shape_unpacking_fixes_the_rank_until_the_name_is_rebound(source: str, rank: int | None):
    function = ast.parse(source).body[0]
    usage = FunctionUsage(function)
    pad = next(n for n in ast.walk(function) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "pad")
    assert usage.rank(pad.args[0], pad.lineno) == rank
