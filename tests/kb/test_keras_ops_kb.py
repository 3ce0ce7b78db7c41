"""keras.ops in the TensorFlow table: naming the analyzer relies on, variant evidence, and constructs."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest

from litert_lsp import kb
from tests.kb.test_tensorflow_drift import _disagreements
from tools.probes import tf_recipes, tf_suite
from tools.probes.isolation import run_isolated

# keras.ops has about 345 public functions with the TensorFlow backend; nearly all are measured.
MIN_KERAS_OPS = 300

KERAS_VARIANT_SCHEMA = {
    "type": "object",
    "required": ["label", "args", "kwargs", "status", "operands"],
    "properties": {
        "operands": {"enum": ["input", "constant"]},
        "dynamic_axes": {"type": "array", "items": {"type": "integer", "minimum": 0}},
    },
}


@pytest.fixture(scope="module")
def entries() -> dict[str, dict]:
    text = resources.files("litert_lsp.kb").joinpath("data", "tensorflow.json").read_text()
    return {e["name"]: e for e in json.loads(text)["entries"]}


@pytest.fixture(scope="module")
def keras_ops(entries: dict[str, dict]) -> dict[str, dict]:
    return {n: e for n, e in entries.items() if n.startswith("keras.ops.")}


def test_the_public_keras_ops_api_is_measured(keras_ops):
    assert len(keras_ops) >= MIN_KERAS_OPS
    assert {e["status"] for e in keras_ops.values()} == set(kb.TF_STATUSES)
    assert all(e["kind"] == "function" for e in keras_ops.values())
    assert all(e["versions"].get("keras", "").startswith("3.") for e in keras_ops.values())


def test_names_are_top_level_with_sub_namespace_aliases(keras_ops):
    """`keras.ops.<name>` for the top-level API; other public spellings are aliases of it."""
    for entry in keras_ops.values():
        tail = entry["name"][len("keras.ops."):]
        if "." in tail:  # only in a sub-namespace (image)
            namespace = tail.split(".", 1)[0]
            assert namespace.isidentifier() and not any(a.startswith("keras.ops.") for a in entry["aliases"])
        for alias in entry["aliases"]:
            assert alias.startswith(("keras.ops.", "keras.src.ops.")), alias  # hard_swish is hard_silu
    for spelling, name in (("keras.ops.numpy.sum", "keras.ops.sum"), ("keras.ops.nn.relu", "keras.ops.relu"),
                           ("keras.ops.linalg.svd", "keras.ops.svd"), ("keras.src.ops.math.fft2", "keras.ops.fft2")):
        found = kb.lookup(spelling, "tensorflow")
        assert found is not None and found.name == name, spelling
    assert "keras.ops.image.resize" in keras_ops


def test_every_keras_variant_says_whether_its_operands_were_inputs_or_constants(keras_ops):
    validator = jsonschema.Draft202012Validator(KERAS_VARIANT_SCHEMA)
    problems = [f"{e['name']} [{v['label']}]: {error.message}" for e in keras_ops.values()
                for v in e["variants"] for error in validator.iter_errors(v)]
    assert not problems, "\n".join(problems[:20])
    for entry in keras_ops.values():
        assert entry["variants"][0]["operands"] == "input", entry["name"]  # the verdict is the call on inputs


def test_a_failing_op_is_also_measured_on_constant_operands(keras_ops):
    """The converter folds ops on constants; the table must say so, op by op, not assume it."""
    failing = [e for e in keras_ops.values() if e["status"] != "builtin"]
    with_constant = [e for e in failing if any(v["operands"] == "constant" for v in e["variants"])]
    assert len(with_constant) >= 0.8 * len(failing)
    folded = [e for e in with_constant if any(v["operands"] == "constant" and v["status"] == "builtin"
                                              for v in e["variants"])]
    assert folded, "no failing op converts on constants: the constant variant was not measured"
    for entry in with_constant:
        statuses = {v["status"] for v in entry["variants"]}
        assert len(statuses) == 1 or entry["condition"], entry["name"]


def test_select_tf_ops_entries_name_their_flex_ops(keras_ops):
    flex = [e for e in keras_ops.values() if e["status"] == "select_tf_ops"]
    for entry in flex:
        # The builtins-only conversion failed (its error is kept) and the Select-TF-ops model was built.
        assert entry["error"] and entry["tflite_ops"], entry["name"]
        assert entry["reason"].startswith("needs Select TF ops"), entry["name"]
    # Nearly always the Flex model holds the TF kernels it needs (a few legalize differently with Flex on).
    named = [e for e in flex if any(op.startswith("Flex") for op in e["tflite_ops"])]
    assert len(named) >= 0.9 * len(flex)


def test_the_issue_examples_are_in_the_table(keras_ops, entries):
    # What the issue measured on real models, here as table lookups (their verdicts are measured).
    for name in ("keras.ops.fft2", "keras.ops.erfinv", "keras.ops.fft", "keras.ops.rfft", "keras.ops.stft",
                 "keras.ops.irfft"):
        assert name in keras_ops, name
    erfinv = keras_ops["keras.ops.erfinv"]
    assert {v["operands"] for v in erfinv["variants"]} == {"input", "constant"} or erfinv["status"] == "builtin"
    tensor_array = entries["tf.TensorArray"]
    labels = [v["label"] for v in tensor_array["variants"]]
    assert any("Python loop" in label for label in labels) and any("while_loop" in label for label in labels)
    lstm = entries["keras.layers.LSTM"]
    assert any(v.get("dynamic_axes") for v in lstm["variants"]), "LSTM not measured with unknown batch / time"
    for layer in ("keras.layers.TextVectorization", "keras.layers.StringLookup", "keras.layers.Hashing"):
        assert len(entries[layer]["variants"]) >= 3, layer


def test_dynamic_recipes_leave_only_their_axes_unknown():
    for name in tf_recipes.DYNAMIC_INPUTS:
        dynamic = [r for r in tf_recipes.LAYERS[name] if r.dynamic_axes]
        assert dynamic, name
        for recipe in dynamic:
            assert all(0 <= axis < len(recipe.inputs[0].shape) for axis in recipe.dynamic_axes)
            assert "unknown" in recipe.label


@pytest.mark.slow
def test_two_keras_ops_entries_still_match_the_installed_toolchain(keras_ops):
    """Drift on the issue's two examples: an FFT that needs Flex and an op folded on constants."""
    sample = [keras_ops["keras.ops.fft2"], keras_ops["keras.ops.erfinv"]]
    outcomes = run_isolated([e["name"] for e in sample], tf_suite.WORKER_MODULE, processes=1, timeout=120.0)
    disagreements = _disagreements(sample, outcomes)
    assert not disagreements, "\n".join(disagreements)
