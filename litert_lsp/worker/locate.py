"""Map converter errors back to lines of the user's code.

Converters name the user's source in their messages: torch.export / litert-torch print
`Original traceback:` followed by `File "model.py", line N, in forward`; MLIR passes print
`model.py:N:0: error: ...`. A Python exception raised while tracing also carries the user's
frames in its traceback. Framework-free.
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
_LIBRARY_MARKERS = (f"{os.sep}site-packages{os.sep}", f"{os.sep}dist-packages{os.sep}", f"{os.sep}lib{os.sep}python3")


def is_user_file(path: str, roots: list[Path]) -> bool:
    """A file of the user's project: under one of `roots`, not inside an installed library."""
    if any(marker in path for marker in _LIBRARY_MARKERS) or path.startswith("<"):
        return False
    try:
        resolved = Path(path).resolve()
    except OSError:
        return False
    return any(resolved == r or r in resolved.parents for r in roots)


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
        frames = [m for m in _PY_FRAME.finditer(text[marker:]) if is_user_file(m["path"], roots)]
        if frames:
            last = frames[-1]
            results.append(SourceFailure(str(Path(last["path"]).resolve()), int(last["line"]), summary, stage))
    for match in _MLIR.finditer(text):
        if is_user_file(match["path"], roots):
            results.append(
                SourceFailure(str(Path(match["path"]).resolve()), int(match["line"]), match["message"].strip(), stage)
            )
    return _unique(results)


def failures_from_exception(error: BaseException, stage: str, roots: list[Path]) -> list[SourceFailure]:
    """Locations from the message text first, then from the deepest user frame of the traceback."""
    text = "".join(traceback.format_exception_only(type(error), error))
    summary = f"{type(error).__name__}: {headline(str(error))}"
    found = failures_from_text(text, stage, roots, summary)
    if not found:
        frame = _deepest_user_frame(error.__traceback__, roots)
        if frame is not None:
            found.append(SourceFailure(frame[0], frame[1], summary, stage))
    return found


def _deepest_user_frame(tb: TracebackType | None, roots: list[Path]) -> tuple[str, int] | None:
    best = None
    for frame in traceback.extract_tb(tb):
        if frame.filename and is_user_file(frame.filename, roots) and frame.lineno:
            best = (str(Path(frame.filename).resolve()), frame.lineno)
    return best


def _unique(failures: list[SourceFailure]) -> list[SourceFailure]:
    seen = set()
    result = []
    for failure in failures:
        key = (failure.path, failure.line)
        if key not in seen:
            seen.add(key)
            result.append(failure)
    return result
