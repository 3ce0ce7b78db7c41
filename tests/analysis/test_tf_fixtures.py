"""The TensorFlow fixtures: the analyzer against each `<name>.expected.json` (fast), and each
expectation against the real TFLiteConverter and the LiteRT runtime (slow)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from litert_lsp.analysis.names import ImportTable
from litert_lsp.analysis.tf.finder import find_tf_findings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tensorflow"
WORKER = Path(__file__).with_name("tf_fixture_worker.py")
NAMES = sorted(p.stem for p in FIXTURES.glob("*.py"))

# Codes saying the model cannot be converted at all / only with the Flex runtime.
FAILS_BOTH = {"LRT302", "LRT304", "LRT305", "LRT307"}
NEEDS_FLEX = {"LRT301", "LRT306"}


def expected(name: str) -> list[dict]:
    return json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))


def analyzed(name: str) -> list[dict]:
    source = (FIXTURES / f"{name}.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    return [
        # The message too: an expectation file documents what the user reads.
        {"line": f.line, "column": f.column + 1, "end_line": f.end_line, "end_column": f.end_column + 1,
         "code": f.code, "message": f.message}
        for f in find_tf_findings(tree, ImportTable.from_tree(tree), source)
    ]


def _key(record: dict) -> tuple:
    return (record["line"], record["column"], record["end_line"], record["end_column"], record["code"])


def test_enough_fixtures_both_clean_and_flagged():
    assert len(NAMES) >= 15
    flagged = [n for n in NAMES if expected(n)]
    assert len(flagged) >= 8 and len(NAMES) - len(flagged) >= 5
    codes = {r["code"] for n in NAMES for r in expected(n)}
    assert {"LRT301", "LRT302", "LRT304", "LRT305", "LRT306"} <= codes


@pytest.mark.parametrize("name", NAMES)
def test_analyzer_matches_expectation(name):
    assert sorted(analyzed(name), key=_key) == sorted(expected(name), key=_key)


@pytest.fixture(scope="module")
def conversions(tmp_path_factory) -> dict[str, dict]:
    """Every fixture converted once, in one subprocess (TensorFlow import costs seconds)."""
    out = tmp_path_factory.mktemp("tf-fixtures") / "results.json"
    paths = [str(FIXTURES / f"{name}.py") for name in NAMES]
    completed = subprocess.run(
        [sys.executable, str(WORKER), str(out), *paths],
        check=False, capture_output=True, text=True, timeout=600,
    )
    assert out.exists(), f"worker died before any result (exit {completed.returncode}): {completed.stderr[-2000:]}"
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_expectation_agrees_with_real_converter(name, conversions):
    assert name in conversions, f"the worker stopped before {name}"
    result = conversions[name]
    codes = {r["code"] for r in expected(name)}
    converts_builtin = bool(result.get("builtin"))
    converts_flex = bool(result.get("flex"))
    facts = json.dumps(result)[:600]
    if codes & FAILS_BOTH:
        assert not converts_builtin and not converts_flex, f"{name} is expected to fail both ways: {facts}"
    elif codes & NEEDS_FLEX:
        assert not converts_builtin, f"{name} is expected to need Select TF ops, but builtins work: {facts}"
        assert converts_flex, f"{name} is expected to convert with Select TF ops: {facts}"
    else:
        assert converts_builtin, f"{name} is expected to convert with builtins: {facts}"
        assert result.get("runs") and result.get("matches"), f"{name}: LiteRT disagrees with TF: {facts}"
