"""Finding and reading the Python files of a project, shared by the CLI and the server.

Framework-free; never raises for a bad file: a file that cannot be read as text yields a
sentence saying why.
"""

from __future__ import annotations

import io
import os
import tokenize
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from litert_lsp.core.settings import ALWAYS_EXCLUDED, Settings

# Larger files are still analyzed; this only bounds what is read at all.
MAX_FILE_BYTES = 64 << 20


@dataclass(frozen=True)
class SourceText:
    path: Path
    text: str | None  # None when the file cannot be analyzed
    problem: str | None = None  # why not, in words


def read_source(path: Path) -> SourceText:
    """The file decoded as Python source (PEP 263 cookie honoured, else UTF-8)."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return SourceText(path, None, f"skipped: larger than {MAX_FILE_BYTES >> 20} MB")
        data = path.read_bytes()
    except OSError as error:
        return SourceText(path, None, f"cannot read: {error.strerror or error}")
    if b"\0" in data:
        return SourceText(path, None, "skipped: not a text file (it contains NUL bytes)")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        # Keep going with the undecodable bytes replaced: positions stay meaningful.
        text = data.decode("utf-8", errors="replace")
    text = text.removeprefix("\ufeff")
    return SourceText(path, text)


def iter_python_files(
    paths: list[Path],
    settings_for: Callable[[Path], tuple[Settings, Path | None]],
    *,
    force_exclude: bool = False,
    skip: Callable[[Path, bool], bool] | None = None,
) -> Iterator[tuple[Path, Settings, Path | None]]:
    """Every `.py` file under `paths`, skipping always-excluded and hidden folders, each
    project's `exclude` globs and what `skip(path, is_dir)` refuses (e.g. `.gitignore`).

    A file named in `paths` is taken as given, even inside an excluded folder (the user
    asked for it), unless `force_exclude` (pre-commit passes every staged file by name).
    Yields (file, its settings, its root)."""
    seen: set[Path] = set()
    for given in paths:
        if given.is_file():
            settings, root = settings_for(given)
            resolved = given.resolve()
            if resolved in seen or (force_exclude and settings.is_excluded(given, root)):
                continue
            seen.add(resolved)
            yield given, settings, root
            continue
        # A folder named by the user inside an excluded one (`check .venv/lib/pkg`) is
        # walked: the excludes then apply only below it.
        given_settings, given_root = settings_for(given)
        inside_excluded = not force_exclude and given_settings.is_excluded(given / "_", given_root)
        for folder, dirnames, filenames in os.walk(given):
            folder_path = Path(folder)
            settings, root = settings_for(folder_path)
            if inside_excluded:
                root = given
            dirnames[:] = sorted(
                d
                for d in dirnames
                if d not in ALWAYS_EXCLUDED
                and not d.startswith(".")
                and not d.endswith(".egg-info")
                and not settings.is_excluded(folder_path / d / "_", root)
                and not (skip and skip(folder_path / d, True))
            )
            for name in sorted(filenames):
                if not name.endswith(".py"):
                    continue
                file_path = folder_path / name
                resolved = file_path.resolve()
                if resolved in seen or settings.is_excluded(file_path, root):
                    continue
                if skip and skip(file_path, False):
                    continue
                seen.add(resolved)
                yield file_path, settings, root
