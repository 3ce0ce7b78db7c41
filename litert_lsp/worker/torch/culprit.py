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

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils import _pytree as pytree

from litert_lsp.worker.torch import alone

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
    tried: dict[str, float | None]  # each submodule tried: its error alone (None: not convertible alone)

    def sentence(self) -> str:
        where = f", {Path(self.path).name}:{self.line}" if self.path and self.line else ""
        return (f"the mismatch starts in `{self.name}` ({self.class_name}{where}): its LiteRT output is off by "
                f"{self.rel_error:.2g} of its scale while its inputs are exactly PyTorch's "
                f"({self.checked} submodules converted alone to find it)")


def find(model: torch.nn.Module, inputs: tuple[torch.Tensor, ...], budget: float = BUDGET_SECONDS) -> Culprit | None:
    """The submodule where the disagreement starts, or None when no child disagrees alone (the
    mismatch then comes from how they combine) or nothing could be converted."""
    calls, order = alone.record(model, inputs)
    tried: dict[str, float | None] = {}

    def probe(name: str) -> tuple[bool, float | None, int]:
        error = _alone(model.get_submodule(name), calls[name])
        tried[name] = error
        # Only submodules that convert alone count against the budget.
        return error is not None and error > DISAGREES, error, int(error is not None)

    found, checked = alone.descend(order, probe, time.monotonic() + budget, MAX_CONVERSIONS)
    if found is None:
        return None
    name, error = found
    cls = type(model.get_submodule(name))
    path, line = alone.definition(cls)
    return Culprit(name, cls.__name__, path, line, error, checked, tried)


def _alone(module: torch.nn.Module, call: alone.Call) -> float | None:
    """The submodule's error in LiteRT on its recorded inputs, relative to its output's scale;
    None when it cannot be converted or run alone."""
    from litert_lsp.worker import runtime

    expected = [leaf.numpy() for leaf in pytree.tree_leaves(call.output) if isinstance(leaf, torch.Tensor)]
    if not expected:
        return None
    try:
        content, tensors = alone.convert(module, call)
        if not tensors:
            return None
        interpreter = runtime.load_interpreter(content)
        # Converters narrow int64 inputs (token ids, positions) to int32: feed what it declares.
        declared = runtime._tensor_infos(interpreter, "inputs")
        feed = [t.numpy().astype(d.dtype, copy=False) for t, d in zip(tensors, declared)]
        actual = runtime.run(content, feed, interpreter)
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
