"""The analyzer scored against the measured truth of real models (bench/real_models).

- the scoring itself, on a small library file written here: what counts as flagged, which
  lines count as executed, what "names the construct" means;
- the committed scoreboard: re-scoring the committed truth with today's analyzer may only
  move models the right way (a miss may become a hit, a false alarm may go quiet, never
  the reverse) — a change that loses a real-model verdict fails here, by model name;
- docs/real-models.md is what the truth and today's analyzer give.

No converter runs here: the truth (what the toolchain did with each model, and which library
lines it executed) was measured by `python -m bench.real_models.truth_<framework>`, and its
drift is checked by the slow truth tests.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import pytest

from bench.real_models import score

FRAMEWORKS = [f for f in score.FRAMEWORKS
              if (score.DATA / f"{f}_truth.json").is_file() and (score.DATA / f"{f}_scores.json").is_file()]

LIBRARY_FILE = '''\
import torch
from torch import nn


class Block(nn.Module):
    def forward(self, x):
        y = torch.histc(
            x, bins=4)
        return y


class Other(nn.Module):
    def forward(self, x):
        return torch.histc(x, bins=8)


class Fine(nn.Module):
    def forward(self, x):
        return torch.relu(x)
'''


@pytest.fixture
def library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    package = tmp_path / "fakelib"
    package.mkdir()
    (package / "blocks.py").write_text(LIBRARY_FILE, encoding="utf-8")
    monkeypatch.setattr(score, "library_roots", lambda: [tmp_path])
    score.file_findings.cache_clear()
    yield "fakelib/blocks.py"
    score.file_findings.cache_clear()


def _truth(*models: dict) -> dict:
    return {"schema": 1, "framework": "torch", "versions": {}, "models": list(models)}


def test_a_failing_model_is_hit_only_through_lines_it_executed(library: str) -> None:
    ran_block = {"id": "a", "status": "lowering", "construct": "aten.histc",
                 "executed": {library: "1-7,9"}}  # line 8 is the call's continuation line
    ran_fine = {"id": "b", "status": "lowering", "construct": "aten.histc",
                "executed": {library: "1-6,17-19"}}
    summary = score.score("torch", _truth(ran_block, ran_fine))
    first, second = summary.models
    assert first.verdict == "hit"
    assert [f["line"] for f in first.findings] == [7]
    assert first.names_construct
    assert second.verdict == "miss"  # the file has histc calls, but not on lines b ran
    assert summary.as_dict()["recall"] == 0.5


def test_a_converting_model_flagged_on_its_lines_is_a_false_alarm(library: str) -> None:
    summary = score.score("torch", _truth({"id": "c", "status": "ok", "executed": {library: "14"}},
                                          {"id": "d", "status": "ok", "executed": {library: "18-19"}}))
    assert [m.verdict for m in summary.models] == ["false alarm", "quiet"]
    assert summary.as_dict()["false_alarms"] == 1


def test_naming_the_construct_compares_with_what_the_converter_reported(library: str) -> None:
    wrong = {"id": "e", "status": "runtime", "construct": "STABLEHLO_SORT", "executed": {library: "14"}}
    model = score.score("torch", _truth(wrong)).models[0]
    assert model.verdict == "hit" and not model.names_construct


def test_a_wrong_numbers_model_is_named_on_the_lines_its_culprit_ran(library: str) -> None:
    # No op name in the truth: what names the failure is a finding on a line the submodule the
    # mismatch starts in executed (its forward alone), not any finding the model reached.
    culprit = {"name": "layers.0", "class": "Other", "file": library, "lines": [12, 14],
               "rel_error": 0.2, "executed": {library: "14"}}
    inside = {"id": "g", "status": "wrong_numbers", "construct": None, "culprit": culprit,
              "executed": {library: "1-7,9,14"}}
    elsewhere = {**inside, "id": "h", "culprit": {**culprit, "executed": {library: "18-19"}}}
    unknown = {**inside, "id": "i", "culprit": None}
    named, unnamed, no_culprit = score.score("torch", _truth(inside, elsewhere, unknown)).models
    assert named.verdict == "hit" and named.names_construct
    assert [(f["line"], f["named_by"]) for f in named.findings] == [(7, None), (14, "culprit")]
    assert unnamed.verdict == "hit" and not unnamed.names_construct
    assert no_culprit.verdict == "hit" and not no_culprit.names_construct


def test_an_error_without_an_op_name_is_named_at_the_statement_it_was_raised_from(library: str) -> None:
    # The traceback's line 8 is the continuation of the statement at line 7, where the finding is.
    raised = {"id": "j", "status": "export", "construct": None, "failing_at": {library: "8"},
              "executed": {library: "1-7,9,14"}}
    model = score.score("torch", _truth(raised)).models[0]
    assert [(f["line"], f["named_by"]) for f in model.findings] == [(7, "location"), (14, None)]
    assert model.names_construct
    # An op name in the truth is what a finding must name: a location does not stand in for it.
    with_op = {**raised, "id": "k", "construct": "STABLEHLO_SORT"}
    assert not score.score("torch", _truth(with_op)).models[0].names_construct


def test_build_errors_are_not_scored(library: str) -> None:
    summary = score.score("torch", _truth({"id": "f", "status": "build_error", "executed": {library: "14"}}))
    assert summary.models[0].verdict == "not scored"
    assert summary.as_dict()["failing"] == 0


def test_line_ranges_parse() -> None:
    assert score.parse_ranges("1-3,7,10-11") == {1, 2, 3, 7, 10, 11}
    assert score.parse_ranges("") == set()


# ---- the committed suites ------------------------------------------------------------------------

_BETTER = {("miss", "hit"), ("false alarm", "quiet")}


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_the_measured_libraries_are_the_installed_ones(framework: str) -> None:
    truth = score.load_truth(framework)
    for model in truth["models"]:
        missing = [p for p in (model.get("executed") or {}) if score.locate(p) is None]
        assert not missing, (
            f"{model['id']}: library files of the measured truth are not installed ({missing[:2]}); "
            "./dev installs bench/real_models/requirements.txt into .venv/bench-libs")
    for name, version in (truth.get("versions") or {}).items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = _bench_lib_version(name)
        if installed is not None:
            assert installed.split("+")[0] == str(version).split("+")[0], (
                f"the truth was measured with {name} {version}, {installed} is installed: "
                f"regenerate it (python -m bench.real_models.truth_{framework})")


def _bench_lib_version(name: str) -> str | None:
    wanted = name.replace("-", "_").lower()
    for info in score.BENCH_LIBS.glob("*.dist-info"):
        distribution, _, version = info.name[: -len(".dist-info")].partition("-")
        if distribution.replace("-", "_").lower() == wanted:
            return version
    return None


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_no_real_model_verdict_got_worse(framework: str) -> None:
    board = json.loads((score.DATA / f"{framework}_scores.json").read_text(encoding="utf-8"))
    summary = score.score(framework)
    now = {m.id: m for m in summary.models}
    assert set(now) == set(board["models"]), "truth and scoreboard list different models: run score --write"
    worse, better = [], []
    for model_id, before in board["models"].items():
        model = now[model_id]
        change = (before["verdict"], model.verdict)
        if change[0] != change[1]:
            (better if change in _BETTER else worse).append(f"{model_id}: {change[0]} -> {change[1]}")
        elif before["named"] and not model.names_construct:
            worse.append(f"{model_id}: no longer names the failing construct")
        elif model.names_construct and not before["named"]:
            better.append(f"{model_id}: now names the failing construct")
    assert not worse, "real-model verdicts got worse:\n" + "\n".join(worse)
    assert not better, ("real-model verdicts improved; record them with "
                        "`python -m bench.real_models.score --write --docs`:\n" + "\n".join(better))


def test_the_compatibility_page_is_current() -> None:
    if not FRAMEWORKS:
        pytest.skip("no measured suite yet")
    done = [(score.score(f), score.load_truth(f)) for f in FRAMEWORKS]
    committed = score.DOCS_PAGE.read_text(encoding="utf-8")
    assert committed == score.docs_table(done), "run: python -m bench.real_models.score --write --docs"
