"""Bad input to the TensorFlow exporter: one clear sentence naming the problem, the right stage,
never a crash, never an output file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from litert_lsp.jobs.job import ExportRequest, ExportResult
from litert_lsp.worker.tensorflow.export import export_tensorflow
from tests.export.tf_files import TfFiles, shared_tf_files

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tf_files(tmp_path_factory: pytest.TempPathFactory) -> TfFiles:
    return shared_tf_files(tmp_path_factory)


def failed(tmp_path: Path, stage: str, **fields: object) -> ExportResult:
    out = tmp_path / "out" / "model.tflite"
    result = export_tensorflow(ExportRequest(output=str(out), **fields), lambda *args: None)  # type: ignore[arg-type]
    assert not result.ok, result.message
    assert result.stage == stage, f"{result.stage}: {result.message}"
    assert "traceback" not in result.details, result.details.get("traceback")  # an expected failure, not a bug
    assert not out.parent.exists() or not any(out.parent.iterdir()), "a failed export left a file behind"
    assert result.message and "\n" not in result.message.strip()
    return result


def test_missing_source(tmp_path: Path) -> None:
    result = failed(tmp_path, "load code", source=str(tmp_path / "nowhere.keras"))
    assert "does not exist" in result.message


def test_unknown_file_type(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    assert "not a TensorFlow source" in failed(tmp_path, "load code", source=str(tmp_path / "notes.txt")).message


def test_folder_that_is_not_a_saved_model(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert "no saved_model.pb" in failed(tmp_path, "load code", source=str(tmp_path / "empty")).message


def test_checkpoint_given_as_source(tf_files: TfFiles, tmp_path: Path) -> None:
    result = failed(tmp_path, "load code", source=str(tf_files.tf2_ckpt) + ".index")
    assert "weights only" in result.message and "--checkpoint" in result.message


@pytest.mark.parametrize("suffix, cut", [(".keras", 0.5), (".h5", 0.3)])
def test_truncated_keras_file(tf_files: TfFiles, tmp_path: Path, suffix: str, cut: float) -> None:
    original = tf_files.keras_file if suffix == ".keras" else tf_files.h5_file
    broken = tmp_path / f"broken{suffix}"
    data = original.read_bytes()
    broken.write_bytes(data[: int(len(data) * cut)])
    assert str(broken.name) in failed(tmp_path, "restore", source=str(broken)).message


def test_garbage_saved_model(tf_files: TfFiles, tmp_path: Path) -> None:
    copy = tmp_path / "sm"
    shutil.copytree(tf_files.saved_model, copy)
    (copy / "saved_model.pb").write_bytes(b"\x00garbage" * 10)
    assert "cannot be loaded as a SavedModel" in failed(tmp_path, "restore", source=str(copy)).message


def test_missing_checkpoint(tf_files: TfFiles, tmp_path: Path) -> None:
    result = failed(tmp_path, "restore", source=str(tf_files.net_py), model="Net", checkpoint=str(tmp_path / "no" / "ckpt"))
    assert "does not exist" in result.message


def _copy_checkpoint(prefix: Path, target: Path) -> Path:
    target.mkdir()
    for file in prefix.parent.glob(prefix.name + ".*"):
        shutil.copy(file, target / file.name)
    return target / prefix.name


def test_corrupt_checkpoint_index(tf_files: TfFiles, tmp_path: Path) -> None:
    prefix = _copy_checkpoint(tf_files.tf2_ckpt, tmp_path / "ck")
    Path(f"{prefix}.index").write_bytes(b"not an sstable")
    result = failed(tmp_path, "restore", source=str(tf_files.net_py), model="Net", checkpoint=str(prefix))
    assert "corrupt or truncated" in result.message


def test_truncated_checkpoint_data(tf_files: TfFiles, tmp_path: Path) -> None:
    prefix = _copy_checkpoint(tf_files.tf2_ckpt, tmp_path / "ck")
    (data,) = prefix.parent.glob(prefix.name + ".data-*")
    data.write_bytes(data.read_bytes()[:40])
    result = failed(tmp_path, "restore", source=str(tf_files.net_py), model="Net", checkpoint=str(prefix))
    assert "corrupt or truncated" in result.message


def test_checkpoint_with_other_layer_widths(tf_files: TfFiles, tmp_path: Path) -> None:
    result = failed(tmp_path, "restore", source=str(tf_files.net_py), model="Net", constructor_kwargs={"width": 32},
                    checkpoint=str(tf_files.tf2_ckpt))
    assert "does not fit the model" in result.message
    assert "hidden.kernel: checkpoint [8, 16], model [8, 32]" in result.message
    assert "head.kernel: checkpoint [16, 3], model [32, 3]" in result.message


def test_checkpoint_missing_a_layer(tf_files: TfFiles, tmp_path: Path) -> None:
    result = failed(tmp_path, "restore", source=str(tf_files.net_py), model="Deeper", checkpoint=str(tf_files.tf2_ckpt))
    assert "2 model variable(s) have no value" in result.message
    assert "extra.kernel [3, 3]" in result.message and "extra.bias [3]" in result.message


def test_checkpoint_with_extra_values(tf_files: TfFiles, tmp_path: Path) -> None:
    result = failed(tmp_path, "restore", source=str(tf_files.net_py), model="HeadOnly", checkpoint=str(tf_files.tf2_ckpt))
    assert "fit nothing in the model" in result.message
    assert "model.head.kernel" in result.message and "model.head.bias" in result.message


def test_tf1_meta_with_wrong_checkpoint(tf_files: TfFiles, tmp_path: Path) -> None:
    result = failed(tmp_path, "restore", source=str(tf_files.tf1_meta), checkpoint=str(tf_files.tf2_ckpt))
    assert "does not fit the graph" in result.message


def test_tf1_garbage_meta(tf_files: TfFiles, tmp_path: Path) -> None:
    meta = tmp_path / "model.ckpt.meta"
    meta.write_bytes(b"\x01\x02 definitely not a MetaGraphDef")
    result = failed(tmp_path, "restore", source=str(meta), checkpoint=str(tf_files.tf1_meta.with_suffix("")))
    assert "not a readable TF1 meta graph" in result.message


def test_tf1_unknown_output_name(tf_files: TfFiles, tmp_path: Path) -> None:
    result = failed(tmp_path, "export", source=str(tf_files.tf1_meta), output_names=["probabilities"])
    assert "no output tensor 'probabilities'" in result.message


def test_user_code_that_raises_points_at_its_line(tmp_path: Path) -> None:
    code = tmp_path / "model.py"
    code.write_text("import keras\n\nraise RuntimeError('no GPU here')\n")
    result = failed(tmp_path, "load code", source=str(code))
    assert "no GPU here" in result.message
    assert [(f.path, f.line) for f in result.failures] == [(str(code), 3)]


def test_weights_only_h5_given_as_source(tf_files: TfFiles, tmp_path: Path) -> None:
    copy = tmp_path / "weights.h5"
    shutil.copy(tf_files.builder_weights, copy)
    result = failed(tmp_path, "load code", source=str(copy))
    assert "weights only" in result.message


def test_model_that_cannot_be_traced_points_at_its_line(tmp_path: Path) -> None:
    code = tmp_path / "eager_only.py"
    code.write_text(
        "import keras\n\n\nclass EagerOnly(keras.Model):\n"
        "    def __init__(self):\n        super().__init__()\n        self.dense = keras.layers.Dense(2)\n\n"
        "    def call(self, x):\n        scale = float(x.numpy().max())\n        return self.dense(x) * scale\n"
    )
    result = failed(tmp_path, "export", source=str(code), input_shapes=[[1, 3]])
    assert "numpy" in result.message
    assert [(f.path, f.line) for f in result.failures] == [(str(code), 10)]


def test_several_models_need_a_choice(tf_files: TfFiles, tmp_path: Path) -> None:
    result = failed(tmp_path, "load code", source=str(tf_files.net_py), checkpoint=str(tf_files.tf2_ckpt))
    assert "--model" in result.message and "Net" in result.message and "Deeper" in result.message


def test_wrong_number_of_input_shapes(tf_files: TfFiles, tmp_path: Path) -> None:
    result = failed(tmp_path, "export", source=str(tf_files.saved_model), input_shapes=[[1, 8], [1, 8]])
    assert "takes 1 input(s)" in result.message


def test_unknown_quantization(tf_files: TfFiles, tmp_path: Path) -> None:
    result = failed(tmp_path, "convert", source=str(tf_files.saved_model), quantize="int4")
    assert "unknown quantization 'int4'" in result.message
