"""The truth files' common parts: the converter lock, the installed versions, the document
(schema 1, README.md), merging a partial re-measure into it, reading and writing it.

Shared by `truth_torch` and `truth_keras` so both suites write the same schema the same way.
Framework-free: the parents that run the measuring children import no framework.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

from litert_lsp.core.atomic import write_text_atomically

SCHEMA = 1
LOCK = Path("/tmp/litert-converter.lock")


@contextlib.contextmanager
def converter_lock(path: Path = LOCK) -> Iterator[None]:
    """The machine-wide converter lock (the same flock(2) lock `flock /tmp/...` takes)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def run_measuring_child(command: list[str], log_path: Path, env: dict[str, str], cwd: Path, timeout: float,
                        lock: bool = True) -> tuple[int | None, float]:
    """Run one measuring process in its own session (under the converter lock unless `lock` is
    false), its output into `log_path`; after `timeout` seconds its whole session is killed (the
    child and any helpers it started). Returns its exit code (None: timed out) and the wall time
    of the run itself, not of the wait for the lock."""
    with converter_lock() if lock else contextlib.nullcontext(), log_path.open("wb") as log:
        started = time.monotonic()
        child = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                 start_new_session=True)
        try:
            code: int | None = child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            code = None
        return code, round(time.monotonic() - started, 1)


def versions(names: Iterable[str], python: bool = False) -> dict[str, str]:
    """Installed versions of the named distributions (site-packages or .venv/bench-libs);
    names installed nowhere are left out."""
    from bench.real_models.torchvision_shim import bench_version

    found = {"python": ".".join(map(str, sys.version_info[:3]))} if python else {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = bench_version(name)
            if version:
                found[name] = version
    return found


def merge(old: list[dict[str, Any]], new: list[dict[str, Any]], order: list[str],
          keep_unknown: bool = True) -> list[dict[str, Any]]:
    """`new` replaces the records of the same id in `old`, in catalog order; ids no longer in the
    catalog come last when `keep_unknown` (so a rename is a visible diff), else are dropped."""
    by_id = {m["id"]: m for m in old}
    by_id.update({m["id"]: m for m in new})
    rank = {model_id: index for index, model_id in enumerate(order)}
    kept = [m for m in by_id.values() if keep_unknown or m["id"] in rank]
    return sorted(kept, key=lambda m: (rank.get(m["id"], len(rank)), m["id"]))


def document(framework: str, models: list[dict[str, Any]], found_versions: dict[str, str]) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "framework": framework,
        "versions": found_versions,
        "generated_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        # The cost of regenerating every model (the sum of their measurements).
        "duration_seconds": round(sum(float(m.get("seconds") or 0.0) for m in models), 1),
        "models": models,
    }


def load(path: Path, framework: str) -> list[dict[str, Any]]:
    """The records of a truth file ([] when there is none yet)."""
    if not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("schema") != SCHEMA or data.get("framework") != framework:
        raise SystemExit(f"{path}: not a schema-{SCHEMA} {framework} truth file")
    return list(data["models"])


def write(path: Path, data: dict[str, Any]) -> None:
    write_text_atomically(json.dumps(data, indent=1) + "\n", path)
