"""LRT205: random sampling that still runs after eval() (torch.rand*, Tensor.bernoulli_,
F.dropout with its default training=True, ...).

Why: LiteRT has no random ops for it (the lowering fails), and the results could not match
PyTorch anyway.
"""

from __future__ import annotations

from litert_lsp.core import codes

CODE = codes.LRT205


def sampling_message(op: str) -> str:
    return (
        f"`{op}` draws random numbers even after eval(): LiteRT has no random sampling for "
        "it (the lowering fails) and results could not match PyTorch. Instead: move it under "
        "`if self.training:`, use nn.Dropout, or pass the noise in as an input."
    )


def dropout_message(short: str) -> str:
    """`short` is the functional's name (`dropout`, `alpha_dropout`)."""
    return (
        f"`F.{short}` samples a random mask whenever `training` is true, and its default "
        f"is training=True, so it still drops values after eval() (the lowering fails: "
        f"no random ops in LiteRT). Instead: pass training=self.training, or use the "
        f"nn.Dropout layer (a no-op after eval())."
    )
