"""LRT301: an op that converts only with Select TF ops.

Why: the LiteRT builtins have no kernel for it; Select TF ops (the Flex delegate) carry
TensorFlow's own kernel, which the app then has to ship.
"""

from __future__ import annotations

from litert_lsp.core import codes

CODE = codes.LRT301
FLEX_COST = "the app must ship the Flex (Select TF ops) runtime, which adds several MB to it"
INSTEAD = ("Instead: use builtin ops, or allow Select TF ops (`export.allow-select-tf-ops`) and ship "
           "the Flex runtime.")


def message(subject: str) -> str:
    """`subject` is the call as shown: "`tf.linalg.det`" or "`Layer(option=1)`"."""
    return f"{subject} converts only with Select TF ops: {FLEX_COST}. {INSTEAD}"
