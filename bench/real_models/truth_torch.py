"""Regenerate the PyTorch truth: every catalog model measured in its own process.

    .venv/bin/python -m bench.real_models.truth_torch [--only ID ...] [--timeout S]

Each model runs in a fresh subprocess (`_torch_child`) holding the machine's converter lock
(/tmp/litert-converter.lock) for that model only, so other converter users interleave. A
crash or a timeout is the stage the child was in. Results go to data/torch_truth.json
(README.md has the schema), written atomically after every model; `--only` replaces those
entries and keeps the rest. This process imports no framework.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import fcntl
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.real_models._torch_errors import MAX_LINE, relative_paths
from bench.real_models.catalog_torch import catalog, entry
from litert_lsp.core.atomic import write_text_atomically

HERE = Path(__file__).resolve().parent
TRUTH = HERE / "data" / "torch_truth.json"
REPO = HERE.parents[1]
LOCK = Path("/tmp/litert-converter.lock")
LOGS = Path(tempfile.gettempdir()) / "torch_truth_logs"  # each child's output, to read a verdict's full error
TIMEOUT = 240.0
SCHEMA = 1
STATUSES = ("ok", "export", "lowering", "runtime", "wrong_numbers", "flex", "unconvertible", "build_error")
# A child that dies or hangs in a stage failed in that stage.
STATUS_OF_STAGE = {"build": "build_error", "eager": "build_error", "export": "export",
                   "lowering": "lowering", "runtime": "runtime", "compare": "runtime"}
VERSIONED = ("torch", "litert-torch", "ai-edge-litert", "transformers", "timm", "torchvision", "coverage")


# ---- line sets -----------------------------------------------------------------------------


def line_ranges(lines: Iterable[int]) -> str:
    """[1, 2, 3, 5, 7, 8] -> "1-3,5,7-8": runs of consecutive line numbers only, so a range never
    claims a line that was not executed."""
    ordered = sorted(set(lines))
    parts: list[str] = []
    start = previous = None
    for line in ordered:
        if previous is not None and line == previous + 1:
            previous = line
            continue
        if start is not None:
            parts.append(str(start) if start == previous else f"{start}-{previous}")
        start = previous = line
    if start is not None:
        parts.append(str(start) if start == previous else f"{start}-{previous}")
    return ",".join(parts)


def parse_ranges(text: str) -> set[int]:
    """The inverse of `line_ranges`."""
    lines: set[int] = set()
    for part in filter(None, text.split(",")):
        first, _, last = part.partition("-")
        lines.update(range(int(first), int(last or first) + 1))
    return lines


# ---- one model -----------------------------------------------------------------------------


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


def measure(model_id: str, library: str, timeout: float = TIMEOUT) -> dict[str, Any]:
    """One MODEL record of the schema, measured in a fresh subprocess under the lock."""
    with tempfile.TemporaryDirectory(prefix="torch_truth_") as folder:
        result_file, stage_file, log_file = (Path(folder) / n for n in ("result.json", "stage", "log"))
        command = [sys.executable, "-m", "bench.real_models._torch_child", model_id, str(result_file), str(stage_file)]
        env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
        with converter_lock(), log_file.open("wb") as log:
            started = time.monotonic()
            child = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
            try:
                returncode: int | None = child.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)  # its own session: the child and its helpers only
                child.wait()
                returncode = None
            seconds = round(time.monotonic() - started, 1)
        LOGS.mkdir(exist_ok=True)
        (LOGS / (model_id.replace("/", "__") + ".log")).write_bytes(log_file.read_bytes())
        stage = stage_file.read_text(encoding="utf-8").strip() if stage_file.exists() else "build"
        if result_file.exists():
            found = json.loads(result_file.read_text(encoding="utf-8"))
        else:
            found = died(stage, returncode, timeout, _last_line(log_file))
    return {"id": model_id, "library": library, **found, "seconds": seconds}


def died(stage: str, returncode: int | None, timeout: float, last_line: str) -> dict[str, Any]:
    """The record of a child that left no result: killed by the timeout, a signal or an exit."""
    if returncode is None:
        what = f"timed out after {timeout:g} s"
    elif returncode < 0:
        what = f"the process died with {signal.Signals(-returncode).name}"
    else:
        what = f"the process exited with code {returncode}"
    error = f"{what} during {stage}" + (f" (last output: {last_line})" if last_line else "")
    return {"status": STATUS_OF_STAGE.get(stage, "build_error"), "error": error[:300], "construct": None,
            "max_rel_error": None, "executed": {}}


def _last_line(log: Path) -> str:
    lines = [line.strip() for line in log.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""


# ---- the truth file ------------------------------------------------------------------------


def merge(old: list[dict[str, Any]], new: list[dict[str, Any]], order: list[str]) -> list[dict[str, Any]]:
    """`new` replaces the records of the same id in `old`; the rest are kept; catalog order first,
    then ids no longer in the catalog (kept, so a rename is a visible diff)."""
    by_id = {m["id"]: m for m in old}
    by_id.update({m["id"]: m for m in new})
    rank = {model_id: index for index, model_id in enumerate(order)}
    return sorted(by_id.values(), key=lambda m: (rank.get(m["id"], len(rank)), m["id"]))


def document(models: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "framework": "torch",
        "versions": versions(),
        "generated_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "duration_seconds": round(sum(m.get("seconds") or 0.0 for m in models), 1),
        "models": models,
    }


def versions() -> dict[str, str]:
    from bench.real_models.torchvision_shim import bench_version

    found = {"python": ".".join(map(str, sys.version_info[:3]))}
    for name in VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:  # timm, torchvision: in .venv/bench-libs
            version = bench_version(name)
            if version:
                found[name] = version
    return found


def load(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return list(json.loads(path.read_text(encoding="utf-8")).get("models", []))


def save(models: list[dict[str, Any]], path: Path) -> None:
    for model in models:
        if model.get("error"):
            model["error"] = relative_paths(model["error"])[:MAX_LINE]
    write_text_atomically(json.dumps(document(models), indent=1) + "\n", path)


def summary_line(model: dict[str, Any]) -> str:
    rel = model.get("max_rel_error")
    detail = f"rel {rel:.2g}" if isinstance(rel, float) else (model.get("error") or "")
    construct = f" [{model['construct']}]" if model.get("construct") else ""
    return f"{model['id']:<45} {model['status']:<13} {model['seconds']:>6.1f}s {detail[:110]}{construct}"


# ---- command line --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.real_models.truth_torch", description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="+", metavar="ID", help="measure these ids; keep the other records")
    parser.add_argument("--missing", action="store_true",
                        help="measure only the ids the truth file lacks (resume an interrupted run)")
    parser.add_argument("--timeout", type=float, default=TIMEOUT, help="seconds per model (default %(default)g)")
    parser.add_argument("--output", type=Path, default=TRUTH, help="the truth file (default data/torch_truth.json)")
    parser.add_argument("--list", action="store_true", help="print the catalog's ids and exit")
    args = parser.parse_args(argv)
    entries = catalog()
    if args.list:
        print("\n".join(e.id for e in entries))
        return 0
    known = {e.id for e in entries}
    unknown = sorted(set(args.only or []) - known)
    if unknown:
        parser.error(f"not in the catalog: {', '.join(unknown)}")
    order = [e.id for e in entries]
    models = load(args.output) if args.only or args.missing else []
    done = {m["id"] for m in models} if args.missing else set()
    # --only keeps its own order, so the most wanted models can go first.
    chosen = [entry(i) for i in args.only] if args.only else [e for e in entries if e.id not in done]
    started = time.monotonic()
    measured = []
    for item in chosen:
        record = measure(item.id, item.library, args.timeout)
        measured.append(record)
        models = merge(models, [record], order)
        save(models, args.output)
        print(summary_line(record), flush=True)
    counts = Counter(m["status"] for m in measured)
    totals = ", ".join(f"{status} {counts[status]}" for status in STATUSES if counts[status])
    print(f"{len(measured)} models in {time.monotonic() - started:.0f} s: {totals}; written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
