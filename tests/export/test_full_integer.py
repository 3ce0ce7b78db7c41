"""Full-integer int8 quantization with calibration (#13): samples read from a folder (or
random, with a warning), both exporters, int8 inputs and outputs, and the report's accuracy
against float measured on the samples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from litert_lsp.jobs.job import ExportError
from litert_lsp.worker import calibration


def test_samples_without_their_batch_dimension_get_one(tmp_path: Path) -> None:
    for index in range(3):
        np.save(tmp_path / f"{index}.npy", np.full((3, 4, 4), index, dtype=np.float32))
    loaded = calibration.load(str(tmp_path), [np.zeros((1, 3, 4, 4), np.float32)])
    assert not loaded.random and loaded.source == f"3 samples from {tmp_path}"
    assert [s[0].shape for s in loaded.samples] == [(1, 3, 4, 4)] * 3
    assert [float(s[0].max()) for s in loaded.samples] == [0.0, 1.0, 2.0]


def test_several_inputs_come_from_one_npz_per_sample(tmp_path: Path) -> None:
    np.savez(tmp_path / "a.npz", ids=np.ones((1, 5), np.int32), mask=np.zeros((1, 5), np.float32))
    loaded = calibration.load(str(tmp_path), [np.zeros((1, 5), np.int32), np.zeros((1, 5), np.float32)])
    assert [a.dtype for a in loaded.samples[0]] == [np.int32, np.float32]


@pytest.mark.parametrize(("content", "expected"), [
    (np.zeros((2, 2), np.float32), "has shape [2, 2]; the model's input is [1, 3, 4, 4]"),
    (None, "holds no .npy or .npz files"),
])
def test_bad_calibration_folders_are_refused_with_a_reason(tmp_path: Path, content, expected: str) -> None:
    if content is not None:
        np.save(tmp_path / "bad.npy", content)
    with pytest.raises(ExportError, match=expected.replace("[", r"\[").replace("]", r"\]")):
        calibration.load(str(tmp_path), [np.zeros((1, 3, 4, 4), np.float32)])


def test_without_a_folder_the_samples_are_random_and_say_so() -> None:
    loaded = calibration.load(None, [np.zeros((1, 8), np.float32), np.ones((1, 4), np.int64) * 9])
    assert loaded.random and len(loaded.samples) == calibration.RANDOM_SAMPLES
    assert loaded.samples[0][1].dtype == np.int64 and loaded.samples[0][1].max() <= 9


def test_a_size_that_barely_moved_is_worth_a_sentence() -> None:
    assert calibration.size_warning(95, 100) is not None
    assert calibration.size_warning(40, 100) is None


@pytest.mark.slow
def test_pytorch_full_integer_export(warm_worker, workspace: Path, tmp_path: Path) -> None:
    from litert_lsp.worker import runtime
    from tests.export.conftest import request_for

    rng = np.random.default_rng(0)
    for index in range(12):
        np.save(tmp_path / f"s{index}.npy", rng.standard_normal((3, 64, 64)).astype(np.float32))
    result = warm_worker.export(request_for(workspace, "TinyNet", tmp_path, quantize="full-int8",
                                            calibration=str(tmp_path)))
    assert result.ok, result.message
    assert [t.dtype for t in result.inputs] == ["int8"] and [t.dtype for t in result.outputs] == ["int8"]
    assert result.size_bytes < result.details["float_size_bytes"]
    accuracy = result.details["calibration_error"]
    assert accuracy["samples"] == 12 and accuracy["max_rel_error"] < 0.1
    # Real samples: no random-calibration warning.
    assert not any("random" in warning for warning in result.details.get("warnings", []))
    # The written file takes real values through runtime.run's quantization of its inputs.
    assert runtime.run(Path(result.output), [rng.standard_normal((1, 3, 64, 64)).astype(np.float32)])[0].dtype == np.float32


@pytest.mark.slow
def test_tensorflow_full_integer_export_warns_about_random_calibration(tmp_path: Path) -> None:
    pytest.importorskip("tensorflow")
    from litert_lsp.jobs.job import ExportRequest
    from litert_lsp.worker.tensorflow.export import export_tensorflow

    source = tmp_path / "net.py"
    source.write_text(
        "import keras\n\n\ndef build_model():\n    inputs = keras.Input((12,))\n"
        "    hidden = keras.layers.Dense(16, activation='relu')(inputs)\n"
        "    return keras.Model(inputs, keras.layers.Dense(3)(hidden))\n", encoding="utf-8")
    result = export_tensorflow(ExportRequest(source=str(source), quantize="full-int8", write_output=False),
                               lambda *_: None)
    assert result.ok, result.message
    assert [t.dtype for t in result.inputs] == ["int8"]
    assert any("calibrated on random inputs" in w for w in result.details["warnings"])
    assert result.details["calibration_error"]["samples"] == 16
