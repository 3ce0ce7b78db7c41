"""What an expression holds while a model is traced for conversion: the kinds both analyzers
reason with, and how two of them combine.

    TENSOR    a symbolic tensor: its value exists only when the graph runs, so a Python
              `if`, `int()` or NumPy call on it needs what tracing cannot give
    CONSTANT  a tensor whose value is fixed while tracing (an op whose inputs are all
              constants): the converter folds it, so LiteRT never runs the op, but it is
              still a tensor (a Python `if` on it fails like on any other)
    STATIC    a plain Python value while tracing: ints and strings from config, dtypes,
              `x.shape[-1]`, `len(...)`, `ops.ndim(x)`, flags computed from those
    UNKNOWN   cannot tell (a library helper's result, an argument the file never passes):
              rules stay quiet on it rather than guess

Pure data; no framework is imported.
"""

from __future__ import annotations

import enum


class ValueKind(enum.Enum):
    TENSOR = "tensor"
    CONSTANT = "constant"
    STATIC = "static"
    UNKNOWN = "unknown"

    @property
    def is_tensor(self) -> bool:
        """A tensor, folded or not: Python control flow on it fails while tracing."""
        return self in (ValueKind.TENSOR, ValueKind.CONSTANT)

    @property
    def is_fixed(self) -> bool:
        """Known while tracing: an op taking only such inputs is folded by the converter."""
        return self in (ValueKind.CONSTANT, ValueKind.STATIC)


def join(first: ValueKind, second: ValueKind) -> ValueKind:
    """The kind of a name assigned both values (the analyses are flow-insensitive): any
    tensor makes it a tensor, and it stays fixed only when both are."""
    if first is second:
        return first
    if ValueKind.TENSOR in (first, second):
        return ValueKind.TENSOR
    if ValueKind.UNKNOWN in (first, second):
        return ValueKind.UNKNOWN
    return ValueKind.CONSTANT  # CONSTANT with STATIC
