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
import json
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.real_models import truth_file
from bench.real_models._torch_errors import MAX_LINE, relative_paths
from bench.real_models.catalog_torch import catalog, entry
from bench.real_models.truth_file import run_measuring_child

HERE = Path(__file__).resolve().parent
TRUTH = HERE / "data" / "torch_truth.json"
REPO = HERE.parents[1]
LOGS = Path(tempfile.gettempdir()) / "torch_truth_logs"  # each child's output, to read a verdict's full error
TIMEOUT = 240.0
SCHEMA = truth_file.SCHEMA
STATUSES = ("ok", "export", "lowering", "runtime", "wrong_numbers", "flex", "unconvertible", "build_error")
# A child that dies or hangs in a stage failed in that stage.
STATUS_OF_STAGE = {"build": "build_error", "eager": "build_error", "export": "export",
                   "lowering": "lowering", "runtime": "runtime", "compare": "runtime",
                   "culprit": "wrong_numbers"}
VERSIONED = ("torch", "litert-torch", "ai-edge-litert", "transformers", "timm", "torchvision", "coverage")


# ---- one model -----------------------------------------------------------------------------


def measure(model_id: str, library: str, timeout: float = TIMEOUT) -> dict[str, Any]:
    """One MODEL record of the schema, measured in a fresh subprocess under the lock."""
    with tempfile.TemporaryDirectory(prefix="torch_truth_") as folder:
        result_file, stage_file, log_file = (Path(folder) / n for n in ("result.json", "stage", "log"))
        command = [sys.executable, "-m", "bench.real_models._torch_child", model_id, str(result_file), str(stage_file)]
        env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
        returncode, seconds = run_measuring_child(command, log_file, env, REPO, timeout)
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
    """`new` replaces the records of the same id in `old`; ids no longer in the catalog are kept."""
    return truth_file.merge(old, new, order, keep_unknown=True)


def document(models: list[dict[str, Any]]) -> dict[str, Any]:
    return truth_file.document("torch", models, versions())


def versions() -> dict[str, str]:
    return truth_file.versions(VERSIONED, python=True)


def load(path: Path) -> list[dict[str, Any]]:
    return truth_file.load(path, "torch")


def save(models: list[dict[str, Any]], path: Path) -> None:
    for model in models:
        if model.get("error"):
            model["error"] = relative_paths(model["error"])[:MAX_LINE]
    truth_file.write(path, document(models))


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
