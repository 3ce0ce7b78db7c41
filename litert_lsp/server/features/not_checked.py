"""Why the background conversion check did not check a model, as a next step the user can take.

The background check says it once, never as a diagnostic: a code lens on the class line and
the same sentence in the hover there (see convert_check.py). A model goes unchecked when it
cannot be built without asking (constructor arguments, example inputs, an import that fails),
when building or converting it hangs past the time budget, crashes the worker, or needs more
memory than the background budget allows. None of these says whether the model converts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from litert_lsp.jobs.client import exit_text, out_of_memory
from litert_lsp.jobs.job import ExportResult
from litert_lsp.jobs.verdict import asks_for_shape, for_editor

PREFIX = "LiteRT: not checked in the background"
LENS_CHARACTERS = 140  # a lens is one line above the class; the hover has the whole sentence

# What a job was doing at each stage, as the subject of a sentence.
STAGE_WORDS = {
    "load code": "building it",
    "restore": "restoring its weights",
    "export": "tracing it with torch.export",
    "convert": "converting it",
    "verify": "running it in LiteRT",
    "profile": "profiling it",
}
_SENTENCE_END = re.compile(r"(?<=[^.\s][.!?])\s+(?=[A-Z`(\[])")


@dataclass(frozen=True)
class NotChecked:
    """A model the background check skipped, and what to do about it."""

    model: str
    reason: str  # short, a next step: "needs constructor argument `config`: set it under ..."
    detail: str  # what the planner or the worker said, in full
    kind: str  # plan | build | memory | crash | timeout | stack

    @property
    def sentence(self) -> str:
        """The one sentence the lens shows (and the hover starts with)."""
        text = f"{PREFIX} — {self.reason}"
        return text if len(text) <= LENS_CHARACTERS else text[:LENS_CHARACTERS - 1].rstrip() + "…"

    def hover(self, markdown: bool) -> str:
        full = f"{PREFIX} — {self.reason}"
        lines = [f"**{full}**" if markdown else full]
        if self.detail and self.detail not in full:
            lines.append(self.detail)
        return "\n\n".join(lines)


def from_plan_error(model: str, message: str, required: list[str], configured: bool) -> NotChecked:
    """The planner could not say how to build `model` (its sentence says what to add)."""
    if required and not configured:
        # The common case, said in the words of the fix: which arguments, and where they go.
        names = ", ".join(f"`{name}`" for name in required)
        plural = "s" if len(required) > 1 else ""
        reason = (f"needs constructor argument{plural} {names}: set {'them' if plural else 'it'} under "
                  f"[tool.litert-lsp.models.{model}] in pyproject.toml")
        return NotChecked(model, reason, message, "plan")
    return NotChecked(model, _first_sentence(message), message, "plan")


def from_result(model: str, result: ExportResult, memory_mb: int | None, ceiling: float) -> NotChecked | None:
    """Why `result` leaves `model` unchecked, or None when it is a verdict on the model
    (converted, failed to convert, mismatched). `ceiling`: the background check's own limit
    on a job's time, whatever `export.timeout-seconds` says."""
    doing = STAGE_WORDS.get(result.stage or "", "checking it")
    if result.status == "timeout":
        limit = result.details.get("timeout")
        if result.details.get("started") is False:
            return NotChecked(model, "the worker did not start in time: see the litert-lsp log", result.message,
                              "timeout")
        seconds = f"{limit:g} s" if isinstance(limit, (int, float)) else "its time budget"
        longer = ("raise export.timeout-seconds" if isinstance(limit, (int, float)) and limit < ceiling
                  else "use Check conversion, which has no background limit")
        return NotChecked(model, f"{doing} took longer than {seconds}: {longer}", result.message, "timeout")
    if "worker_exit" in result.details:
        how = exit_text(result.details.get("worker_exit"))
        return NotChecked(model, f"{doing} crashed the worker ({how}); a new worker takes the next check",
                          result.message, "crash")
    if out_of_memory(result):
        budget = f"the {memory_mb} MB background budget" if memory_mb else "the memory available"
        return NotChecked(model, f"{doing} needs more than {budget}: raise litert.convertCheckMemoryMb, or use "
                                 "Check conversion", result.message, "memory")
    if asks_for_shape(result):
        # Nobody is asked in the background: the shape goes where every check finds it.
        return NotChecked(model, f"needs an example input shape: set `input-shape` under "
                                 f"[tool.litert-lsp.models.{model}] in pyproject.toml", for_editor(result.message),
                          "build")
    if not result.ok and result.stage == "load code":
        return NotChecked(model, _first_sentence(result.message), result.message, "build")
    return None


def missing_stack(model: str, python: str, framework: str) -> NotChecked:
    needs = "TensorFlow and ai-edge-litert" if framework == "tensorflow" else "PyTorch, litert-torch and ai-edge-litert"
    return NotChecked(model, f"needs {needs} in {python}: install litert-lsp[frameworks] there or set litert.python",
                      "", "stack")


def _first_sentence(text: str) -> str:
    first = _SENTENCE_END.split(text.strip(), maxsplit=1)[0]
    return first.rstrip(".") or text.strip()
