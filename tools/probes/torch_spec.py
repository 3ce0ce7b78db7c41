"""The shapes of a PyTorch probe recipe, free of torch so the parent and tests can read them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class T:
    """A tensor argument: module input (default) or a constant baked in as a weight."""

    shape: tuple[int, ...]
    dtype: str = "float32"
    domain: str = "normal"  # normal | pos | unit | prob | int | idx:N | bool | nonzero | spd
    const: bool = False
    # Exact values (row-major), for samples taken from torch's own test inputs (OpInfo):
    # those were drawn inside each op's domain, so they are kept rather than redrawn.
    values: tuple[float, ...] | None = None

    def words(self) -> str:
        kind = "const " if self.const else ""
        return f"{kind}{self.dtype}[{','.join(map(str, self.shape))}]"


@dataclass
class Variant:
    label: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    ctor: tuple[Any, ...] = ()  # layer constructor arguments
    ctor_kwargs: dict[str, Any] = field(default_factory=dict)
    # Which outputs of a multi-output op the probe keeps (None: all). A graph that uses only
    # `topk(...).values` lowers differently from one that uses both outputs.
    outputs_used: tuple[int, ...] | None = None
    # Where the variant came from when it was derived, not written ("opinfo:NAME",
    # "in-place of NAME", ...): recorded with the measurement.
    source: str | None = None


@dataclass
class Recipe:
    name: str  # qualified public name
    kind: str  # function | method | layer
    target: Any  # the object
    variants: list[Variant]
    # An in-place op (`x.add_(y)`, `torch.relu_(x)`): the probe calls it on a copy of its first
    # tensor, an intermediate as in a model, never on the module's own input.
    clone_first: bool = False
    # A creation op (no tensor operand): its result is added to the last argument, a module
    # input of the result's shape, so that the graph has an input.
    adds_input: bool = False
