"""LRT302: an op measured not to convert, not to run, or to give different numbers.

Why: neither the LiteRT builtins nor Select TF ops took it when probed, or the converted
model failed at run time / disagreed with TensorFlow.
"""

from __future__ import annotations

from typing import Any

from litert_lsp.core import codes

CODE = codes.LRT302


INSTEAD = "Instead: write the same math with ops LiteRT supports, or run this step outside the model."


def message(subject: str, what: str) -> str:
    return f"{subject} {what}. {INSTEAD}"


def unsupported_words(where: str | None, record: dict[str, Any]) -> str:
    """What "unsupported" meant when it was measured, in the words of the failing stage."""
    reason = record.get("reason")
    why = f" ({reason})" if reason else ""
    if where == "numerics":
        return f"converts, but LiteRT's results disagreed with TensorFlow when measured{why}"
    if where == "runtime":
        return f"converts, but the LiteRT runtime cannot run the result{why}"
    if where == "export":
        return f"could not be traced into a graph for conversion{why}"
    return f"converts neither to LiteRT builtins nor with Select TF ops{why}"
