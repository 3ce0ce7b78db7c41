"""The PyTorch analyzer's value kinds: static Python values (sizes, shapes, config fields),
constant tensors (built only from static values) and input-dependent tensors, and the
knowledge-base variants they pick (`operands`: a plain-number operand converts where a
tensor one fails; constants are folded only where the probe measured it).

The snippets are modeled on real model code (DETR/XCiT sine position embeddings, timm's
`feat_shape` grids); each case failed before the analyzer knew the kinds."""

from __future__ import annotations

import ast
import textwrap

import pytest

from litert_lsp import kb
from litert_lsp.analysis import analyze
from litert_lsp.analysis.torch import kb_verdict

HEAD = "import math\nfrom typing import List, Tuple\nimport torch\nfrom torch import nn\n\n"


def codes(source: str) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in analyze(textwrap.dedent(source))]


def forward(body: str, init: str = "pass", signature: str = "self, x") -> str:
    """`class M(nn.Module)` with the given `__init__` body and `forward` body (line 12 on
    for a one-line `__init__` body)."""
    return HEAD + (
        "class M(nn.Module):\n"
        "    def __init__(self, dim=64, temperature=10000, config=None):\n"
        "        super().__init__()\n"
        + textwrap.indent(textwrap.dedent(init), "        ") + "\n\n"
        f"    def forward({signature}):\n"
        + textwrap.indent(textwrap.dedent(body), "        ")
    )


def measured(name: str, label: str) -> dict:
    """The measured variant `label` of `name`: these tests rely on the probe's data, not on
    what we expect the converter to do."""
    entry = kb.lookup(name, "torch")
    assert entry is not None, f"{name} is not in the knowledge base"
    for variant in entry.variants:
        if variant.get("label") == label:
            return variant
    pytest.fail(f"{name} has no measured variant {label!r}: re-probe it (python -m tools.probes --only {name})")


# ---- operand kinds pick the measured variant ------------------------------------------------


def test_floor_division_by_a_number_converts_and_by_a_tensor_fails_as_measured():
    assert measured("torch.div", "rounding_mode=floor, scalar divisor")["status"] == "supported"
    assert measured("torch.div", "rounding_mode=floor")["status"] == "lowering_fails"


def test_sine_position_embedding_floor_division_by_a_number_is_silent():
    # DETR / XCiT / EdgeNeXt: the divisor is the literal 2 (error 0 when converted).
    source = forward(
        """\
        dim_t = torch.arange(self.dim, dtype=torch.float32, device=x.device)
        dim_t = self.temperature ** (2 * torch.div(dim_t, 2, rounding_mode="floor") / self.dim)
        half = x.div(2, rounding_mode="floor")
        return x[..., None] / dim_t + half[..., None]
        """,
        init="self.dim = dim\nself.temperature = temperature",
    )
    assert codes(source) == []


def test_floor_division_by_a_static_attribute_or_size_is_silent():
    source = forward(
        """\
        groups = x.shape[-1] // 4
        a = torch.div(x, self.scale, rounding_mode="floor")
        b = torch.div(x, groups, rounding_mode="floor")
        return a + b
        """,
        init="self.scale = dim ** -0.5",
    )
    assert codes(source) == []


def test_floor_division_by_an_input_tensor_is_flagged():
    source = forward(
        """\
        a = torch.div(x, y, rounding_mode="floor")
        b = x.div(y + 1, rounding_mode="floor")
        return a + b
        """,
        signature="self, x, y",
    )
    assert codes(source) == [(12, "LRT103"), (13, "LRT103")]


def test_floor_divide_function_by_number_and_by_tensor():
    measured("torch.floor_divide", "scalar divisor")
    source = forward(
        """\
        a = torch.floor_divide(x, 2)
        b = torch.floor_divide(x, x + 1)
        return a + b
        """
    )
    assert codes(source) == [(13, "LRT103")]


def test_constant_operands_follow_the_measurement_not_an_assumption():
    # Measured: the converter folds tf.BitwiseAnd on constants (runs), but not
    # mhlo.round_nearest_afz (floor division of constant tensors still fails).
    assert measured("torch.bitwise_and", "int32, constant tensors")["status"] == "supported"
    assert measured("torch.floor_divide", "constant tensors")["status"] == "lowering_fails"
    source = forward(
        """\
        ids = torch.arange(8)
        mask = torch.bitwise_and(ids, torch.ones(8, dtype=torch.long))
        steps = torch.floor_divide(torch.arange(8.0), torch.arange(1.0, 9.0))
        return x + mask + steps
        """
    )
    assert codes(source) == [(14, "LRT103")]


def test_bitwise_on_an_input_tensor_is_still_flagged():
    source = forward(
        """\
        ids = torch.arange(8)
        a = torch.bitwise_and(x.long(), 3)
        b = torch.bitwise_and(x.long(), ids)
        return a + b
        """
    )
    assert codes(source) == [(13, "LRT103"), (14, "LRT103")]


# ---- static Python values ---------------------------------------------------------------------


def test_feat_shape_ints_reassigned_by_a_local_helper_are_not_tensors():
    # timm's pos_embed_sincos: `feat_shape = swap_shape_xy(feat_shape)` then float(s).
    source = HEAD + textwrap.dedent(
        """\
        def swap_shape_xy(seq: List[int]) -> List[int]:
            if len(seq) < 2:
                return seq
            return [seq[1], seq[0]] + list(seq[2:])


        def grid(feat_shape: List[int], indexing: str = "xy"):
            if indexing == "xy":
                feat_shape = swap_shape_xy(feat_shape)
            denom = [float(s) for s in feat_shape]
            biggest = float(max(feat_shape))
            t = [torch.arange(0.5, s) / d / biggest for s, d in zip(feat_shape, denom)]
            return torch.stack(torch.meshgrid(t, indexing="ij"), dim=-1)


        class M(nn.Module):
            def forward(self, x):
                return x + grid(list(x.shape[-2:]))
        """
    )
    assert codes(source) == []


def test_sizes_in_conditions_and_conversions_are_static():
    source = forward(
        """\
        dim = x.size(-1)
        if dim % 2:
            x = x[..., :-1]
        n = int(math.sqrt(x.shape[1]))
        for i in range(len(x.shape)):
            n = n + int(i)
        return x * float(n) * self.config.hidden_size
        """
    )
    assert codes(source) == []


def test_tensor_values_still_reach_lrt201_and_lrt202():
    source = forward(
        """\
        total = x.sum()
        if total % 2:
            x = x + 1
        scale = float(total)
        return x * scale
        """
    )
    assert codes(source) == [(13, "LRT201"), (15, "LRT202")]


def test_a_loop_over_an_unknown_value_stays_as_it_was():
    # Nothing says what `helper` returns: its items keep today's reading (a tensor when
    # the helper got one), never "static".
    source = HEAD + textwrap.dedent(
        """\
        def helper(t):
            return t.split(2)


        class M(nn.Module):
            def forward(self, x):
                return [float(s) for s in helper(x)]
        """
    )
    assert codes(source) == [(12, "LRT202")]


# ---- the variant choice itself --------------------------------------------------------------------


def _entry(*variants: dict) -> kb.Entry:
    return kb.Entry({"framework": "torch", "name": "torch.fake", "status": "conditional",
                     "params": ["input", "other"], "variants": list(variants)})


def test_operands_pick_a_variant_and_constants_fall_back_to_tensors():
    entry = _entry(
        {"label": "tensors", "operands": ["tensor", "tensor"], "status": "lowering_fails"},
        {"label": "scalar", "operands": ["tensor", "scalar"], "status": "supported"},
        {"label": "constants", "operands": ["const", "const"], "status": "supported"},
    )
    call = ast.parse("torch.fake(a, b)").body[0].value
    assert kb_verdict.has_operand_variants(entry)

    def decided(operands):
        return kb_verdict._decide_variant(entry, call, False, None, operands)[0]

    assert decided(["tensor", "scalar"]) == "supported"
    assert decided(["tensor", "tensor"]) == "lowering_fails"
    assert decided(["const", "const"]) == "supported"
    assert decided(["const", "tensor"]) == "lowering_fails"  # an input beside a constant
    assert decided([None, None]) is None  # unknown: cannot tell, as before


def test_a_pure_helper_on_sizes_gives_sizes():
    # An unannotated helper that only does arithmetic: on ints it returns ints, so a loop
    # over its result is over ints (before: "maybe a tensor", items read as tensors).
    source = HEAD + textwrap.dedent(
        """\
        def out_size(size, patch):
            return [(s + patch - 1) // patch for s in size]


        class M(nn.Module):
            def forward(self, x):
                grid = out_size(x.shape[-2:], 4)
                scale = [float(g) for g in grid]
                return x * scale[0]
        """
    )
    assert codes(source) == []


def test_buffers_registered_in_init_are_constant_operands():
    # Buffers are what the probe's constant operands are: bitwise_and on two of them was
    # measured to convert (folded); on an input tensor it fails.
    source = forward(
        """\
        folded = torch.bitwise_and(self.ids, self.bits)
        kept = torch.bitwise_and(x.long(), self.bits)
        return folded + kept
        """,
        init='self.register_buffer("ids", torch.arange(8))\nself.register_buffer("bits", torch.ones(8, dtype=torch.long))',
    )
    assert codes(source) == [(14, "LRT103")]
