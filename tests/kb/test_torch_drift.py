"""Drift: re-probe a random sample of the shipped PyTorch entries with the installed toolchain.

Fails on any status disagreement, so a toolchain upgrade that changes what converts is caught
the day it lands. The seed is the date (or LITERT_LSP_DRIFT_SEED) and is printed, so a failure
can be reproduced. The sample is drawn among entries whose probes are quick, to fit the budget.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import time
from importlib import resources

import pytest

from tools.probes import torch_suite
from tools.probes.isolation import run_isolated

SAMPLE = 20
MAX_VARIANTS = 2


def _sample(entries: list[dict], seed: int) -> list[dict]:
    quick = [e for e in entries if len(e["variants"]) <= MAX_VARIANTS and e.get("probe_seconds") is not None]
    quick.sort(key=lambda e: e["probe_seconds"])
    pool = quick[: max(SAMPLE * 4, len(quick) * 2 // 3)]  # the faster two thirds
    rng = random.Random(seed)
    failing = [e for e in pool if e["status"] != "supported"]
    working = [e for e in pool if e["status"] == "supported"]
    # Both kinds of answer are re-checked: a quarter of the sample from failing entries.
    picked = rng.sample(failing, min(len(failing), SAMPLE // 4))
    picked += rng.sample(working, min(len(working), SAMPLE - len(picked)))
    return picked


@pytest.mark.slow
def test_random_sample_matches_the_installed_toolchain(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LITERT_LSP_STAGE_DIR", str(tmp_path))
    seed = int(os.environ.get("LITERT_LSP_DRIFT_SEED") or datetime.date.today().strftime("%Y%m%d"))
    print(f"drift sample seed: {seed} (set LITERT_LSP_DRIFT_SEED={seed} to repeat)")
    document = json.loads(resources.files("litert_lsp.kb").joinpath("data", "torch.json").read_text())
    sample = _sample(document["entries"], seed)
    assert len(sample) >= SAMPLE
    jobs = [f"{e['name']}::{i}" for e in sample for i in range(len(e["variants"]))]
    started = time.monotonic()
    outcomes = {o.job: o for o in run_isolated(jobs, torch_suite.WORKER_MODULE, processes=2, timeout=120.0)}
    print(f"re-probed {len(sample)} entries ({len(jobs)} probes) in {time.monotonic() - started:.0f} s")
    disagreements = []
    for entry in sample:
        statuses = []
        for index, variant in enumerate(entry["variants"]):
            outcome = outcomes[f"{entry['name']}::{index}"]
            result = torch_suite.outcome_result(outcome)
            if result is None:
                disagreements.append(f"{entry['name']} [{variant['label']}]: the recipe no longer runs "
                                     f"({outcome.result})")
                continue
            if result.get("label", variant["label"]) != variant["label"]:
                disagreements.append(f"{entry['name']}: variant {index} is now {result['label']!r}, "
                                     f"the table has {variant['label']!r} (regenerate the table)")
            statuses.append(result["status"])
            if result["status"] != variant["status"]:
                disagreements.append(f"{entry['name']} [{variant['label']}]: table says {variant['status']}, "
                                     f"the installed toolchain gives {result['status']}: {result.get('error')}")
        if len(statuses) == len(entry["variants"]) and torch_suite.entry_status(statuses) != entry["status"]:
            disagreements.append(f"{entry['name']}: table says {entry['status']}")
    assert not disagreements, "\n".join(disagreements)
