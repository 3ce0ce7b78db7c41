"""`litert-lsp ops` shows the keras.ops entries and counts the table per namespace."""

from __future__ import annotations

import json

import pytest

from litert_lsp import kb
from litert_lsp.cli import main
from litert_lsp.cli.ops import namespace


def test_ops_finds_keras_ops_fft2_by_name_and_alias(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ops", "keras.ops.fft2"]) == 0
    out = capsys.readouterr().out
    entry = kb.lookup("keras.ops.fft2", "tensorflow")
    assert entry is not None
    line = next(row for row in out.splitlines() if row.startswith("keras.ops.fft2 "))
    assert entry.status in line
    assert main(["ops", "keras.src.ops.math.fft2", "--format", "json"]) == 0  # an alias finds the entry too
    assert [e["name"] for e in json.loads(capsys.readouterr().out)] == ["keras.ops.fft2"]


def test_stats_count_every_matching_entry_once(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ops", "--framework", "tensorflow", "--stats", "--format", "json"]) == 0
    table = json.loads(capsys.readouterr().out)["namespaces"]
    assert sum(sum(row["by_status"].values()) for row in table.values()) == len(kb.entries("tensorflow"))
    assert {"keras.ops", "keras.ops.image", "keras.layers", "tf.math"} <= set(table)
    assert set().union(*(row["by_status"] for row in table.values())) <= set(kb.TF_STATUSES)
    assert main(["ops", "keras.ops", "--stats"]) == 0
    text = capsys.readouterr().out.splitlines()
    assert text[0].split()[0] == "namespace" and any(row.startswith("keras.ops ") for row in text[1:])


def test_namespace_of_a_name() -> None:
    assert namespace("keras.ops.sum") == "keras.ops"
    assert namespace("keras.ops.image.resize") == "keras.ops.image"
    assert namespace("tf.math.cumsum") == "tf.math"
    assert namespace("tf.TensorArray") == "tf"
    assert namespace("keras.layers.LSTM") == "keras.layers"
