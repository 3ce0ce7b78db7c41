"""LRT204: an op whose output size depends on tensor values (nonzero, unique, one-argument
torch.where, repeat_interleave with tensor repeats, ...) and that the knowledge base does
not already judge.

Why: torch.export and LiteRT need static shapes.
"""

from __future__ import annotations

from litert_lsp.core import codes

CODE = codes.LRT204


def message(subject: str) -> str:
    """`subject` is how the op is shown: "`torch.nonzero`" or a longer label."""
    return (
        f"{subject} returns a tensor whose size depends on the input's values: torch.export and "
        "LiteRT need static shapes, so it cannot be exported or converted. Instead: use "
        "fixed-size formulations (torch.where(mask, a, b), a mask multiply, topk with a fixed k)."
    )
