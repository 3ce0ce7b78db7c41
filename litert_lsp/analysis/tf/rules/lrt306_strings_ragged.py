"""LRT306: string or ragged-tensor ops (tf.strings.*, tf.ragged.*, tf.RaggedTensor, ...).

Why: their kernels exist only in Select TF ops, so the app has to ship the Flex runtime.
"""

from __future__ import annotations

from litert_lsp.analysis.tf.rules.lrt301_select_tf_ops import FLEX_COST
from litert_lsp.core import codes

CODE = codes.LRT306
INSTEAD = ("Instead: do string and ragged processing before the model (in the app or the data "
           "pipeline) and feed it dense numeric tensors, or allow Select TF ops and ship Flex.")


def select_message(subject: str) -> str:
    """A measured string/ragged op that converts only with Select TF ops."""
    return f"{subject} handles strings or ragged tensors and converts only with Select TF ops: {FLEX_COST}. {INSTEAD}"


def formatter_message(name: str) -> str:
    """tf.strings.format / tf.print: not measured, but known to need StringFormat/PrintV2."""
    return (f"`{name}` formats a string in the graph (StringFormat, PrintV2), which converts only "
            f"with Select TF ops: {FLEX_COST}. Instead: drop it from exported code; Python `print` is fine.")


def unmeasured_message(name: str) -> str:
    return (f"`{name}` handles strings or ragged tensors; such kernels come only with "
            f"Select TF ops: {FLEX_COST}. (Not yet measured in the knowledge base.) {INSTEAD}")
