"""The TensorFlow / Keras half of the knowledge base, as a suite for `python -m tools.probes`.

Importing this module imports no framework: the job list comes from a subprocess that
introspects the installed TensorFlow and Keras (`tf_inventory`), and every probe runs in an
isolated worker (`tf_worker`, which imports `tf_probe`).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from tools.probes.isolation import ProbeOutcome

FRAMEWORK = "tensorflow"
WORKER_MODULE = "tools.probes.tf_worker"
SCHEMA = 1


def jobs() -> list[str]:
    """One job per public entry point of the installed TensorFlow / Keras (canonical names)."""
    completed = subprocess.run(
        [sys.executable, "-m", "tools.probes.tf_inventory"],
        capture_output=True, text=True, check=False, timeout=300,
        env=_quiet_env(),
    )
    if completed.returncode != 0:
        tail = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"listing the TensorFlow entry points failed: {tail}")
    return [row["name"] for row in json.loads(completed.stdout)]


def probe_one(job: str) -> dict[str, Any]:
    """Measure one entry (runs inside a worker; imports TensorFlow there)."""
    from tools.probes import tf_worker

    return tf_worker.probe_one(job)


def build_document(outcomes: list[ProbeOutcome], seconds: float) -> dict[str, Any]:
    """The whole data file: measured entries plus what could not be probed and why."""
    entries: list[dict[str, Any]] = []
    skipped: Counter[str] = Counter()
    for outcome in outcomes:
        result = outcome.result
        if outcome.failure:
            # The worker died or hung on this op: that is the measurement.
            entries.append(_crashed_entry(outcome.job, outcome.failure))
        elif not result:
            skipped["empty result"] += 1
        elif "probe_error" in result:
            skipped["probe error"] += 1
        elif "skipped" in result:
            skipped[result["skipped"]] += 1
        elif "status" in result:
            # How long the probe took: the drift test samples among the quick ones.
            entries.append(dict(result, probe_seconds=round(outcome.seconds, 2)))
    entries.sort(key=lambda e: e["name"])
    return {
        "schema": SCHEMA,
        "framework": FRAMEWORK,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "duration_seconds": round(seconds, 1),
        "versions": package_versions(),
        "probed": len(outcomes),
        "not_probed": dict(skipped),
        "gpu_check": _gpu_check_note(entries),
        "notes": [
            ("select_tf_ops entries are not run: neither ai-edge-litert nor tf.lite.Interpreter here links "
            "the Flex delegate, so only their conversion is measured."),
            ("Random ops (TF graphs with Random*/Multinomial ops, or eager outputs that differ run to run) "
            "are converted and run in LiteRT, but their outputs are not compared."),
        ],
        "entries": entries,
    }


def _gpu_check_note(entries: list[dict[str, Any]]) -> str:
    """What `gpu_compatible` means in this table, from what the workers measured."""
    checks = {e.get("gpu_check") for e in entries if e.get("status") == "builtin"} - {None}
    if checks == {"analyzer"}:
        return ("gpu_compatible is tf.lite.experimental.Analyzer's GPU-delegate verdict on each builtin model.")
    return ("gpu_compatible is null: the installed tf.lite.experimental.Analyzer calls even a model of WHILE and "
            "NON_MAX_SUPPRESSION_V4 (ops the GPU delegate lacks) GPU-compatible, so its verdicts say nothing.")


def package_versions() -> dict[str, str]:
    found = {}
    for package in ("tensorflow-cpu", "keras", "ai-edge-litert"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            continue
    return found


def _crashed_entry(job: str, failure: str) -> dict[str, Any]:
    name = job.split("::", 1)[0]
    layer = name.startswith("keras.layers.")
    return {
        "framework": FRAMEWORK, "name": name, "kind": "layer" if layer else "function",
        "aliases": [f"tf.{name}"] if layer else [], "params": [],
        "status": "unsupported", "layer": "lowering", "reason": f"the converter {failure}",
        "error": failure, "condition": None, "variants": [], "rewrite": None, "tf_ops": [], "tflite_ops": [],
        "gpu_compatible": None, "max_abs_error": None, "max_rel_error": None, "probe_seconds": None,
        "versions": package_versions(),
    }


def _quiet_env() -> dict[str, str]:
    import os

    return dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
