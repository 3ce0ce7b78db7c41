"""`per-file-ignores`: codes left out of the files a glob matches, the way ruff has them.

A pattern with a `/` is a path relative to the folder of the configuration that names it
(`tests/**/*.py`, `src/legacy/*`); a pattern without one matches the file name wherever the
file is (`__init__.py`, `conftest.py`). Patterns are anchored once, when read: the stored key
is the absolute pattern, so a value inherited through `extend` keeps the folder of the file
that wrote it, and matching needs only the file's path.

Glob syntax (ruff's and .gitignore's): `*` and `?` stay inside one folder name, `**` crosses
folders (`**/` also matches no folder at all), `[abc]` a character class. A trailing `/`
means everything under that folder.
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

_MAGIC = re.compile(r"([*?\[])")


def escape(folder: str) -> str:
    """`folder` as a literal glob prefix (a `[` or `*` in a real folder name matches itself)."""
    return _MAGIC.sub(r"[\1]", folder)


def anchor(pattern: str, base: Path | None) -> str:
    """The stored form of `pattern`: relative to `base` made absolute; a file-name pattern,
    an absolute pattern, or any pattern without a known base stays as written."""
    pattern = pattern.strip()
    if pattern.endswith("/"):
        pattern += "**"
    if base is None or "/" not in pattern or _is_absolute(pattern):
        return pattern
    # normpath: `../shared/*.py` and `./src/*.py` must compare with resolved file paths,
    # which have no `..` or `.` in them.
    return posixpath.normpath(f"{escape(base.resolve().as_posix()).rstrip('/')}/{pattern}")


def ignored_codes(table: Mapping[str, tuple[str, ...]], path: Path | str) -> tuple[str, ...]:
    """The codes/prefixes every pattern of `table` that matches `path` leaves out."""
    if not table:
        return ()
    resolved = Path(path).resolve().as_posix()
    name = PurePosixPath(resolved).name
    codes: list[str] = []
    for pattern, prefixes in table.items():
        if "/" not in pattern:
            hit = _regex(pattern).fullmatch(name) is not None
        elif _is_absolute(pattern):
            hit = _regex(pattern).fullmatch(resolved) is not None
        else:  # relative, with no folder to anchor it to: it may match at any depth
            hit = _regex("**/" + pattern).fullmatch(resolved) is not None
        if hit:
            codes.extend(prefixes)
    return tuple(codes)


def _is_absolute(pattern: str) -> bool:
    # POSIX root, or a Windows drive (`C:/...`) once the path is in posix form.
    return pattern.startswith("/") or re.match(r"^[A-Za-z]:/", pattern) is not None


@functools.lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str]:
    """A compiled regular expression for the glob `pattern` (whole-path match)."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif ch == "*":
            out.append("[^/]*")
            i += 1
        elif ch == "?":
            out.append("[^/]")
            i += 1
        elif ch == "[":
            end = pattern.find("]", i + 2 if pattern[i + 1:i + 2] in ("!", "]") else i + 1)
            if end == -1:
                out.append(re.escape(ch))
                i += 1
                continue
            body = pattern[i + 1:end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\").replace("[", "\\[") + "]")
            i = end + 1
        else:
            out.append(re.escape(ch))
            i += 1
    return re.compile("".join(out))
