"""Input shapes with dynamic dimensions: parsing, and which dimensions are dynamic.

A dynamic dimension is written -1 (`--input-shape=-1,3,32,32`, `input-shape = [-1, 3, 32, 32]`),
and `--dynamic-batch` makes dimension 0 of every input dynamic. The request keeps -1 in
`input_shapes`; exporters trace with EXAMPLE_SIZE in its place and check the model at a second
size. Pure data, no framework: shared by the CLI, the server and the worker.
"""

from __future__ import annotations

from collections.abc import Sequence

DYNAMIC = -1
# The size traced for a dynamic dimension. Not 1: torch.export specialises a dimension whose
# example size is 0 or 1 to that constant, so a batch traced at 1 could never vary.
EXAMPLE_SIZE = 2
# The second size a dynamically shaped model is run at in the LiteRT runtime.
CHECK_SIZE = 3


class ShapeError(ValueError):
    """A shape the user wrote that is not one; the message says how to write it."""


def parse_input_shapes(text: str) -> list[list[int]]:
    """`1,3,224,224`, `-1,3,224,224` or `-1,16;-1,16` (several inputs) -> lists of sizes, -1 dynamic."""
    shapes = []
    for part in text.replace(" ", "").split(";"):
        if not part:
            continue
        try:
            shape = [int(x) for x in part.strip("[]()").split(",") if x]
        except ValueError:
            raise ShapeError(f"input shape {part!r} is not a comma-separated list of integers "
                             "(-1 for a dynamic size), like 1,3,224,224 or -1,3,224,224") from None
        if not shape or any(d == 0 or d < DYNAMIC for d in shape):
            raise ShapeError(f"input shape {part!r} must list positive sizes (-1 for a dynamic one), "
                             "like 1,3,224,224 or -1,3,224,224")
        shapes.append(shape)
    if not shapes:
        raise ShapeError("empty input shape: give it like 1,3,224,224 (-1 for a dynamic size)")
    return shapes


def with_dynamic_batch(shapes: Sequence[Sequence[int]]) -> list[list[int]]:
    """`shapes` with dimension 0 of every input made dynamic (scalars stay as they are)."""
    return [[DYNAMIC, *shape[1:]] if shape else [] for shape in shapes]


def dynamic_dims(shapes: Sequence[Sequence[int]] | None) -> list[list[int]]:
    """For each input, the indices of its dynamic dimensions."""
    return [[i for i, d in enumerate(shape) if d == DYNAMIC] for shape in shapes or []]


def has_dynamic(shapes: Sequence[Sequence[int]] | None) -> bool:
    return any(dims for dims in dynamic_dims(shapes))


def concrete(shape: Sequence[int], size: int = EXAMPLE_SIZE) -> list[int]:
    """`shape` with `size` in place of every dynamic dimension."""
    return [size if d == DYNAMIC else int(d) for d in shape]


def describe(dims: Sequence[Sequence[int]], names: Sequence[str] | None = None) -> str:
    """`dim 0 of input 0` / `dim 0 of x and dim 0 of mask`, for messages and reports."""
    parts = []
    for index, positions in enumerate(dims):
        name = names[index] if names and index < len(names) else f"input {index}"
        parts += [f"dim {p} of {name}" for p in positions]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def shape_text(shape: Sequence[int]) -> str:
    """`-1,3,32,32`, the way the user writes it on the command line."""
    return ",".join(str(int(d)) for d in shape)
