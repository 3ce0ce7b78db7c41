"""Real TensorFlow round trips: every source format → TFLiteConverter → ai-edge-litert, checked
against the original model's numbers, not just "it produced a file"."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from litert_lsp.jobs.job import ExportRequest, ExportResult
from litert_lsp.worker import verify
from litert_lsp.worker.tensorflow.export import default_output, export_tensorflow
from tests.export.tf_files import DET_LINE, TfFiles, run_tflite, shared_tf_files

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tf_files(tmp_path_factory: pytest.TempPathFactory) -> TfFiles:
    return shared_tf_files(tmp_path_factory)


def export(progress_log: list | None = None, **fields: object) -> ExportResult:
    def progress(stage: str, message: str, percent: float | None = None) -> None:
        if progress_log is not None:
            progress_log.append((stage, message, percent))

    return export_tensorflow(ExportRequest(**fields), progress)  # type: ignore[arg-type]


def assert_verified(result: ExportResult) -> None:
    assert result.ok, f"{result.stage}: {result.message}"
    assert result.details["verified"] is True
    assert result.max_abs_error is not None and result.max_abs_error <= result.details["tolerance"]["atol"] * 10
    assert result.size_bytes and result.size_bytes > 0
    assert result.latency_ms_mean is not None and result.latency_ms_p90 is not None
    assert result.latency_ms_p90 >= 0 and result.op_histogram


def test_saved_model_folder(tf_files: TfFiles, tmp_path: Path) -> None:
    log: list = []
    out = tmp_path / "sm.tflite"
    result = export(log, source=str(tf_files.saved_model), output=str(out))
    assert_verified(result)
    assert result.output == str(out) and out.is_file() and out.stat().st_size == result.size_bytes
    assert result.op_histogram == {"FULLY_CONNECTED": 2}
    assert [(t.name, t.shape, t.dtype) for t in result.inputs] == [("features", [1, 8], "float32")]
    assert result.details["source_kind"] == "saved_model"
    stages = [stage for stage, _, _ in log]
    assert stages.index("restore") < stages.index("convert") < stages.index("verify") < stages.index("profile")
    # The file on disk computes what the Keras model computes.
    x = np.linspace(-2, 2, 8, dtype=np.float32).reshape(1, 8)
    (y,) = run_tflite(out, {"features": x})
    np.testing.assert_allclose(y, tf_files.functional(x).numpy(), rtol=1e-4, atol=1e-5)


def test_saved_model_signature_choice(tf_files: TfFiles, tmp_path: Path) -> None:
    ambiguous = export(source=str(tf_files.multi_signature), output=str(tmp_path / "a.tflite"))
    assert not ambiguous.ok and ambiguous.stage == "restore"
    assert "double" in ambiguous.message and "shift" in ambiguous.message
    x = np.array([[1.0, 1.0, 1.0]], np.float32)
    for key, expected in (("double", [[2.0, 3.0, 4.0]]), ("shift", [[3.0, 4.0, 5.0]])):
        out = tmp_path / f"{key}.tflite"
        result = export(source=str(tf_files.multi_signature), model=key, output=str(out))
        assert_verified(result)
        np.testing.assert_allclose(run_tflite(out, {"x": x})[0], expected)
    wrong = export(source=str(tf_files.multi_signature), model="nope", output=str(tmp_path / "n.tflite"))
    assert not wrong.ok and "no signature 'nope'" in wrong.message
    assert not (tmp_path / "n.tflite").exists()


def test_saved_model_fixed_input_shape(tf_files: TfFiles, tmp_path: Path) -> None:
    result = export(source=str(tf_files.saved_model), input_shapes=[[4, 8]], write_output=False)
    assert_verified(result)
    assert result.inputs[0].shape == [4, 8] and result.outputs[0].shape == [4, 2]
    assert result.output is None
    bad = export(source=str(tf_files.saved_model), input_shapes=[[4, 9]], write_output=False)
    assert not bad.ok and "[4, 9] does not fit" in bad.message


def test_unknown_dims_need_real_shapes(tf_files: TfFiles) -> None:
    guessed = export(source=str(tf_files.reshape_saved_model), write_output=False)
    assert not guessed.ok and guessed.stage == "export"
    assert "example inputs (x [1, 1])" in guessed.message and "--input-shape" in guessed.message
    given = export(source=str(tf_files.reshape_saved_model), input_shapes=[[2, 16]], write_output=False)
    assert_verified(given)
    assert given.inputs[0].shape == [2, 16] and given.outputs[0].shape == [2, 16]


@pytest.mark.parametrize("name", ["keras_file", "h5_file"])
def test_keras_files(tf_files: TfFiles, tmp_path: Path, name: str) -> None:
    source: Path = getattr(tf_files, name)
    out = tmp_path / "k.tflite"
    result = export(source=str(source), output=str(out))
    assert_verified(result)
    x = np.full((1, 8), 0.5, np.float32)
    np.testing.assert_allclose(run_tflite(out, {"features": x})[0], tf_files.functional(x).numpy(), rtol=1e-4, atol=1e-5)


def test_lambda_layer_needs_opt_in(tf_files: TfFiles, tmp_path: Path) -> None:
    out = tmp_path / "lambda.tflite"
    refused = export(source=str(tf_files.lambda_keras), output=str(out))
    assert not refused.ok and refused.stage == "restore"
    assert "Lambda" in refused.message and "trust" in refused.message
    assert not out.exists()
    allowed = export(source=str(tf_files.lambda_keras), output=str(out), allow_pickle=True)
    assert_verified(allowed)
    assert out.is_file()


def test_tf2_checkpoint_restored_into_user_code(tf_files: TfFiles, tmp_path: Path) -> None:
    out = tmp_path / "net.tflite"
    result = export(source=str(tf_files.net_py), model="Net", checkpoint=str(tf_files.tf2_ckpt) + ".index",
                    output=str(out), workspace=str(tf_files.root))
    assert_verified(result)
    assert result.details["checkpoint_format"] == "TF2" and result.details["restored_variables"] == 4
    # The weights are the checkpoint's, not a fresh initialisation: compare with the trained model.
    x = np.linspace(-1, 1, 8, dtype=np.float32).reshape(1, 8)
    (y,) = run_tflite(out, {"x": x})
    np.testing.assert_allclose(y, tf_files.trained_net(x).numpy(), rtol=1e-4, atol=1e-5)


def test_builder_function_with_keras_weights_file(tf_files: TfFiles, tmp_path: Path) -> None:
    out = tmp_path / "built.tflite"
    result = export(source=str(tf_files.builder_py), checkpoint=str(tf_files.builder_weights), output=str(out))
    assert_verified(result)
    assert result.details["model"] == "build_model" and result.details["checkpoint_format"] == "keras weights"
    x = np.linspace(-1, 1, 5, dtype=np.float32).reshape(1, 5)
    np.testing.assert_allclose(run_tflite(out, {"pixels": x})[0], tf_files.built(x).numpy(), rtol=1e-4, atol=1e-5)
    wrong = export(source=str(tf_files.builder_py), checkpoint=str(tf_files.builder_weights),
                   constructor_kwargs={"units": 7}, write_output=False)
    assert not wrong.ok and wrong.stage == "restore" and "does not fit the model" in wrong.message


def test_numerical_mismatch_fails_the_export(tf_files: TfFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # int8 weights change the numbers. With the quantization allowance switched off and zero
    # tolerance, that difference must fail the export and leave no file, not be a footnote.
    monkeypatch.setitem(verify.QUANTIZED_TOLERANCE, "int8", 0.0)
    out = tmp_path / "strict.tflite"
    result = export(source=str(tf_files.big_keras), quantize="int8", atol=0.0, rtol=0.0, output=str(out))
    assert not result.ok and result.status == "mismatch" and result.stage == "verify"
    assert "disagrees with TensorFlow" in result.message
    assert result.max_abs_error is not None and result.max_abs_error > 0
    assert not out.exists()


def test_tf2_checkpoint_with_optimizer_state(tf_files: TfFiles) -> None:
    result = export(source=str(tf_files.net_py), model="Net", checkpoint=str(tf_files.tf2_ckpt_with_optimizer),
                    write_output=False)
    assert_verified(result)
    assert "optimizer" in result.details["checkpoint_not_restored"]


def test_tf1_checkpoint_inference_graph(tf_files: TfFiles, tmp_path: Path) -> None:
    out = tmp_path / "tf1.tflite"
    result = export(source=str(tf_files.tf1_meta), output=str(out))
    assert_verified(result)
    assert result.details["graph_inputs"] == ["x:0"] and result.details["graph_outputs"] == ["logits:0"]
    w, b = tf_files.tf1_weights
    x = np.linspace(-1, 1, 8, dtype=np.float32).reshape(1, 8)
    np.testing.assert_allclose(run_tflite(out, {"x": x})[0], np.maximum(x @ w + b, 0), rtol=1e-4, atol=1e-5)


def test_tf1_training_graph_outputs_overridable(tf_files: TfFiles) -> None:
    automatic = export(source=str(tf_files.tf1_train_meta), write_output=False)
    assert_verified(automatic)
    # Nothing consumes the loss, but a training graph's loss is not the model: what the loss
    # is computed from (the tensors that do not depend on the labels) is taken instead.
    assert automatic.details["training_graph"] is True
    assert automatic.details["losses_set_aside"] == ["loss:0"]
    assert automatic.details["graph_outputs"] == ["logits:0"]
    assert automatic.details["graph_inputs"] == ["x:0"]
    loss = export(source=str(tf_files.tf1_train_meta), output_names=["loss"], write_output=False)
    assert_verified(loss)  # still reachable when asked for by name
    assert sorted(loss.details["graph_inputs"]) == ["labels:0", "x:0"]
    chosen = export(source=str(tf_files.tf1_train_meta), output_names=["logits"], write_output=False)
    assert_verified(chosen)
    assert chosen.details["graph_inputs"] == ["x:0"]
    assert [t.name for t in chosen.outputs] == ["logits"]
    both = export(source=str(tf_files.tf1_train_meta), input_names=["x:0"], output_names=["logits:0"],
                  write_output=False)
    assert_verified(both)
    assert [t.name for t in both.inputs] == ["x"]


def test_select_tf_ops_refused_names_op_and_line(tf_files: TfFiles, tmp_path: Path) -> None:
    out = tmp_path / "det.tflite"
    result = export(source=str(tf_files.net_py), model="WithDet", output=str(out), workspace=str(tf_files.root))
    assert not result.ok and result.stage == "convert"
    assert "MatrixDeterminant" in result.message and "--allow-select-tf-ops" in result.message
    assert [(Path(f.path).name, f.line) for f in result.failures] == [("net.py", DET_LINE)]
    assert not out.exists()


def test_select_tf_ops_allowed_is_converted_but_not_verified(tf_files: TfFiles, tmp_path: Path) -> None:
    out = tmp_path / "det.tflite"
    result = export(source=str(tf_files.det_saved_model), output=str(out), allow_select_tf_ops=True)
    # Measured: ai-edge-litert's runtime has no Flex kernels, so this cannot be checked here.
    assert not result.ok and result.status == "unverified" and result.stage == "verify"
    assert result.details["verified"] is False and result.details["select_tf_ops"] is True
    assert "Flex runtime" in result.message and "binary size" in result.details["notes"][0]
    assert result.op_histogram.get("FlexMatrixDeterminant") == 1
    # Verified or nothing: without consent to unverified output, no file.
    assert "--allow-unverified" in result.message and not out.exists() and result.output is None
    allowed = export(source=str(tf_files.det_saved_model), output=str(out), allow_select_tf_ops=True,
                     allow_unverified=True)
    assert not allowed.ok and allowed.status == "unverified"
    assert "because unverified output was allowed" in allowed.message
    assert out.is_file() and out.stat().st_size == allowed.size_bytes


def test_op_with_no_kernel_anywhere(tf_files: TfFiles) -> None:
    result = export(source=str(tf_files.svd_saved_model), allow_select_tf_ops=True, write_output=False)
    assert not result.ok and result.stage == "convert"
    assert "Svd" in result.message and "neither a LiteRT builtin nor a Select TF op" in result.message


@pytest.mark.parametrize("quantize, fraction", [("int8", 0.4), ("float16", 0.65)])
def test_quantization(tf_files: TfFiles, tmp_path: Path, quantize: str, fraction: float) -> None:
    plain = export(source=str(tf_files.big_keras), write_output=False)
    assert_verified(plain)
    result = export(source=str(tf_files.big_keras), quantize=quantize, output=str(tmp_path / f"{quantize}.tflite"))
    assert_verified(result)
    assert result.size_bytes < fraction * plain.size_bytes
    assert result.details["tolerance"]["atol"] > plain.details["tolerance"]["atol"]
    if quantize == "float16":
        assert "DEQUANTIZE" in result.op_histogram


def test_default_output_names() -> None:
    assert default_output(Path("/w/model.keras")) == Path("/w/model.tflite")
    assert default_output(Path("/w/tf1/model.ckpt.meta")) == Path("/w/tf1/model.tflite")
    assert default_output(Path("/w/saved_model")) == Path("/w/saved_model.tflite")


def test_a_failed_tf1_export_says_which_inputs_and_outputs_were_guessed() -> None:
    from litert_lsp.worker.tensorflow.export import _graph_choice

    guessed = {"graph_inputs": ["x:0", "labels:0"], "graph_outputs": ["loss:0"], "note": "chosen",
               "training_graph": True}
    text = _graph_choice(guessed)
    assert "inputs x, labels and outputs loss were chosen automatically" in text
    assert "training graph" in text and "--output-names" in text
    assert _graph_choice({"graph_inputs": ["x:0"], "graph_outputs": ["y:0"]}) == ""  # named by the user
