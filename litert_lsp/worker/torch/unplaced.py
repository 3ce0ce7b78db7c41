"""Put a conversion error that names no line of the user's on one.

Two steps, cheapest first:
1. the exported graph (graph_sites.py): the op or the library line the error names, looked up
   among the nodes of one `torch.export` of the model; each node knows the stack that made it;
2. module bisection (bisect.py): the smallest submodule that fails alone the same way, reported
   on its class (or, for a library class, on the nearest enclosing class of the user's).
Worker-only (torch, litert-torch).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from litert_lsp.jobs.job import SourceFailure
from litert_lsp.worker.locate import at_user_frame, headline, is_user_file
from litert_lsp.worker.torch import alone, bisect, graph_sites

MAX_SITES = 3  # one op used in many places: the first few are enough to act on
WHAT_FAILS = {"export": "torch.export cannot trace it", "convert": "litert-torch cannot convert it"}


@dataclass
class Placed:
    failures: list[SourceFailure] = field(default_factory=list)
    how: str | None = None  # "graph" | "bisection"
    details: dict[str, Any] = field(default_factory=dict)


def place(model: torch.nn.Module, inputs: tuple[torch.Tensor, ...], error: BaseException, stage: str,
          roots: list[Path], budget: float = bisect.BUDGET_SECONDS) -> Placed:
    """Failures on the user's lines for `error` (raised converting `model`), possibly none."""
    started = time.monotonic()
    text = "\n".join(_messages(error))
    summary = f"{type(error).__name__}: {headline(str(error))}"
    placed = Placed()
    wanted_ops, wanted_lines = graph_sites.ops_named(text), graph_sites.locations_named(text)
    if wanted_ops or wanted_lines:
        try:
            found = graph_sites.sites(model, inputs)
        except Exception as why:  # noqa: BLE001 - no graph (torch.export fails): bisection may still answer
            placed.details["graph"] = f"torch.export failed: {type(why).__name__}"
        else:
            hits = graph_sites.matching_op(found, wanted_ops) or graph_sites.matching_location(found, wanted_lines)
            placed.failures = _unique([f for f in (at_user_frame(h.frames, roots, summary, stage) for h in hits) if f])
            placed.failures = placed.failures[:MAX_SITES]
            if placed.failures:
                placed.how = "graph"
                placed.details["graph"] = f"{len(hits)} node(s) of the exported graph"
                return placed
    remaining = budget - (time.monotonic() - started)
    if remaining <= 0:
        return placed
    failing = bisect.find(model, inputs, error, remaining)
    if failing is None:
        placed.details["bisection"] = "no submodule fails alone the same way (or none could be tried in time)"
        return placed
    placed.how = "bisection"
    placed.details["bisection"] = {"module": failing.name, "class": failing.class_name, "path": failing.path,
                                   "line": failing.line, "forward_line": failing.forward_line,
                                   "checked": failing.checked, "seconds": failing.seconds}
    failure = _on_user_class(model, failing, stage, roots)
    if failure is not None:
        placed.failures.append(failure)
    return placed


def _on_user_class(model: torch.nn.Module, failing: bisect.Failing, stage: str,
                   roots: list[Path]) -> SourceFailure | None:
    """The failure on the failing class's line when the user wrote it, else on the nearest
    enclosing module whose class the user wrote, naming the library class."""
    where = f"{Path(failing.path).name}:{failing.line}" if failing.path and failing.line else "?"
    sentence = (f"`{failing.name}` ({failing.class_name}, {where}) is the smallest submodule that fails alone the same "
                f"way: {WHAT_FAILS.get(stage, 'it fails')}: {failing.message} "
                f"({failing.checked} submodules converted alone to find it)")
    if failing.path and failing.line and is_user_file(failing.path, roots):
        return SourceFailure(str(Path(failing.path).resolve()), failing.line, sentence, stage)
    parts = failing.name.split(".")
    for depth in range(len(parts) - 1, -1, -1):
        owner = model.get_submodule(".".join(parts[:depth])) if depth else model
        path, line = alone.definition(type(owner))
        if path and line and is_user_file(path, roots):
            return SourceFailure(str(Path(path).resolve()), line, sentence, stage, failing.path, failing.line)
    return None


def _messages(error: BaseException) -> list[str]:
    texts: list[str] = []
    current: BaseException | None = error
    seen: list[BaseException] = []
    while current is not None and all(current is not s for s in seen):
        seen.append(current)
        texts.append(str(current))
        current = current.__cause__ or current.__context__
    return texts


def _unique(failures: list[SourceFailure]) -> list[SourceFailure]:
    seen, kept = set(), []
    for failure in failures:
        if (failure.path, failure.line) not in seen:
            seen.add((failure.path, failure.line))
            kept.append(failure)
    return kept
