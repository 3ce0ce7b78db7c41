"""What an export or conversion check's result means, and what the user should do next.

A job that failed while loading the code (the model could not be built: constructor
arguments or example inputs unknown, the module does not import) says nothing about whether
the model converts. Background and CI checks report that once, as a note, never as LRT901.

Known toolchain failures map to a sentence with the fix (`HINTS`, one table); narrowed input
dtypes and missing input shapes are said the same way in the CLI and the editor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from litert_lsp.jobs.job import ExportResult

NOT_BUILT_STAGE = "load code"


def could_not_build(result: ExportResult) -> bool:
    """Whether `result` failed before there was a model to convert."""
    return not result.ok and result.stage == NOT_BUILT_STAGE


# ---- hints: a converter's raw message -> the sentence that says what to change ----------------


@dataclass(frozen=True)
class Hint:
    """A known toolchain failure, recognised by its raw message (`pattern`, searched), and the
    sentence (`advice`, formatted with the pattern's named groups) that tells the user the fix."""

    name: str
    pattern: re.Pattern[str]
    advice: str


# One table, each row checked against the real message it was written for (tests/export/test_hints.py).
HINTS: tuple[Hint, ...] = (
    Hint(
        "fx-attribute-name",
        # litert-torch 0.10 re-exports the model as a torch.fx GraphModule; a top-level submodule
        # named like one of GraphModule's own attributes (meta, graph, code) is shadowed by it.
        re.compile(r"Node \w+ target (?P<attr>\w+)\.\S+ references nonexistent attribute \S+ of (?P=attr)\b"),
        "a top-level submodule named `{attr}` clashes with torch.fx's GraphModule.{attr}, which litert-torch "
        "builds from the model: rename the attribute (`self.{attr} = ...` to, say, `self.{attr}_block = ...`; "
        "rename the checkpoint's `{attr}.` keys the same way)",
    ),
)


def hint_for(message: str) -> str | None:
    """The advice for the first known failure `message` shows, or None."""
    for hint in HINTS:
        found = hint.pattern.search(message)
        if found:
            return hint.advice.format(**found.groupdict())
    return None


def with_hint(result: ExportResult) -> ExportResult:
    """`result` with the advice of a known failure added to its message (once: calling it again,
    in the CLI and in the server, adds nothing)."""
    if result.ok:
        return result
    advice = hint_for(result.message)
    if advice and advice not in result.message:
        result.message = f"{result.message}. Fix: {advice}"
        result.details["hint"] = advice
    return result


# ---- narrowed input dtypes -------------------------------------------------------------------

# litert-torch 0.10 converts with enable_x64=False: 64-bit model inputs become 32-bit ones (its
# own warning: "enable_x64=False downcasts 64-bit model I/O to 32-bit"), and the LiteRT runtime
# then refuses 64-bit values ("Cannot set tensor: Got value of type INT64 but expected type INT32").
NARROWED = {"int64": "int32", "float64": "float32", "uint64": "uint32"}


def narrowing(dtypes: list[str]) -> list[str]:
    """One sentence per example input whose dtype the converted model takes narrower."""
    sentences = []
    for index, dtype in enumerate(dtypes):
        narrower = NARROWED.get(dtype.removeprefix("torch."))
        if narrower:
            wide = dtype.removeprefix("torch.")
            sentences.append(f"input {index}: {wide} → {narrower}: LiteRT has no {wide} inputs here "
                             f"(litert-torch narrows 64-bit inputs), so the app must feed {narrower}")
    return sentences


# ---- example inputs that need shapes ---------------------------------------------------------

SHAPE_OPTION = "--input-shape"


def shapes_needed(class_name: str, names: list[str], guess: list[int] | None = None) -> str:
    """'Net.forward takes 2 tensors (x, mask); give their shapes: --input-shape "1,16;1,16"'."""
    example = ",".join(str(d) for d in (guess or [1, 16]))
    shapes = ";".join([example] * len(names))
    count = f"{len(names)} tensors" if len(names) != 1 else "a tensor"
    return (f"{class_name}.forward takes {count} ({', '.join(names)}); give their shapes (your sizes): "
            f'{SHAPE_OPTION} "{shapes}"')


_OPTION_WITH_VALUE = re.compile(rf'(?:pass )?{SHAPE_OPTION}[ =]"?(?P<shape>[-\d,;]+)"?')
_OPTION_ALONE = re.compile(rf"(?:pass )?{SHAPE_OPTION}\b")


def for_editor(message: str) -> str:
    """`message` as an editor user can act on it: the CLI's --input-shape becomes the input shape
    the editor asks for (VS Code, with an input box) or that the command takes as `inputShape`."""
    message = _OPTION_WITH_VALUE.sub(r'an input shape such as "\g<shape>" (VS Code asks for it; other editors '
                                     "pass it as the command's inputShape argument)", message)
    return _OPTION_ALONE.sub("give the input shape (VS Code asks for it; other editors pass it as the "
                             "command's inputShape argument)", message)


def asks_for_shape(result: ExportResult) -> bool:
    """Whether the job stopped because nobody said what shape the inputs have."""
    return not result.ok and result.stage == NOT_BUILT_STAGE and SHAPE_OPTION in result.message
