"""LRT201: Python control flow on a tensor value.

Why: torch.export traces one path through Python code; a branch that depends on tensor data
needs the value at trace time (GuardOnDataDependentSymNode), so the model cannot be exported.
"""

from __future__ import annotations

from litert_lsp.core import codes

CODE = codes.LRT201


def branch_message(construct: str) -> str:
    """`if`/`while`/`assert`/`and`/`or`/`not`/comprehension tests on a tensor."""
    return (
        f"Python {construct} on a tensor value: torch.export cannot trace a branch that "
        "depends on tensor data, so the model cannot be exported. Instead: compute both "
        "sides and select with torch.where(...), or use torch.cond; checks on shapes "
        "(x.shape, x.size(0), x.dim()) are fine."
    )


def bool_message() -> str:
    """`bool(tensor)`."""
    return (
        "`bool()` of a tensor value needs its data at trace time: torch.export "
        "cannot trace it, so the model cannot be exported. Instead: keep it a "
        "tensor and select with torch.where(...)."
    )


def any_all_message(builtin: str) -> str:
    """Python's `any(tensor)` / `all(tensor)`."""
    return (
        f"Python `{builtin}()` over a tensor tests each element's value: torch.export "
        f"cannot trace it. Instead: use the tensor method `.{builtin}()` and keep the "
        "result a tensor."
    )
