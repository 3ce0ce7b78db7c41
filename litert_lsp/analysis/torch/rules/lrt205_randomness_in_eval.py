"""LRT205: random sampling that still runs after eval() (torch.rand*, Tensor.bernoulli_,
F.dropout with its default training=True, ...).

Why: LiteRT has no random ops for it (the lowering fails), and the results could not match
PyTorch anyway.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from litert_lsp.analysis.literals import literal
from litert_lsp.analysis.torch.values import DROPOUT_TRAINING_DEFAULT, RANDOM_FUNCTIONS, RANDOM_METHODS
from litert_lsp.core import codes

if TYPE_CHECKING:
    from litert_lsp.analysis.torch.context import TraceContext

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


# ---- hooks -------------------------------------------------------------------------------------


def on_library_call(ctx: TraceContext, node: ast.Call, name: str) -> bool:
    if name in RANDOM_FUNCTIONS:
        ctx.report(node, CODE.code, sampling_message(name), op=name)
        return True
    if name in DROPOUT_TRAINING_DEFAULT:
        # Claimed whatever `training` is: the knowledge base measured these in eval().
        _dropout(ctx, node, name)
        return True
    return False


def on_tensor_method(ctx: TraceContext, node: ast.Call, method: str) -> bool:
    if method in RANDOM_METHODS:
        op = f"torch.Tensor.{method}"
        ctx.report(node, CODE.code, sampling_message(op), op=op)
        return True
    return False


def _dropout(ctx: TraceContext, node: ast.Call, name: str) -> None:
    """Reported only when `training` is (by default or literally) True."""
    default, index = DROPOUT_TRAINING_DEFAULT[name]
    given: object = default
    if len(node.args) > index:
        given = literal(node.args[index])
    for keyword in node.keywords:
        if keyword.arg == "training":
            given = literal(keyword.value)
        elif keyword.arg is None:
            return  # **kwargs may set training
    if given is True:
        ctx.report(node, CODE.code, dropout_message(name.rsplit(".", 1)[-1]), op=name)
