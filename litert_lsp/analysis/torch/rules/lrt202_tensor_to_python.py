"""LRT202: a tensor handed to Python (`.item()`, `.tolist()`, `.numpy()`, `int(x)`).

Why: torch.export cannot trace past a Python value taken from a tensor; at best the value
is frozen into the graph as a constant.
"""

from __future__ import annotations

from litert_lsp.core import codes

CODE = codes.LRT202


def message(what: str) -> str:
    """`what` is the construct as written: `.item()`, `int()`."""
    return (
        f"`{what}` turns a tensor into a Python value: torch.export cannot trace past it, so "
        "the model cannot be exported (or the value is frozen as a constant). Instead: keep "
        "the value a tensor and use tensor ops, or compute it outside the model."
    )


def op(what: str) -> str | None:
    """The op a method form names (`torch.Tensor.item`); builtins name none."""
    return f"torch.Tensor.{what.strip('.()')}" if what.startswith(".") else None
