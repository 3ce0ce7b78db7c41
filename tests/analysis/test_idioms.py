"""Idiom findings (issue #10, item 5): grouped-query attention's K/V widening (LRT206), with
the evidence the idiom probe measured (`python -m tools.probes.torch_idioms`)."""

from __future__ import annotations

import textwrap

import pytest

from litert_lsp.analysis import analyze
from litert_lsp.analysis.torch.rules import lrt206_gqa_kv_widening as rule
from litert_lsp.core.findings import Severity
from litert_lsp.kb import idioms

HEADER = "import torch\nfrom torch import nn\nimport torch.nn.functional as F\n\n\n"


def findings(source: str) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in analyze(HEADER + textwrap.dedent(source))]


def attention(body: str) -> str:
    return "class A(nn.Module):\n    def forward(self, q, k, v):\n" + textwrap.indent(textwrap.dedent(body), "        ")


# ---- the measurement -------------------------------------------------------------------------


def test_the_probe_measured_every_widening_spelling_wrong_and_the_controls_exact():
    record = idioms.idiom("gqa_kv_widening")
    assert record is not None and record["status"] == "wrong_numbers"
    roles = {s["label"]: (s["role"], s["status"]) for s in record["spellings"]}
    assert {label for label, (role, _) in roles.items() if role == "widening"} >= {
        "expand_reshape", "repeat", "repeat_interleave", "enable_gqa", "explicit_widened"}
    assert all(status == "wrong_numbers" for role, status in roles.values() if role == "widening")
    assert all(status == "supported" for role, status in roles.values() if role in ("control", "rewrite"))
    assert idioms.verified_rewrite(record) is not None
    low, high = record["rel_to_scale_error_range"]
    assert 0.01 < low <= high


# ---- recognizing the widening ---------------------------------------------------------------

REPEAT_KV = '''
def repeat_kv(hidden_states, n_rep):
    batch, num_key_value_heads, slen, head_dim = hidden_states.shape
    if n_rep == 1:
        return hidden_states
    hidden_states = hidden_states[:, :, None, :, :].expand(batch, num_key_value_heads, n_rep, slen, head_dim)
    return hidden_states.reshape(batch, num_key_value_heads * n_rep, slen, head_dim)


class A(nn.Module):
    def forward(self, q, k, v):
        k = repeat_kv(k, 2)
        v = repeat_kv(v, 2)
        return F.scaled_dot_product_attention(q, k, v)
'''


def test_a_repeat_kv_helper_is_reported_at_its_widening_line():
    assert findings(REPEAT_KV) == [(12, "LRT206")]


@pytest.mark.parametrize("body", [
    "k = k.repeat_interleave(2, dim=1)\nreturn F.scaled_dot_product_attention(q, k, v)\n",
    "k = torch.repeat_interleave(k, 2, dim=1)\nreturn F.scaled_dot_product_attention(q, k, v)\n",
    "k = k.repeat(1, 2, 1, 1)\nreturn (q @ k.transpose(-1, -2)).softmax(-1) @ v\n",
    "k = k.unsqueeze(2).expand(1, 1, 2, 6, 4)\nk = k.reshape(1, 2, 6, 4)\nreturn torch.matmul(q, k.transpose(-1, -2))\n",
    "return F.scaled_dot_product_attention(q, k, v, enable_gqa=True)\n",
])
def test_each_measured_spelling_is_reported(body: str):
    found = analyze(HEADER + attention(body))
    assert [f.code for f in found] == ["LRT206"]
    assert found[0].severity == Severity.ERROR


@pytest.mark.parametrize("body", [
    # as many KV heads as query heads, or the broadcast formulation: measured exact
    "return F.scaled_dot_product_attention(q, k, v)\n",
    ("qg = q.view(1, 1, 2, 6, 4)\nw = (qg @ k.unsqueeze(2).transpose(-1, -2)) * 0.5\n"
     "return (w.softmax(-1) @ v.unsqueeze(2)).reshape(1, 2, 6, 4)\n"),
    # widening-like calls whose result never reaches attention
    "rgb = v.repeat(1, 3, 1, 1)\nreturn rgb + 1\n",
    "w = v.repeat_interleave(2, dim=1)\nreturn w.sum() + q\n",
    "w = v.repeat_interleave(2, dim=2)\nreturn F.scaled_dot_product_attention(q, k, w)\n",
    "return F.scaled_dot_product_attention(q, k, v, enable_gqa=False)\n",
])
def test_other_constructs_are_quiet(body: str):
    assert [f.code for f in analyze(HEADER + attention(body))] == []


def test_the_message_carries_the_measured_evidence_and_the_verified_rewrite():
    record = idioms.idiom("gqa_kv_widening")
    message = analyze(HEADER + attention("return F.scaled_dot_product_attention(q, k, v, enable_gqa=True)\n"))[0].message
    low, high = record["rel_to_scale_error_range"]
    assert f"{low:.2g} to {high:.2g}" in message
    assert "Instead:" in message and "broadcast" in message and "verified" in message


def test_nothing_is_reported_when_the_idiom_was_measured_to_work(monkeypatch):
    record = dict(idioms.idiom("gqa_kv_widening"), status="supported")
    monkeypatch.setattr(rule.idioms, "idiom", lambda name, framework="torch": record)
    assert findings(attention("return F.scaled_dot_product_attention(q, k, v, enable_gqa=True)\n")) == []


def test_an_unverified_rewrite_is_not_offered(monkeypatch):
    record = dict(idioms.idiom("gqa_kv_widening"))
    record["rewrite"] = dict(record["rewrite"], verified=False)
    monkeypatch.setattr(rule.idioms, "idiom", lambda name, framework="torch": record)
    message = analyze(HEADER + attention("return F.scaled_dot_product_attention(q, k, v, enable_gqa=True)\n"))[0].message
    assert "broadcast" not in message and "Instead:" in message


def test_a_returned_repeat_interleave_is_token_upsampling_not_kv_widening():
    # Funnel's `upsample` helper repeats tokens (dim=1 of a (batch, tokens, ...) tensor) and
    # returns them; that converts and runs exactly. Only the expand+reshape spelling of
    # `repeat_kv` counts when merely returned.
    source = (
        "def upsample(x, stride):\n"
        "    output = torch.repeat_interleave(x, repeats=stride, dim=1)\n"
        "    return output\n\n\n"
        "class A(nn.Module):\n"
        "    def forward(self, x):\n"
        "        return upsample(x, 2)\n"
    )
    assert findings(source) == []
