"""Where a numerical mismatch starts (#12): a model whose grouped-query attention converts and
runs with wrong numbers (measured: widening one KV head to two query heads) is searched by
converting its submodules alone on their recorded inputs; the culprit is the attention block,
reported on its class line, while the blocks around it agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from litert_lsp.jobs.job import ExportRequest

pytestmark = pytest.mark.slow

MODEL = """\
import torch
from torch import nn
import torch.nn.functional as F


class Attention(nn.Module):
    def __init__(self, dim: int = 16, heads: int = 2, kv_heads: int = 1):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, dim // heads
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, self.head_dim * kv_heads)
        self.v = nn.Linear(dim, self.head_dim * kv_heads)
        self.o = nn.Linear(dim, dim)

    def forward(self, x):
        b, t, _ = x.shape
        q = self.q(x).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        k = self.k(x).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v(x).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        k = k.repeat_interleave(self.heads // self.kv_heads, dim=1)
        v = v.repeat_interleave(self.heads // self.kv_heads, dim=1)
        out = F.scaled_dot_product_attention(q, k, v)
        return self.o(out.transpose(1, 2).reshape(b, t, -1))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = nn.LayerNorm(16)
        self.attn = Attention()
        self.mlp = nn.Sequential(nn.Linear(16, 32), nn.GELU(), nn.Linear(32, 16))

    def forward(self, x):
        x = x + self.attn(self.norm(x))
        return x + self.mlp(x)


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(8, 16)
        self.block = Block()
        self.head = nn.Linear(16, 4)

    def forward(self, x):
        return self.head(self.block(self.embed(x)))
"""


def test_the_mismatch_is_traced_to_the_attention_block(warm_worker, tmp_path: Path) -> None:
    source = tmp_path / "gqa.py"
    source.write_text(MODEL, encoding="utf-8")
    request = ExportRequest(source=str(source), model="Tiny", input_shapes=[[1, 6, 8]], write_output=False,
                            workspace=str(tmp_path))
    result = warm_worker.export(request, timeout=400)
    assert result.status == "mismatch"
    culprit = result.details["culprit"]
    assert culprit["module"] == "block.attn" and culprit["class"] == "Attention"
    assert culprit["rel_error"] > 1e-2
    assert "the mismatch starts in `block.attn` (Attention, gqa.py:6)" in result.message
    assert [(Path(f.path).name, f.line, f.stage) for f in result.failures] == [("gqa.py", 6, "verify")]


def test_without_a_search_the_verdict_alone(warm_worker, tmp_path: Path) -> None:
    source = tmp_path / "gqa.py"
    source.write_text(MODEL, encoding="utf-8")
    request = ExportRequest(source=str(source), model="Tiny", input_shapes=[[1, 6, 8]], write_output=False,
                            workspace=str(tmp_path), find_culprit=False)
    result = warm_worker.export(request, timeout=400)
    assert result.status == "mismatch" and "culprit" not in result.details and not result.failures
