"""Drift: re-probe a random sample of the shipped TensorFlow / Keras entries with the installed toolchain.

Fails on any status disagreement (entry or variant), so a TensorFlow, Keras or LiteRT upgrade
that changes what converts is caught the day it lands. The seed is the date (or
LITERT_LSP_DRIFT_SEED) and is printed, so a failure can be reproduced. The sample is drawn
among entries whose probes were quick, with every status represented, to fit the time budget.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import time
from importlib import resources

import pytest

from tools.probes import tf_suite
from tools.probes.isolation import ProbeOutcome, run_isolated

SAMPLE = 24
PER_STATUS_MINIMUM = 4  # select_tf_ops and unsupported are re-checked too, not only builtin
QUICK_SECONDS = 3.0


def _sample(entries: list[dict], seed: int) -> list[dict]:
    quick = [e for e in entries if e.get("probe_seconds") is not None and e["probe_seconds"] <= QUICK_SECONDS]
    rng = random.Random(seed)
    picked: list[dict] = []
    for status in ("select_tf_ops", "unsupported"):
        pool = [e for e in quick if e["status"] == status]
        picked += rng.sample(pool, min(len(pool), PER_STATUS_MINIMUM))
    rest = [e for e in quick if e not in picked]
    picked += rng.sample(rest, min(len(rest), SAMPLE - len(picked)))
    return picked


def _disagreements(sample: list[dict], outcomes: list[ProbeOutcome]) -> list[str]:
    disagreements = []
    for entry, outcome in zip(sample, outcomes):
        fresh = outcome.result or {}
        if outcome.failure or "status" not in fresh:
            reason = outcome.failure or fresh.get("skipped") or fresh.get("probe_error")
            if not (outcome.failure and entry.get("error") == outcome.failure):  # a recorded crash still crashing agrees
                disagreements.append(f"{entry['name']}: the probe no longer gives a status ({reason})")
            continue
        if fresh["status"] != entry["status"]:
            disagreements.append(f"{entry['name']}: table says {entry['status']}, the installed toolchain "
                                 f"gives {fresh['status']} ({fresh.get('error') or fresh.get('reason')})")
        old = {v["label"]: v["status"] for v in entry["variants"]}
        new = {v["label"]: v["status"] for v in fresh.get("variants", [])}
        if set(old) != set(new):
            disagreements.append(f"{entry['name']}: probed variants changed {sorted(old)} -> {sorted(new)} "
                                 "(regenerate the table)")
        for label in sorted(set(old) & set(new)):
            if old[label] != new[label]:
                disagreements.append(f"{entry['name']} [{label}]: table says {old[label]}, now {new[label]}")
    return disagreements


@pytest.mark.slow
def test_random_sample_matches_the_installed_toolchain() -> None:
    seed = int(os.environ.get("LITERT_LSP_DRIFT_SEED") or datetime.date.today().strftime("%Y%m%d"))
    print(f"tensorflow drift sample seed: {seed} (set LITERT_LSP_DRIFT_SEED={seed} to repeat)")
    document = json.loads(resources.files("litert_lsp.kb").joinpath("data", "tensorflow.json").read_text())
    sample = _sample(document["entries"], seed)
    assert len(sample) >= 20
    started = time.monotonic()
    outcomes = run_isolated([e["name"] for e in sample], tf_suite.WORKER_MODULE, processes=2, timeout=90.0)
    print(f"re-probed {len(sample)} TensorFlow entries in {time.monotonic() - started:.0f} s")
    disagreements = _disagreements(sample, outcomes)
    assert not disagreements, "\n".join(disagreements)


def test_the_comparison_reports_every_kind_of_drift() -> None:
    """The checker itself, on made-up fresh results: each change must be reported."""
    entry = {"name": "tf.math.x", "status": "builtin", "error": None,
             "variants": [{"label": "a", "status": "builtin"}, {"label": "b", "status": "select_tf_ops"}]}
    same = {"status": "builtin", "variants": [{"label": "a", "status": "builtin"},
                                              {"label": "b", "status": "select_tf_ops"}]}
    assert _disagreements([entry], [ProbeOutcome("tf.math.x", same, None, 1.0)]) == []
    flipped = {"status": "unsupported", "error": "boom",
               "variants": [{"label": "a", "status": "unsupported"}, {"label": "b", "status": "select_tf_ops"}]}
    found = _disagreements([entry], [ProbeOutcome("tf.math.x", flipped, None, 1.0)])
    assert len(found) == 2 and "table says builtin" in found[0]
    relabeled = {"status": "builtin", "variants": [{"label": "a", "status": "builtin"}]}
    assert "variants changed" in _disagreements([entry], [ProbeOutcome("tf.math.x", relabeled, None, 1.0)])[0]
    assert "no longer" in _disagreements([entry], [ProbeOutcome("tf.math.x", None, "crashed (SIGSEGV)", 1.0)])[0]
    gone = {"name": "tf.math.x", "skipped": "not exported"}
    assert "no longer" in _disagreements([entry], [ProbeOutcome("tf.math.x", gone, None, 1.0)])[0]
