"""The probe harness itself: isolation of crashing/hanging probes, the runner's helpers, and
how measured variants become one entry. No framework is needed here except where marked."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tools.probes import __main__ as runner
from tools.probes.isolation import ProbeOutcome, run_isolated

WORKER = textwrap.dedent(
    """\
    import os, sys, time
    from tools.probes.isolation import serve

    def probe(job):
        if job == "crash":
            os.abort()
        if job == "hang":
            time.sleep(60)
        if job == "raise":
            raise RuntimeError("boom\\nsecond line")
        print("noise on stdout must not break the protocol")
        return {"status": "supported", "job": job}

    if __name__ == "__main__":
        serve(probe)
    """
)


@pytest.fixture
def worker_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "fake_probe_worker.py").write_text(WORKER)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    return "fake_probe_worker"


def test_crash_and_hang_become_results_and_the_run_goes_on(worker_module: str) -> None:
    jobs = ["a", "crash", "b", "hang", "raise", "c"]
    seen: list[str] = []
    outcomes = run_isolated(jobs, worker_module, processes=2, timeout=3.0,
                            on_outcome=lambda o: seen.append(o.job))
    by_job = {o.job: o for o in outcomes}
    assert [o.job for o in outcomes] == jobs
    assert sorted(seen) == sorted(jobs)
    for ok in "abc":
        assert by_job[ok].failure is None
        assert by_job[ok].result == {"status": "supported", "job": ok}
    assert by_job["crash"].failure == "crashed (SIGABRT)"
    assert by_job["hang"].failure.startswith("timed out")
    assert by_job["raise"].result == {"probe_error": "RuntimeError: boom"}


def test_select_and_merge() -> None:
    jobs = ["torch.abs::0", "torch.abs::1", "torch.absolute::0", "torch.unique::rewrite"]
    assert runner.select(jobs, None) == jobs
    assert runner.select(jobs, ["torch.abs"]) == ["torch.abs::0", "torch.abs::1"]
    assert runner.select(jobs, ["torch.unique"]) == ["torch.unique::rewrite"]
    old = {"duration_seconds": 900.0, "entries": [{"name": "b", "status": "old"}, {"name": "a", "status": "old"}]}
    new = {"duration_seconds": 3.0, "entries": [{"name": "b", "status": "new"}]}
    merged = runner.merge(old, new)
    assert merged["entries"] == [{"name": "a", "status": "old"}, {"name": "b", "status": "new"}]
    assert merged["duration_seconds"] == 900.0


def test_atomic_write_leaves_no_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "data" / "x.json"
    runner.write_text_atomically('{"a": 1}\n', target)
    assert json.loads(target.read_text()) == {"a": 1}
    assert [p.name for p in target.parent.iterdir()] == ["x.json"]


def _variant(label: str) -> object:
    from tools.probes.torch_spec import T, Variant

    return Variant(label, (T((2, 3, 8, 8)),), {"dim": 1})


def _result(status: str, error: str | None = None) -> dict:
    return {"status": status, "error": error, "aten_ops": ["aten.x.default"], "tflite_ops": ["X"] if status == "supported" else [],
            "max_abs_error": 0.0 if status == "supported" else None, "max_rel_error": None, "seconds": 1.0}


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["supported", "supported"], "supported"),
        (["supported", "no_lowering"], "conditional"),
        (["export_fails", "no_lowering"], "export_fails"),
        (["wrong_numbers"], "wrong_numbers"),
    ],
)
def test_entry_status_from_variants(statuses: list[str], expected: str) -> None:
    from tools.probes import torch_suite
    from tools.probes.torch_spec import Recipe

    variants = [_variant(f"v{i}") for i in range(len(statuses))]
    recipe = Recipe("torch.thing", "function", None, variants)
    errors = {"no_lowering": "RuntimeError: Lowering not found: aten._unique2.default"}
    measured = [(v, _result(s, errors.get(s, None if s == "supported" else "Error: x"))) for v, s in zip(variants, statuses)]
    entry = torch_suite.build_entry(recipe, measured, ["input"], [], None, {"torch": "t"})
    assert entry["status"] == expected
    assert len(entry["variants"]) == len(statuses)
    if expected == "conditional":
        assert "v1 (no lowering)" in entry["condition"] and "works for v0" in entry["condition"]
        assert entry["reason"] == "no lowering for aten._unique2.default"
        assert entry["layer"] == "lowering"
    if expected == "supported":
        assert entry["layer"] is None and entry["error"] is None and entry["rewrite"] is None


def test_crash_outcome_maps_to_the_stage_it_died_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tools.probes import torch_suite

    monkeypatch.setenv("LITERT_LSP_STAGE_DIR", str(tmp_path))
    torch_suite._note_stage("torch.x::0", "runtime")
    result = torch_suite.outcome_result(ProbeOutcome("torch.x::0", None, "crashed (SIGSEGV)", 1.0))
    assert result["status"] == "runtime_fails"
    assert "crashed (SIGSEGV) while in runtime" in result["error"]
    assert torch_suite.outcome_result(ProbeOutcome("torch.y::0", {"recipe_error": "bad"}, None, 1.0)) is None


@pytest.mark.slow
def test_regeneration_command_end_to_end(tmp_path: Path) -> None:
    """The one command, on two ops, into a scratch folder: real probes, real statuses."""
    import subprocess
    import sys

    outcomes = tmp_path / "outcomes.json"
    command = [sys.executable, "-m", "tools.probes", "--framework", "torch", "--only", "torch.abs",
               "torch.unique", "--data-dir", str(tmp_path), "--save-outcomes", str(outcomes)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "regeneration took" in done.stdout
    document = json.loads((tmp_path / "torch.json").read_text())
    by_name = {e["name"]: e for e in document["entries"]}
    assert sorted(by_name) == ["torch.abs", "torch.unique"]
    assert by_name["torch.abs"]["status"] == "supported"
    assert "ABS" in by_name["torch.abs"]["tflite_ops"]
    assert by_name["torch.unique"]["status"] == "no_lowering"
    assert "aten._unique2" in by_name["torch.unique"]["reason"]
    # Rebuilding from the saved outcomes probes nothing and gives the same entries.
    rebuilt_dir = tmp_path / "rebuilt"
    again = subprocess.run([*command[:-4], "--data-dir", str(rebuilt_dir), "--rebuild", str(outcomes)],
                           capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode == 0, again.stderr[-2000:]
    rebuilt = json.loads((rebuilt_dir / "torch.json").read_text())
    assert [e["status"] for e in rebuilt["entries"]] == [e["status"] for e in document["entries"]]
