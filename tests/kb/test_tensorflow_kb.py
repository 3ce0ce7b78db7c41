"""The shipped TensorFlow / Keras table: shape, size, statuses, aliases, and the suite's contract."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources

import jsonschema
import pytest

from litert_lsp import kb
from litert_lsp.analysis.names import canonical_name
from tools.probes import tf_suite
from tools.probes.isolation import ProbeOutcome

MIN_ENTRIES = 300

VARIANT_SCHEMA = {
    "type": "object",
    "required": ["label", "args", "kwargs", "status"],
    "properties": {
        "label": {"type": "string", "minLength": 1},
        "args": {"type": "array", "items": {"type": "string"}},
        "kwargs": {"type": "object"},
        "status": {"enum": list(kb.TF_STATUSES)},
        "tflite_ops": {"type": "array", "items": {"type": "string"}},
    },
}
ENTRY_SCHEMA = {
    "type": "object",
    "required": ["framework", "name", "kind", "aliases", "params", "status", "layer", "reason", "error",
                 "tf_ops", "tflite_ops", "gpu_compatible", "max_abs_error", "max_rel_error", "variants",
                 "versions"],
    "properties": {
        "framework": {"const": "tensorflow"},
        "name": {"type": "string", "pattern": r"^(tf|keras)\.[\w.]+$"},
        "kind": {"enum": ["function", "method", "layer"]},
        "aliases": {"type": "array", "items": {"type": "string"}},
        "params": {"type": "array", "items": {"type": "string"}},
        "status": {"enum": list(kb.TF_STATUSES)},
        "layer": {"enum": [None, "export", "lowering", "runtime", "numerics"]},
        "reason": {"type": ["string", "null"]},
        "error": {"type": ["string", "null"]},
        "tf_ops": {"type": "array", "items": {"type": "string"}},
        "tflite_ops": {"type": "array", "items": {"type": "string"}},
        "gpu_compatible": {"type": ["boolean", "null"]},
        "max_abs_error": {"type": ["number", "null"]},
        "max_rel_error": {"type": ["number", "null"]},
        "variants": {"type": "array", "items": VARIANT_SCHEMA},
        "versions": {"type": "object", "required": ["tensorflow-cpu", "ai-edge-litert"]},
    },
}


@pytest.fixture(scope="module")
def document() -> dict:
    return json.loads(resources.files("litert_lsp.kb").joinpath("data", "tensorflow.json").read_text())


def test_file_header(document: dict) -> None:
    assert document["schema"] == 1
    assert document["framework"] == "tensorflow"
    assert document["duration_seconds"] > 0
    assert document["versions"]["tensorflow-cpu"].startswith("2.")


def test_enough_measured_entries(document: dict) -> None:
    assert len(document["entries"]) >= MIN_ENTRIES
    # A measured table has all three answers; a table with one status was not measured.
    statuses = {e["status"] for e in document["entries"]}
    assert statuses == set(kb.TF_STATUSES)


def test_every_entry_validates(document: dict) -> None:
    validator = jsonschema.Draft202012Validator(ENTRY_SCHEMA)  # one compiled validator: fast
    problems = [f"{e['name']}: {error.message}" for e in document["entries"] for error in validator.iter_errors(e)]
    assert not problems, "\n".join(problems[:20])


def test_names_are_canonical_and_unique(document: dict) -> None:
    names = [e["name"] for e in document["entries"]]
    assert len(names) == len(set(names))
    for name in names:
        assert canonical_name(name) == name, name
    aliases = [a for e in document["entries"] for a in e["aliases"]]
    assert not set(aliases) & set(names), "an alias shadows a real entry"


def test_statuses_agree_with_the_recorded_evidence(document: dict) -> None:
    for entry in document["entries"]:
        flex = [op for op in entry["tflite_ops"] if op.startswith("Flex")]
        if entry["status"] == "builtin":
            assert not flex and entry["error"] is None and entry["layer"] is None, entry["name"]
        elif entry["status"] == "select_tf_ops":
            # The Select-TF-ops model was really built: its Flex ops are in the flatbuffer.
            assert entry["error"] and entry["tflite_ops"], entry["name"]
        else:
            assert entry["layer"] and entry["reason"], entry["name"]
        if entry["variants"]:
            assert entry["status"] == entry["variants"][0]["status"], entry["name"]
            if len({v["status"] for v in entry["variants"]}) > 1:
                assert entry["condition"], entry["name"]


def test_every_name_and_alias_resolves_through_lookup(document: dict) -> None:
    kb._load.cache_clear()
    for entry in document["entries"]:
        found = kb.lookup(entry["name"])
        assert found is not None and found.name == entry["name"]
        for alias in entry["aliases"]:
            resolved = kb.lookup(alias, "tensorflow")
            assert resolved is not None and resolved.name == entry["name"], alias


def test_user_spellings_reach_the_entry_through_canonical_name(document: dict) -> None:
    by_name = {e["name"]: e for e in document["entries"]}
    layer = next(n for n in by_name if n.startswith("keras.layers."))
    short = layer.rsplit(".", 1)[1]
    for spelling in (f"tensorflow.keras.layers.{short}", f"tf.keras.layers.{short}"):
        assert kb.lookup(canonical_name(spelling)).name == layer
    math_alias = next((a, e["name"]) for e in document["entries"] for a in e["aliases"]
                      if e["name"].startswith("tf.math.") and a.count(".") == 1)
    assert kb.lookup(canonical_name("tensorflow." + math_alias[0][3:])).name == math_alias[1]


def test_suite_module_imports_no_framework() -> None:
    code = ("import sys; import tools.probes.tf_suite as s; "
            "assert s.FRAMEWORK == 'tensorflow'; "
            "heavy = [m for m in ('tensorflow', 'keras', 'numpy', 'torch') if m in sys.modules]; "
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_build_document_records_crashes_and_counts_skips() -> None:
    measured = {"framework": "tensorflow", "name": "tf.math.abs", "status": "builtin", "variants": []}
    outcomes = [
        ProbeOutcome("tf.math.abs", measured, None, 0.5),
        ProbeOutcome("tf.linalg.boom", None, "crashed (SIGSEGV)", 1.0),
        ProbeOutcome("tf.nothing", {"name": "tf.nothing", "skipped": "no pattern"}, None, 0.1),
        ProbeOutcome("tf.bug", {"probe_error": "KeyError: x"}, None, 0.1),
    ]
    document = tf_suite.build_document(outcomes, 2.0)
    by_name = {e["name"]: e for e in document["entries"]}
    assert set(by_name) == {"tf.math.abs", "tf.linalg.boom"}
    assert by_name["tf.math.abs"]["probe_seconds"] == 0.5
    crashed = by_name["tf.linalg.boom"]
    assert crashed["status"] == "unsupported" and "SIGSEGV" in crashed["error"]
    jsonschema.validate(crashed, ENTRY_SCHEMA)
    assert document["not_probed"] == {"no pattern": 1, "probe error": 1}
    assert document["duration_seconds"] == 2.0
