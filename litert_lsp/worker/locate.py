"""Map converter errors back to lines of the user's code.

Converters name the user's source in their messages: torch.export / litert-torch print
`Original traceback:` followed by `File "model.py", line N, in forward`; MLIR passes print
`model.py:N:0: error: ...`. A Python exception raised while tracing also carries the user's
frames in its traceback (or in those of the errors it was raised from).

When the deepest frame of model code is in an installed library (transformers'
`modeling_llama.py:NNN`, reached from the user's `self.decoder(x)`), the failure is put at the
deepest user frame of the same stack, the call that reaches the library, and names the library
line (`SourceFailure.library_path` / `library_line`). Frames of the toolchain itself (torch,
litert-torch, JAX, ...) and of the standard library are never "the failing line". Framework-free.
"""

from __future__ import annotations

import os
import re
import traceback
from pathlib import Path
from types import TracebackType

from litert_lsp.jobs.job import SourceFailure

_PY_FRAME = re.compile(r'File "(?P<path>[^"]+)", line (?P<line>\d+)')
_MLIR = re.compile(r'(?P<path>[^\s:"\'()]+\.py):(?P<line>\d+):\d+: error: (?P<message>[^\n]*)')
_SITE_DIRS = (f"{os.sep}site-packages{os.sep}", f"{os.sep}dist-packages{os.sep}")
_LIBRARY_MARKERS = (*_SITE_DIRS, f"{os.sep}lib{os.sep}python3")
# Packages whose frames are the machinery, not model code: a failure "in torch/fx/..." says
# nothing about which line of a model to change.
TOOLCHAIN = frozenset({
    "torch", "torchgen", "functorch", "torchao", "litert_torch", "ai_edge_torch", "ai_edge_litert", "litert_converter",
    "jax", "jaxlib", "numpy", "tensorflow", "keras", "tf_keras", "sympy", "typing_extensions", "_pytest", "pluggy",
    "litert_lsp",
})

Frame = tuple[str, int]


def is_user_file(path: str, roots: list[Path]) -> bool:
    """A file of the user's project: under one of `roots` and, below that root, not inside an
    installed library (a project's own `.venv` is not the project). A root may itself lie in
    site-packages: a library's author works there."""
    if not path or path.startswith("<"):
        return False
    try:
        resolved = Path(path).resolve()
    except OSError:
        return False
    for root in roots:
        if resolved == root or root in resolved.parents:
            below = os.sep + str(resolved.relative_to(root))
            if not any(marker in below for marker in _LIBRARY_MARKERS):
                return True
    return False


def library_name(path: str) -> str | None:
    """`transformers/models/llama/modeling_llama.py` for a file of an installed library that is
    model code (not the toolchain's, not the standard library's); None otherwise."""
    normalized = path.replace("/", os.sep)
    for marker in _SITE_DIRS:
        index = normalized.rfind(marker)
        if index >= 0:
            relative = normalized[index + len(marker):]
            package = relative.split(os.sep, 1)[0].removesuffix(".py")
            return None if package in TOOLCHAIN else relative.replace(os.sep, "/")
    return None


def headline(text: str) -> str:
    """The first meaningful line of an error, shortened for a diagnostic."""
    for line in text.strip().splitlines():
        line = line.strip()
        if line:
            return line if len(line) <= 300 else line[:297] + "..."
    return "conversion failed"


def failures_from_text(text: str, stage: str, roots: list[Path], summary: str | None = None) -> list[SourceFailure]:
    """Source locations named in a converter message, deepest user frame of each block."""
    summary = summary or headline(text)
    results: list[SourceFailure] = []
    marker = text.find("Original traceback:")
    if marker >= 0:
        frames = [(m["path"], int(m["line"])) for m in _PY_FRAME.finditer(text[marker:])]
        found = at_user_frame(frames, roots, summary, stage)
        if found is not None:
            results.append(found)
    for match in _MLIR.finditer(text):
        if is_user_file(match["path"], roots):
            results.append(
                SourceFailure(str(Path(match["path"]).resolve()), int(match["line"]), match["message"].strip(), stage)
            )
    return _unique(results)


def failures_from_exception(error: BaseException, stage: str, roots: list[Path]) -> list[SourceFailure]:
    """Locations from the message text first (of the error and of those it was raised from),
    then from the deepest user frame of a traceback in that chain."""
    summary = f"{type(error).__name__}: {headline(str(error))}"
    chain = _chain(error)
    for link in chain:
        text = "".join(traceback.format_exception_only(type(link), link))
        found = failures_from_text(text, stage, roots, summary)
        if found:
            return found
    for link in chain:
        found_frame = at_user_frame(_frames(link.__traceback__), roots, summary, stage)
        if found_frame is not None:
            return [found_frame]
    return []


def at_user_frame(frames: list[Frame], roots: list[Path], summary: str, stage: str) -> SourceFailure | None:
    """A failure at the deepest user frame of one stack (outermost first), naming the library
    line it reaches when the stack goes on into a library's model code."""
    user = next((i for i in range(len(frames) - 1, -1, -1) if is_user_file(frames[i][0], roots)), None)
    if user is None:
        return None
    path, line = str(Path(frames[user][0]).resolve()), frames[user][1]
    deeper = [(p, n) for p, n in frames[user + 1:] if library_name(p) is not None]
    if not deeper:
        return SourceFailure(path, line, summary, stage)
    library_path, library_line = deeper[-1]
    return SourceFailure(path, line, f"{summary} (raised in {library_name(library_path)}:{library_line}, "
                                     "reached from this line)", stage, str(Path(library_path).resolve()), library_line)


def _chain(error: BaseException) -> list[BaseException]:
    """The error and those it was raised from (converters re-raise with a generic message)."""
    links: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not seen for seen in links):
        links.append(current)
        current = current.__cause__ or current.__context__
    return links


def _frames(tb: TracebackType | None) -> list[Frame]:
    return [(frame.filename, frame.lineno) for frame in traceback.extract_tb(tb) if frame.filename and frame.lineno]


def _unique(failures: list[SourceFailure]) -> list[SourceFailure]:
    seen = set()
    result = []
    for failure in failures:
        key = (failure.path, failure.line)
        if key not in seen:
            seen.add(key)
            result.append(failure)
    return result
