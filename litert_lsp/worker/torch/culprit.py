"""Where a numerical mismatch starts: the smallest submodule whose LiteRT output disagrees
with PyTorch when it is fed exactly the inputs it received in the eager run.

A converted model that runs but disagrees (LRT902) says only that its outputs differ. To say
where, the eager run records every submodule's inputs and output (forward hooks); then, in
call order, each child of the model is converted alone on its recorded inputs, run in LiteRT
and compared with its recorded output. The first child that disagrees is searched the same
way, down to a submodule none of whose children disagree: the mismatch starts there, and its
inputs agree by construction (they are the recorded ones). Submodules that cannot be converted
alone are skipped; the search stops at a time budget. Worker-only (torch, litert-torch).
"""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils import _pytree as pytree

# A submodule "disagrees" above this error relative to its output's scale: ten times what a
# float32 conversion of a whole model gives (measured: 1e-7..1e-6), well under the 1e-2..1 of
# the mismatches this is for (grouped-query attention: 0.17..0.78 in a minimal block).
DISAGREES = 1e-4
BUDGET_SECONDS = 90.0
MAX_CONVERSIONS = 24


@dataclass
class Culprit:
    name: str  # dotted path from the model: "layers.0.self_attn"
    class_name: str
    path: str | None  # file defining the class
    line: int | None  # line of its `class` statement
    rel_error: float  # its LiteRT output against PyTorch, relative to the output's scale
    checked: int  # submodules converted alone to find it

    def sentence(self) -> str:
        where = f", {Path(self.path).name}:{self.line}" if self.path and self.line else ""
        return (f"the mismatch starts in `{self.name}` ({self.class_name}{where}): its LiteRT output is off by "
                f"{self.rel_error:.2g} of its scale while its inputs are exactly PyTorch's "
                f"({self.checked} submodules converted alone to find it)")


@dataclass
class _Call:
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    output: Any


def find(model: torch.nn.Module, inputs: tuple[torch.Tensor, ...], budget: float = BUDGET_SECONDS) -> Culprit | None:
    """The submodule where the disagreement starts, or None when no child disagrees alone (the
    mismatch then comes from how they combine) or nothing could be converted."""
    calls, order = _record(model, inputs)
    deadline = time.monotonic() + budget
    checked = 0
    found: tuple[str, float] | None = None
    prefix = ""
    while True:
        children = [name for name in order if _is_child(name, prefix)]
        step = None
        for name in children:
            if time.monotonic() > deadline or checked >= MAX_CONVERSIONS:
                break
            error = _alone(model.get_submodule(name), calls[name])
            checked += error is not None
            if error is not None and error > DISAGREES:
                step = (name, error)
                break
        if step is None:
            break
        found, prefix = step, step[0] + "."
    if found is None:
        return None
    name, error = found
    cls = type(model.get_submodule(name))
    path, line = _definition(cls)
    return Culprit(name, cls.__name__, path, line, error, checked)


def _record(model: torch.nn.Module, inputs: tuple[torch.Tensor, ...]) -> tuple[dict[str, _Call], list[str]]:
    """Each submodule's first call (inputs and output, copied), and the order they ran in."""
    calls: dict[str, _Call] = {}
    order: list[str] = []
    handles = []
    for name, module in model.named_modules():
        if not name:
            continue

        def hook(_module: torch.nn.Module, args: tuple, kwargs: dict, output: Any, name: str = name) -> None:
            if name not in calls:
                calls[name] = _Call(_copy(args), _copy(kwargs), _copy(output))
                order.append(name)

        handles.append(module.register_forward_hook(hook, with_kwargs=True))
    try:
        with torch.no_grad():
            model(*inputs)
    finally:
        for handle in handles:
            handle.remove()
    return calls, order


def _copy(value: Any) -> Any:
    return pytree.tree_map(lambda leaf: leaf.detach().clone() if isinstance(leaf, torch.Tensor) else leaf, value)


def _is_child(name: str, prefix: str) -> bool:
    return name.startswith(prefix) and "." not in name[len(prefix):]


class _Alone(torch.nn.Module):
    """A submodule called with its recorded arguments, the tensors among them as inputs."""

    def __init__(self, module: torch.nn.Module, call: _Call) -> None:
        super().__init__()
        self.module = module
        self.leaves, self.spec = pytree.tree_flatten((call.args, call.kwargs))
        self.positions = [i for i, leaf in enumerate(self.leaves) if isinstance(leaf, torch.Tensor)]

    def forward(self, *tensors: torch.Tensor) -> list[torch.Tensor]:
        leaves = list(self.leaves)
        for position, tensor in zip(self.positions, tensors):
            leaves[position] = tensor
        args, kwargs = pytree.tree_unflatten(leaves, self.spec)
        output = self.module(*args, **kwargs)
        return [leaf for leaf in pytree.tree_leaves(output) if isinstance(leaf, torch.Tensor)]


def _alone(module: torch.nn.Module, call: _Call) -> float | None:
    """The submodule's error in LiteRT on its recorded inputs, relative to its output's scale;
    None when it cannot be converted or run alone."""
    import litert_torch

    from litert_lsp.worker import runtime

    wrapper = _Alone(module, call).eval()
    tensors = tuple(wrapper.leaves[i] for i in wrapper.positions)
    expected = [leaf.numpy() for leaf in pytree.tree_leaves(call.output) if isinstance(leaf, torch.Tensor)]
    if not tensors or not expected:
        return None
    try:
        converted = litert_torch.convert(wrapper, tensors)
        content = converted.model_content() if callable(getattr(converted, "model_content", None)) \
            else converted.model_content
        actual = runtime.run(bytes(content), [t.numpy() for t in tensors])
    except Exception:  # noqa: BLE001 - a part that does not convert alone cannot be judged alone
        return None
    if len(actual) != len(expected):
        return None
    worst = 0.0
    for got, want in zip(actual, expected):
        if want.shape != np.shape(got) or not np.issubdtype(want.dtype, np.floating):
            continue
        want = want.astype(np.float64)
        scale = max(float(np.max(np.abs(want))), 1e-12)
        worst = max(worst, float(np.max(np.abs(np.asarray(got, dtype=np.float64) - want))) / scale)
    return worst


def _definition(cls: type) -> tuple[str | None, int | None]:
    try:
        return inspect.getsourcefile(cls), inspect.getsourcelines(cls)[1]
    except (OSError, TypeError):
        return None, None
