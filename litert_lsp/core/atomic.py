"""Write a text file atomically (temp file in the same folder + rename). Framework-free."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_text_atomically(text: str, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        current = os.umask(0o022)  # mkstemp's file is 0600: give it the mode a new file gets
        os.umask(current)
        os.chmod(temp, 0o666 & ~current)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target
