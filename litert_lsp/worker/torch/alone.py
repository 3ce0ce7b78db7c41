"""A submodule taken out of its model: what it was called with in the eager run, and that call
converted alone. Shared by the numerical culprit search (culprit.py) and the search for the
submodule a conversion error starts in (bisect.py). Worker-only (torch, litert-torch).
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils import _pytree as pytree


@dataclass
class Call:
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    output: Any


def record(model: torch.nn.Module, inputs: tuple[torch.Tensor, ...]) -> tuple[dict[str, Call], list[str]]:
    """Each submodule's first call (inputs and output, copied), and the order the calls began in
    (a parent before its children, children in the order they ran)."""
    calls: dict[str, Call] = {}
    order: list[str] = []
    handles = []
    for name, module in model.named_modules():
        if not name:
            continue

        def before(_module: torch.nn.Module, _args: tuple, _kwargs: dict, name: str = name) -> None:
            if name not in order:
                order.append(name)

        def after(_module: torch.nn.Module, args: tuple, kwargs: dict, output: Any, name: str = name) -> None:
            if name not in calls:
                calls[name] = Call(_copy(args), _copy(kwargs), _copy(output))

        handles.append(module.register_forward_pre_hook(before, with_kwargs=True))
        handles.append(module.register_forward_hook(after, with_kwargs=True))
    try:
        with torch.no_grad():
            model(*inputs)
    finally:
        for handle in handles:
            handle.remove()
    return calls, [name for name in order if name in calls]


def _copy(value: Any) -> Any:
    return pytree.tree_map(lambda leaf: leaf.detach().clone() if isinstance(leaf, torch.Tensor) else leaf, value)


def children(order: list[str], prefix: str) -> list[str]:
    """The submodules that ran directly under the submodule `prefix` ("" for the model, else
    "a.b."): its children, and the children of containers it holds that are never called
    themselves (`layers.0` under a ModuleList `layers`)."""
    called = set(order)
    found = []
    for name in order:
        if not name.startswith(prefix) or name == prefix:
            continue
        parts = name[len(prefix):].split(".")
        if not any(prefix + ".".join(parts[:depth]) in called for depth in range(1, len(parts))):
            found.append(name)
    return found


def descend(order: list[str], probe: Callable[[str], tuple[bool, Any, int]], deadline: float,
            max_tries: int) -> tuple[tuple[str, Any] | None, int]:
    """Walk down the submodules: among the children of the last hit (in the order they ran), the
    first that `probe` calls a hit becomes the next, until none is; the time and try budgets stop
    it early. `probe(name)` returns (hit, what it found, how many tries it counts). Returns the
    deepest hit as (name, what was found), or None, and the tries counted."""
    found: tuple[str, Any] | None = None
    prefix, tries = "", 0
    while True:
        step = None
        for name in children(order, prefix):
            if time.monotonic() > deadline or tries >= max_tries:
                break
            hit, value, counted = probe(name)
            tries += counted
            if hit:
                step = (name, value)
                break
        if step is None:
            return found, tries
        found, prefix = step, step[0] + "."


class Alone(torch.nn.Module):
    """A submodule called with its recorded arguments, the tensors among them as inputs."""

    def __init__(self, module: torch.nn.Module, call: Call) -> None:
        super().__init__()
        self.module = module
        self.leaves, self.spec = pytree.tree_flatten((call.args, call.kwargs))
        self.positions = [i for i, leaf in enumerate(self.leaves) if isinstance(leaf, torch.Tensor)]

    def tensors(self) -> tuple[torch.Tensor, ...]:
        return tuple(self.leaves[i] for i in self.positions)

    def forward(self, *tensors: torch.Tensor) -> list[torch.Tensor]:
        leaves = list(self.leaves)
        for position, tensor in zip(self.positions, tensors):
            leaves[position] = tensor
        args, kwargs = pytree.tree_unflatten(leaves, self.spec)
        output = self.module(*args, **kwargs)
        return [leaf for leaf in pytree.tree_leaves(output) if isinstance(leaf, torch.Tensor)]


def model_content(converted: Any) -> bytes:
    """The flatbuffer of a litert-torch model (a property in some versions, a method in others)."""
    content = converted.model_content() if callable(getattr(converted, "model_content", None)) else converted.model_content
    return bytes(content)


def convert(module: torch.nn.Module, call: Call) -> tuple[bytes, tuple[torch.Tensor, ...]]:
    """The submodule converted alone on its recorded call, and the tensors it takes; raises what
    the converter raises."""
    import litert_torch

    wrapper = Alone(module, call).eval()
    tensors = wrapper.tensors()
    return model_content(litert_torch.convert(wrapper, tensors)), tensors


def definition(cls: type) -> tuple[str | None, int | None]:
    """The file defining a class and the line of its `class` statement."""
    try:
        return inspect.getsourcefile(cls), inspect.getsourcelines(cls)[1]
    except (OSError, TypeError):
        return None, None


def forward_line(cls: type) -> int | None:
    """The line of the `def forward` a module class runs (its own or an inherited one)."""
    forward = getattr(cls, "forward", None)
    try:
        return inspect.getsourcelines(inspect.unwrap(forward))[1] if forward is not None else None
    except (OSError, TypeError):
        return None
