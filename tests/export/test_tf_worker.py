"""The TensorFlow exporter behind the real worker process: the request crosses JSON, the
worker picks TensorFlow by the file's type, progress arrives per stage, the result comes back."""

from __future__ import annotations

from pathlib import Path

import pytest

from litert_lsp.jobs.job import ExportRequest
from tests.export.tf_files import TfFiles, shared_tf_files

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tf_files(tmp_path_factory: pytest.TempPathFactory) -> TfFiles:
    return shared_tf_files(tmp_path_factory)


def test_keras_file_through_the_worker(warm_worker, tf_files: TfFiles, tmp_path: Path) -> None:
    seen: list[str] = []
    out = tmp_path / "model.tflite"
    request = ExportRequest(source=str(tf_files.keras_file), output=str(out), quantize="float16")
    result = warm_worker.export(request, lambda stage, message, fraction=None: seen.append(stage))
    assert result.ok, result.message
    assert result.details["framework"] == "tensorflow" and result.details["verified"] is True
    assert out.is_file() and out.stat().st_size == result.size_bytes
    assert [t.shape for t in result.inputs] == [[1, 8]]
    assert {"restore", "convert", "verify", "profile"} <= set(seen)


def test_refused_select_tf_ops_through_the_worker(warm_worker, tf_files: TfFiles, tmp_path: Path) -> None:
    request = ExportRequest(source=str(tf_files.det_saved_model), output=str(tmp_path / "det.tflite"))
    result = warm_worker.export(request)
    assert not result.ok and result.stage == "convert" and "MatrixDeterminant" in result.message
    assert not (tmp_path / "det.tflite").exists()
