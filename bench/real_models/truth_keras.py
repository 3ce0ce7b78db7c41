"""Measure the Keras suite's truth: `python -m bench.real_models.truth_keras [--only ID ...]`.

Each model is measured in its own subprocess (`_keras_measure`) with a timeout, holding the
shared converter lock only for that model so other converter users interleave. A crash or a
hang is recorded as the status of the stage it happened in. The result goes to
`data/keras_truth.json` (schema in README.md), written atomically; `--only` replaces those
models' entries and keeps the others.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from bench.real_models import catalog_keras, truth_file
from bench.real_models.truth_file import run_measuring_child

TRUTH = Path(__file__).parent / "data" / "keras_truth.json"
TIMEOUT_SECONDS = 240.0
SCHEMA = truth_file.SCHEMA
VERSIONED = ("keras", "keras-hub", "tensorflow", "tensorflow-cpu", "ai-edge-litert", "coverage", "numpy")
STATUSES = ("ok", "flex", "unconvertible", "runtime", "wrong_numbers", "build_error")

# The status a crash or a timeout gets, by the stage the child had reached.
STAGE_STATUS = {"build": "build_error", "call": "build_error", "export": "unconvertible",
                "convert": "unconvertible", "convert_flex": "unconvertible", "runtime": "runtime"}


def measure(entry: catalog_keras.Entry, timeout: float = TIMEOUT_SECONDS) -> dict[str, Any]:
    """One model's record, from a fresh subprocess (never raises for the model's failures).
    `seconds` is the measurement's own wall time, not the wait for the lock."""
    with tempfile.TemporaryDirectory(prefix="keras-truth-") as tmp:
        workdir = Path(tmp)
        env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3",
               "CUDA_VISIBLE_DEVICES": ""}
        command = [sys.executable, "-m", "bench.real_models._keras_measure", entry.id, str(workdir)]
        failure = None
        code, seconds = run_measuring_child(command, workdir / "log", env, Path(__file__).resolve().parents[2], timeout)
        if code is None:
            failure = f"timed out after {timeout:.0f} s"
        elif code != 0:
            failure = f"the measuring process died ({_exit_reason(code)})"
        record = _read(workdir, failure)
    record = {"id": entry.id, "library": entry.library, **record,
              "seconds": round(seconds, 1)}
    return record


def _exit_reason(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"signal {signal.Signals(-code).name}"
    return f"exit code {code}"


def _read(workdir: Path, failure: str | None) -> dict[str, Any]:
    executed = {}
    with contextlib.suppress(FileNotFoundError, json.JSONDecodeError):
        executed = json.loads((workdir / "executed.json").read_text())
    result_file = workdir / "result.json"
    if failure is None and result_file.exists():
        result = json.loads(result_file.read_text())
    else:
        stage = (workdir / "stage").read_text().strip() if (workdir / "stage").exists() else "build"
        reason = failure or "the measuring process wrote no result"
        result = {"status": STAGE_STATUS.get(stage, "build_error"),
                  "error": f"{reason} in stage {stage}: {_last_line(workdir / 'log')}".rstrip(": "),
                  "construct": None, "max_rel_error": None}
    return {"status": result["status"], "error": result["error"], "construct": result["construct"],
            "max_rel_error": result["max_rel_error"], "executed": executed}


def _last_line(log: Path) -> str:
    """The last line of the child's output that looks like an error (for crashes)."""
    with contextlib.suppress(FileNotFoundError):
        lines = [line.strip() for line in log.read_text(errors="replace").splitlines() if line.strip()]
        for line in reversed(lines):
            if "Error" in line or "error" in line or "Fatal" in line:
                return line[:300]
    return ""


def versions() -> dict[str, str]:
    return truth_file.versions(VERSIONED)


def merge(old: list[dict[str, Any]], new: list[dict[str, Any]], order: list[str]) -> list[dict[str, Any]]:
    """Old records with the new ones replacing those of the same id, in catalog order (ids no
    longer in the catalog are dropped)."""
    return truth_file.merge(old, new, order, keep_unknown=False)


def document(models: list[dict[str, Any]]) -> dict[str, Any]:
    return truth_file.document("keras", models, versions())


def load(path: Path = TRUTH) -> list[dict[str, Any]]:
    return truth_file.load(path, "keras")


def summary(record: dict[str, Any]) -> str:
    rel = record.get("max_rel_error")
    detail = record.get("construct") or record.get("error") or ""
    rel_text = f"rel {rel:.2g}" if isinstance(rel, float) else ""
    return f"{record['id']:<36} {record['status']:<14} {record['seconds']:>6.1f}s {rel_text:<12} {detail}"[:220]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="ID", help="measure these ids, keep the other records")
    parser.add_argument("--timeout", type=float, default=TIMEOUT_SECONDS)
    parser.add_argument("--output", type=Path, default=TRUTH)
    args = parser.parse_args(argv)
    catalog = catalog_keras.entries()
    order = [e.id for e in catalog]
    if args.only:
        unknown = sorted(set(args.only) - set(order))
        if unknown:
            parser.error(f"not in the catalog: {', '.join(unknown)}")
    # --only measures in the order given (so a partial run can put what matters first).
    chosen = [catalog_keras.by_id()[i] for i in dict.fromkeys(args.only)] if args.only else catalog
    existing = load(args.output) if args.only else []
    measured: list[dict[str, Any]] = []
    for entry in chosen:
        record = measure(entry, args.timeout)
        measured.append(record)
        print(summary(record), flush=True)
        # Written after every model, so an interrupted run keeps what it measured.
        models = merge(existing, measured, order)
        truth_file.write(args.output, document(models))
    counts = Counter(r["status"] for r in measured)
    total = sum(r["seconds"] for r in measured)
    print(f"{len(measured)} models in {total:.0f} s: "
          + ", ".join(f"{s} {counts[s]}" for s in STATUSES if counts[s]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
