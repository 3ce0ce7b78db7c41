"""Drift test: two small models of the PyTorch suite re-measured with the real toolchain (the
same harness as `python -m bench.real_models.truth_torch`) must keep their committed status.

A new torch, litert-torch or transformers that fixes or breaks one of them fails this test,
and the truth file (and the scores built on it) must then be regenerated.
"""

from __future__ import annotations

import json

import pytest

from bench.real_models import truth_torch
from bench.real_models.catalog_torch import entry

pytestmark = pytest.mark.slow

# One that converts and matches, one that fails in lowering; both measure in ~15 s.
SAMPLE = ("transformers/roberta", "transformers/fnet")


@pytest.mark.parametrize("model_id", SAMPLE)
def test_status_matches_the_committed_truth(model_id: str) -> None:
    committed = {m["id"]: m for m in json.loads(truth_torch.TRUTH.read_text())["models"]}
    expected = committed[model_id]
    measured = truth_torch.measure(model_id, entry(model_id).library, timeout=120)
    assert measured["status"] == expected["status"], measured["error"]
    assert measured["construct"] == expected["construct"]
    # The same lines of library code ran (the harness, not only the toolchain, is stable).
    assert set(measured["executed"]) == set(expected["executed"])
    if expected["status"] == "ok":
        assert measured["max_rel_error"] < 1e-5
