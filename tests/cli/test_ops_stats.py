"""`litert-lsp ops --stats`: the knowledge base's coverage of each framework's public names."""

from __future__ import annotations

import json

import pytest

from litert_lsp import kb
from litert_lsp.cli import main
from litert_lsp.kb.public_names import not_ops, public_names


def _stats(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["ops", "--stats", "--format", "json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_coverage_counts_public_measured_and_not_measured(capsys: pytest.CaptureFixture[str]) -> None:
    table = _stats(capsys)
    for framework in kb.FRAMEWORKS:
        row = table["frameworks"][framework]
        names = public_names(framework)
        assert row["public"] == len(names) > 0
        assert row["not_measured"] == sum(kb.lookup(n, framework) is None for n in names)
        assert row["measured"] == len(kb.entries(framework)) == sum(row["by_status"].values())
        assert set(row["by_status"]) <= set(kb.TORCH_STATUSES + kb.TF_STATUSES)
    # Namespaces add up to their frameworks' totals.
    for key in ("public", "measured", "not_measured"):
        assert sum(r[key] for r in table["namespaces"].values()) == sum(r[key] for r in table["frameworks"].values())
    assert table["frameworks"]["torch"]["not_measured"] > 0  # silence is reported, not hidden
    # Names that are not ops (classes, settings, autograd) are counted apart, with why, never as unmeasured.
    assert table["frameworks"]["torch"]["not_an_op"] == len(not_ops("torch")) > 0
    assert {"torch", "torch.nn", "torch.Tensor", "keras.ops", "tf.math"} <= set(table["namespaces"])


def test_a_query_narrows_both_sides_and_text_has_the_columns(capsys: pytest.CaptureFixture[str]) -> None:
    table = _stats(capsys, "torch.fft")
    assert set(table["namespaces"]) == {"torch.fft"}
    row = table["namespaces"]["torch.fft"]
    assert row["public"] == len([n for n in public_names("torch") if "torch.fft" in n])
    assert main(["ops", "--stats", "--framework", "torch"]) == 0
    captured = capsys.readouterr()
    header = captured.out.splitlines()[0]
    assert header.split()[:3] == ["namespace", "public", "measured"] and header.endswith("not measured")
    assert any(line.startswith("all of torch ") for line in captured.out.splitlines())
    assert "public names not measured" in captured.err


def test_the_names_file_is_the_installed_torch_inventory() -> None:
    """The names are generated (`python -m tools.probes.public_names`), never typed: the file
    matches what the probes' inventory finds in the installed torch."""
    pytest.importorskip("torch")
    from tools.probes.public_names import torch_names

    assert list(public_names("torch")) == torch_names()
