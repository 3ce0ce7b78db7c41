"""`check`'s result cache: a file whose text has not changed is not analyzed again.

What ruff does with `.ruff_cache`, for the same reason: pre-commit, CI and a terminal run
`check` over the same tree again and again, and nearly every file is as it was. The cache
holds each file's findings as the analyzer gave them (before the settings pick codes and
severities, so a change of `select` or `per-file-ignores` needs no re-analysis).

A stored result is used only while all of this is unchanged:
- litert-lsp itself: the code and knowledge base that decide findings (`analysis`, `kb`,
  `core`, hashed at start-up), and the Python version (its parser);
- the installed libraries (the `sys.path` entries, and the modification time of each
  site-packages folder: installing or removing a package changes it), since a model's
  findings may come from a library class it uses (cross-file reach, `analysis/project_index.py`);
- the file: its size and modification time, or, when only those changed (a fresh clone, a
  restored CI cache), its text (a content hash);
- the other files its findings were read from (their size and modification time).

Stored as JSON (never pickle: the cache folder is inside the project and anyone could put a
file there) in `<cache dir>/v1/<fingerprint>.json`, merged with what another run saved
meanwhile, written whole to a temporary file and renamed over the old one: two runs at once
leave a complete cache, each with the other's results. A cache that cannot
be read is ignored; one that cannot be written costs a warning, never the check.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litert_lsp.core.findings import Finding, Severity

FORMAT = "v1"
DEFAULT_FOLDER = ".litert-lsp-cache"
ENVIRONMENT_VARIABLE = "LITERT_LSP_CACHE_DIR"
# The parts of litert-lsp whose code decides what the analyzer finds.
_DECIDING_PACKAGES = ("analysis", "kb", "core")

Stamp = tuple[int, int]  # (modification time in ns, size)


@dataclass(frozen=True)
class Known:
    """What the cache holds for one file (sent to the worker that reads it)."""

    stamp: Stamp
    digest: str
    deps: tuple[tuple[str, int, int], ...]  # (path, mtime_ns, size) of the other files read
    findings: tuple  # encoded findings (see `encode`)


def stamp_of(path: str | Path) -> Stamp | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def digest_of(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", errors="surrogatepass"), digest_size=16).hexdigest()


def deps_unchanged(known: Known) -> bool:
    return all(stamp_of(path) == (mtime, size) for path, mtime, size in known.deps)


def encode(finding: Finding) -> list[Any]:
    return [finding.line, finding.column, finding.end_line, finding.end_column, int(finding.severity),
            finding.code, finding.message, finding.op, finding.status, finding.data]


def decode(record: list[Any]) -> Finding:
    line, column, end_line, end_column, severity, code, message, op, status, data = record
    return Finding(line, column, end_line, end_column, Severity(severity), code, message, op, status, data)


def fingerprint() -> str:
    """What the stored results depend on besides the files themselves (see the docstring)."""
    import litert_lsp

    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{FORMAT}\0{litert_lsp.__version__}\0{sys.version}\0".encode())
    package = Path(litert_lsp.__file__).parent
    for name in _DECIDING_PACKAGES:
        for path in sorted((package / name).rglob("*")):
            if path.suffix in (".py", ".json") and path.is_file():
                digest.update(path.relative_to(package).as_posix().encode() + b"\0")
                digest.update(path.read_bytes())
    for entry in sys.path:
        # Only the package folders' times: the project's own folders change all the time (this
        # cache is written into one), and what was read from them is checked file by file.
        installed = Path(entry).name in ("site-packages", "dist-packages")
        digest.update(f"{entry}\0{stamp_of(entry) if installed else None}\0".encode())
    return digest.hexdigest()


def default_folder(cwd: Path, config_root: Path | None) -> Path:
    """`--cache-dir`'s default: $LITERT_LSP_CACHE_DIR, else `.litert-lsp-cache` in the project
    root (the folder of the pyproject.toml that configures the current folder), else here."""
    configured = os.environ.get(ENVIRONMENT_VARIABLE)
    if configured:
        return Path(configured)
    return (config_root or cwd) / DEFAULT_FOLDER


class ResultCache:
    """The stored results of one fingerprint, loaded once and saved once per run."""

    def __init__(self, folder: Path, key: str | None = None) -> None:
        self.folder = folder
        self.key = key or fingerprint()
        self._file = folder / FORMAT / f"{self.key}.json"
        self._entries: dict[str, list[Any]] = self._load()
        self._stored: set[str] = set()  # what this run analyzed

    def _load(self) -> dict[str, list[Any]]:
        try:
            document = json.loads(self._file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # none yet, or unreadable: start over
        files = document.get("files") if isinstance(document, dict) else None
        return files if isinstance(files, dict) else {}

    @staticmethod
    def _key(path: str) -> str:
        return os.path.abspath(path)

    def known(self, path: str) -> Known | None:
        record = self._entries.get(self._key(path))
        try:
            (mtime, size), digest, deps, findings = record  # type: ignore[misc]
            return Known((int(mtime), int(size)), str(digest), tuple((str(p), int(m), int(s)) for p, m, s in deps),
                         tuple(findings))
        except (TypeError, ValueError):
            return None  # absent, or written by something else

    def fresh(self, path: str) -> list[Finding] | None:
        """The stored findings when neither the file nor what they were read from changed
        (checked by size and modification time: the file is not read)."""
        known = self.known(path)
        if known is None or stamp_of(path) != known.stamp or not deps_unchanged(known):
            return None
        try:
            found = [decode(record) for record in known.findings]
        except (TypeError, ValueError):
            return None
        return found

    def store(self, path: str, stamp: Stamp, digest: str, deps: tuple[tuple[str, int, int], ...],
              findings: list[Any]) -> None:
        key = self._key(path)
        self._entries[key] = [list(stamp), digest, [list(d) for d in deps], findings]
        self._stored.add(key)

    def save(self) -> str | None:
        """Write the cache if anything changed; a sentence when it cannot be written."""
        if not self._stored:
            return None
        # Another run may have saved since this one loaded (two terminals, pre-commit beside
        # CI): keep what it stored, with this run's own results on top.
        entries = {**self._load(), **{path: self._entries[path] for path in self._stored}}
        # Files that are gone take their results with them.
        entries = {path: record for path, record in entries.items() if os.path.exists(path)}
        try:
            first = not self.folder.exists()
            (self.folder / FORMAT).mkdir(parents=True, exist_ok=True)
            if first:
                _mark_as_cache(self.folder)
            for old in (self.folder / FORMAT).glob("*.json"):
                if old != self._file:  # results of another litert-lsp or interpreter
                    with contextlib.suppress(OSError):
                        old.unlink()
            handle, temporary = tempfile.mkstemp(dir=self.folder / FORMAT, prefix=".", suffix=".tmp")
            try:
                os.chmod(temporary, 0o666 & ~_umask())  # as any file the user writes, not mkstemp's 0600
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    json.dump({"fingerprint": self.key, "files": entries}, out, separators=(",", ":"))
                os.replace(temporary, self._file)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        except OSError as error:
            return (f"cannot write the cache in {self.folder} ({error.strerror or error}); "
                    f"pass --cache-dir DIR or --no-cache")
        return None


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mark_as_cache(folder: Path) -> None:
    """What ruff and pytest leave in theirs: backup tools skip it, git ignores it."""
    (folder / "CACHEDIR.TAG").write_text(
        "Signature: 8a477f597d28d172789f06886806bc55\n# litert-lsp's result cache (safe to delete).\n",
        encoding="utf-8")
    (folder / ".gitignore").write_text("# Written by litert-lsp.\n*\n", encoding="utf-8")
