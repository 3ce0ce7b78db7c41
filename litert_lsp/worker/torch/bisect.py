"""The smallest submodule a conversion error starts in, for errors that name no line.

Some converter errors carry no usable location (a converter pass, a lowering whose node came
from generated code). The eager run records each submodule's inputs (forward hooks, see
alone.py); then, in call order, each child of the model is converted alone on them. The first
child that fails *the same way* (same message once numbers and file locations are set aside) is
searched the same way, down to a submodule none of whose children fail alone: the error starts
there. Bounded by a time budget and a number of conversions.

litert-torch ships `litert_torch.debug.find_culprits`, an FX minifier over the ATen graph. On
the nested torch.histc model of tests/export/test_bisect.py it found the histc node, with its
stack trace, in 13 s; this search took 4 s there. It has no time bound and its checker counts
any exception as the failure (not the same one), so it is not used: ops an error names are
found faster in the exported graph (graph_sites.py), and this search answers in a class.
Worker-only (torch, litert-torch).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import torch

from litert_lsp.worker.torch import alone

BUDGET_SECONDS = 60.0
MAX_CONVERSIONS = 16

_LOCATION = re.compile(r"(?:[^\s:\"'()]+\.py):\d+(?::\d+)?:?\s*")
_NUMBER = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")


@dataclass
class Failing:
    name: str  # dotted path from the model: "encoder.layers.0.moe"
    class_name: str
    path: str | None  # file defining the class
    line: int | None  # its `class` statement
    forward_line: int | None  # its `def forward`
    message: str  # the error it raises alone
    checked: int  # submodules converted alone to find it
    seconds: float


def signatures(error: BaseException) -> set[str]:
    """What makes two conversion errors the same: the first line of the error's message and of
    those it was explicitly raised from (`raise ... from`; an error merely handled on the way is
    another failure), without file locations and numbers (shapes and node names differ between
    a model and its parts)."""
    found = set()
    current: BaseException | None = error
    seen: list[BaseException] = []
    while current is not None and all(current is not s for s in seen):
        seen.append(current)
        lines = [line for line in str(current).strip().splitlines() if line.strip()]
        if lines:
            text = _NUMBER.sub("#", _LOCATION.sub("", lines[0]))
            found.add(f"{type(current).__name__}: {_SPACE.sub(' ', text).strip()}")
        current = current.__cause__
    return found


def find(model: torch.nn.Module, inputs: tuple[torch.Tensor, ...], error: BaseException,
         budget: float = BUDGET_SECONDS) -> Failing | None:
    """The smallest submodule that fails alone the way the whole model failed with `error`; None
    when no child does (the failure needs their combination) or none could be tried in time."""
    started = time.monotonic()
    wanted = signatures(error)
    calls, order = alone.record(model, inputs)

    def probe(name: str) -> tuple[bool, BaseException | None, int]:
        failure = _failure(model.get_submodule(name), calls[name])
        return failure is not None and bool(signatures(failure) & wanted), failure, 1

    found, checked = alone.descend(order, probe, started + budget, MAX_CONVERSIONS)
    if found is None:
        return None
    name, failure = found
    cls = type(model.get_submodule(name))
    path, line = alone.definition(cls)
    first = next((line for line in str(failure).strip().splitlines() if line.strip()), type(failure).__name__)
    return Failing(name, cls.__name__, path, line, alone.forward_line(cls), f"{type(failure).__name__}: {first[:300]}",
                   checked, round(time.monotonic() - started, 1))


def _failure(module: torch.nn.Module, call: alone.Call) -> BaseException | None:
    try:
        alone.convert(module, call)
    except Exception as error:  # noqa: BLE001 - how it fails is what is compared
        return error
    return None
