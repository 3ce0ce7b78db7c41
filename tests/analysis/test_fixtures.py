"""The fixture folder: each model file beside the findings it must produce.

The fast test checks the analyzer against each `<name>.expected.json`. The slow test checks
each expectation against reality: every fixture is converted with litert-torch, run in the
LiteRT runtime and compared with eager PyTorch. An expected-clean fixture must convert, run
and match; a fixture expected to have an error must not do all three; warnings (e.g. LRT106
"depends on shapes") require nothing.
"""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

import pytest

from litert_lsp.analysis import analyze
from litert_lsp.core.codes import default_severity
from litert_lsp.core.findings import Severity

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "torch"
MODELS = sorted(FIXTURES.glob("*.py"))


def expected(path: Path) -> list[dict]:
    return json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))


def as_records(source: str) -> list[dict]:
    return [
        # The message too: an expectation file documents what the user reads.
        {"line": f.line, "column": f.column + 1, "end_line": f.end_line, "end_column": f.end_column + 1,
         "code": f.code, "message": f.message}
        for f in analyze(source)
    ]


def test_enough_fixtures_of_each_kind():
    assert len(MODELS) >= 25
    codes = {record["code"] for model in MODELS for record in expected(model)}
    # every torch.export rule, and KB-backed error, numerics and conditional verdicts
    assert {"LRT201", "LRT202", "LRT203", "LRT204", "LRT205", "LRT102", "LRT103", "LRT104", "LRT105", "LRT106"} <= codes
    assert sum(1 for model in MODELS if not expected(model)) >= 10


@pytest.mark.parametrize("model", MODELS, ids=[m.stem for m in MODELS])
def test_fixture_is_a_self_contained_model(model: Path):
    tree = ast.parse(model.read_text(encoding="utf-8"))
    names = {n.name for n in tree.body if isinstance(n, (ast.ClassDef, ast.FunctionDef))}
    assert {"Model", "example_inputs"} <= names
    # nothing runs on import: only imports, defs, classes and the docstring at top level
    for node in tree.body:
        assert isinstance(node, (ast.Import, ast.ImportFrom, ast.ClassDef, ast.FunctionDef, ast.Expr)), (
            f"{model.name}:{node.lineno} runs code on import"
        )


@pytest.mark.parametrize("model", MODELS, ids=[m.stem for m in MODELS])
def test_analyzer_matches_expectation(model: Path):
    assert as_records(model.read_text(encoding="utf-8")) == expected(model)


def _has_error(model: Path) -> bool:
    return any(default_severity(r["code"]) == Severity.ERROR for r in expected(model))


@pytest.mark.slow
def test_expectations_agree_with_the_real_converter(monkeypatch):
    from tools.probes.isolation import run_isolated

    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    jobs = [str(model) for model in MODELS]
    outcomes = run_isolated(jobs, "tests.analysis.fixture_worker", processes=2, timeout=180,
                            max_jobs_per_worker=len(jobs))
    wrong = []
    for model, outcome in zip(MODELS, outcomes):
        result = outcome.result or {}
        if "probe_error" in result:
            wrong.append(f"{model.name}: the fixture itself failed: {result['probe_error']}")
            continue
        works = bool(result.get("ok")) and not outcome.failure
        if not expected(model) and not works:
            wrong.append(f"{model.name}: expected clean, but {outcome.failure or result.get('error')}")
        elif _has_error(model) and works:
            wrong.append(f"{model.name}: expected {[r['code'] for r in expected(model)]}, "
                         "but it converts, runs and matches PyTorch")
    assert not wrong, "\n".join(wrong)


if __name__ == "__main__":
    # After the knowledge base is regenerated: `python -m tests.analysis.test_fixtures`
    # rewrites every expectation from the analyzer; review the diff, then run the slow test
    # (`./dev test -m slow tests/analysis/test_fixtures.py`) to check them against reality.
    for path in MODELS:
        path.with_suffix(".expected.json").write_text(
            json.dumps(as_records(path.read_text(encoding="utf-8")), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(path.with_suffix(".expected.json").name)
