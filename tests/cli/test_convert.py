"""`litert-lsp check --convert`: the dynamic lane after the static findings, through the real
command line, worker and converter (slow, except the file without models)."""

from __future__ import annotations

import json

import pytest

from tests.export.models_src import TINY

SVD_LINE = next(i for i, text in enumerate(TINY.splitlines(), 1) if "svdvals" in text)  # 1-based
FIXED = TINY.replace("torch.linalg.svdvals(y)", "torch.tanh(y)")


def test_a_file_without_models_converts_nothing(cli, project) -> None:
    folder = project({"plain.py": "x = 1\n"})
    done = cli("check", "--convert", "--format", "json", "plain.py", cwd=folder)
    assert done.code == 0, done.stderr
    assert json.loads(done.stdout) == []


@pytest.mark.slow
def test_convert_reports_converter_failures_with_the_static_ones(cli, project) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("litert_torch")
    folder = project({"models.py": TINY, "fixed.py": FIXED})

    static = cli("check", "--format", "json", "fixed.py", cwd=folder)
    fixed = cli("check", "--convert", "--format", "json", "fixed.py", cwd=folder)
    assert fixed.code == static.code, fixed.stderr
    assert not [f for f in json.loads(fixed.stdout) if f["code"] in ("LRT901", "LRT902")]
    assert "Wide not converted" in fixed.stderr  # cannot be built without arguments: said, not failed

    failing = cli("check", "--convert", "--format", "json", "models.py", cwd=folder)
    assert failing.code == 1, failing.stderr
    converter = [f for f in json.loads(failing.stdout) if f["code"] == "LRT901"]
    assert [f["line"] for f in converter] == [SVD_LINE], converter
    assert "_linalg_svd" in converter[0]["message"]

    sarif = cli("check", "--convert", "--format", "sarif", "models.py", cwd=folder)
    results = json.loads(sarif.stdout)["runs"][0]["results"]
    assert any(r["ruleId"] == "LRT901" for r in results)
    assert not list(folder.glob("*.tflite")), "the dynamic lane writes nothing"


@pytest.mark.slow
def test_a_numerical_mismatch_is_reported_where_it_starts(cli, project) -> None:
    pytest.importorskip("litert_torch")
    from tests.export.test_culprit import MODEL

    # The model takes no example input it could infer: give its shape in pyproject.
    folder = project({"gqa.py": MODEL, "pyproject.toml": "[tool.litert-lsp.models.Tiny]\ninput-shape = [1, 6, 8]\n"})
    done = cli("check", "--convert", "--format", "json", "gqa.py", cwd=folder)
    assert done.code == 1, done.stderr
    mismatches = [(f["line"], f["message"]) for f in json.loads(done.stdout) if f["code"] == "LRT902"]
    lines = sorted(line for line, _ in mismatches)
    assert 6 in lines, mismatches  # the Attention class, where it starts
    assert any("the mismatch starts in `block.attn`" in message for _, message in mismatches)
