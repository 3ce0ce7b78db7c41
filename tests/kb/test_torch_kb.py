"""The shipped PyTorch table: shape, size, statuses, and a lookup that imports no framework."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources

import jsonschema
import pytest

from litert_lsp import kb

MIN_ENTRIES = 400

VARIANT_SCHEMA = {
    "type": "object",
    "required": ["label", "args", "kwargs", "status", "error", "aten_ops", "tflite_ops"],
    "properties": {
        "label": {"type": "string", "minLength": 1},
        "args": {"type": "string"},
        "kwargs": {"type": "object"},
        "rank": {"type": ["integer", "null"]},
        "dtype": {"type": ["string", "null"]},
        "status": {"enum": [s for s in kb.TORCH_STATUSES if s != "conditional"]},
        "error": {"type": ["string", "null"]},
        "aten_ops": {"type": "array", "items": {"type": "string"}},
        "tflite_ops": {"type": "array", "items": {"type": "string"}},
        "max_abs_error": {"type": ["number", "null"]},
        "max_rel_error": {"type": ["number", "null"]},
    },
}
ENTRY_SCHEMA = {
    "type": "object",
    "required": ["framework", "name", "kind", "status", "layer", "reason", "error", "aten_ops", "tflite_ops",
                 "variants", "versions", "max_abs_error", "max_rel_error"],
    "properties": {
        "framework": {"const": "torch"},
        "name": {"type": "string", "pattern": r"^torch\.[\w.]+$"},
        "kind": {"enum": ["function", "method", "layer"]},
        "aliases": {"type": "array", "items": {"type": "string"}},
        "params": {"type": ["array", "null"], "items": {"type": "string"}},
        "status": {"enum": list(kb.TORCH_STATUSES)},
        "layer": {"enum": ["export", "lowering", "runtime", "numerics", None]},
        "reason": {"type": ["string", "null"]},
        "condition": {"type": ["string", "null"]},
        "error": {"type": ["string", "null"]},
        "aten_ops": {"type": "array", "items": {"type": "string"}},
        "tflite_ops": {"type": "array", "items": {"type": "string"}},
        "max_abs_error": {"type": ["number", "null"]},
        "max_rel_error": {"type": ["number", "null"]},
        "variants": {"type": "array", "minItems": 1, "items": VARIANT_SCHEMA},
        "rewrite": {
            "oneOf": [
                {"type": "null"},
                {"type": "object", "required": ["description", "code", "verified", "max_abs_error"],
                 "properties": {"verified": {"const": True}, "code": {"type": "string", "minLength": 1}}},
            ]
        },
        "versions": {"type": "object", "required": ["torch", "litert-torch", "ai-edge-litert"]},
    },
}
DOCUMENT_SCHEMA = {
    "type": "object",
    "required": ["schema", "framework", "generated_at", "duration_seconds", "versions", "entries"],
    "properties": {
        "schema": {"const": 1},
        "framework": {"const": "torch"},
        "duration_seconds": {"type": "number", "minimum": 0},
        "entries": {"type": "array", "items": ENTRY_SCHEMA},
    },
}


@pytest.fixture(scope="module")
def document() -> dict:
    text = resources.files("litert_lsp.kb").joinpath("data", "torch.json").read_text(encoding="utf-8")
    return json.loads(text)


def test_document_validates_against_the_schema(document: dict) -> None:
    jsonschema.validate(document, DOCUMENT_SCHEMA)


def test_at_least_400_measured_entries_with_unique_names(document: dict) -> None:
    names = [e["name"] for e in document["entries"]]
    assert len(names) >= MIN_ENTRIES, len(names)
    assert len(set(names)) == len(names)
    kinds = {e["kind"] for e in document["entries"]}
    assert kinds == {"function", "method", "layer"}


def test_entry_status_agrees_with_its_variants(document: dict) -> None:
    for entry in document["entries"]:
        statuses = {v["status"] for v in entry["variants"]}
        if entry["status"] == "supported":
            assert statuses == {"supported"}, entry["name"]
            assert entry["error"] is None and entry["layer"] is None
        elif entry["status"] == "conditional":
            assert "supported" in statuses and len(statuses) > 1, entry["name"]
            assert entry["condition"], entry["name"]
        else:
            assert "supported" not in statuses, entry["name"]
            assert entry["status"] == entry["variants"][0]["status"]
            assert entry["error"] and entry["layer"] and entry["reason"], entry["name"]


def test_several_statuses_and_sensitive_ops_have_variants(document: dict) -> None:
    by_name = {e["name"]: e for e in document["entries"]}
    statuses = {e["status"] for e in document["entries"]}
    assert {"supported", "conditional", "no_lowering"} <= statuses
    for name in ("torch.Tensor.unfold", "torch.nn.functional.max_pool2d", "torch.nn.functional.interpolate"):
        assert len(by_name[name]["variants"]) >= 2, name
    assert [v["rank"] for v in by_name["torch.Tensor.unfold"]["variants"]] == [2, 4]


def test_lookup_search_and_metadata() -> None:
    entry = kb.lookup("torch.nn.functional.max_pool2d")
    assert entry is not None and entry.framework == "torch"
    assert kb.lookup("torch.no_such_op_anywhere") is None
    assert all("unfold" in e.name.lower() for e in kb.search("unfold", "torch"))
    meta = kb.metadata("torch")
    assert "entries" not in meta and meta["versions"]["torch"]
    for _ in range(1000):  # timing belongs to the benchmark; here it must simply work repeatedly
        assert kb.lookup("torch.abs") is not None


def test_importing_and_looking_up_imports_no_framework() -> None:
    code = (
        "import sys\n"
        "from litert_lsp import kb\n"
        "assert kb.lookup('torch.abs') is not None\n"
        "kb.search('conv', 'torch')\n"
        "heavy = sorted(m for m in ('torch', 'tensorflow', 'litert_torch', 'numpy', 'ai_edge_litert', 'jax')"
        " if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_rewrites_are_verified_and_only_on_failing_entries(document: dict) -> None:
    for entry in document["entries"]:
        rewrite = entry.get("rewrite")
        if rewrite:
            assert entry["status"] != "supported"
            assert rewrite["verified"] is True and rewrite["max_abs_error"] <= 1e-3
