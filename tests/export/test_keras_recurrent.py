"""Keras LSTM/GRU through litert-lsp, and dynamic sizes on the TensorFlow path, with the real
TFLiteConverter and LiteRT runtime.

Measured (TF 2.21, ai-edge-litert 2.3): a recurrent layer with an open batch fails to convert
("'tf.TensorListReserve' op requires element_shape to be static"); with dim 0 fixed it becomes a
WHILE loop that runs and agrees, and an open time dimension still works. Every route (Sequential
and functional `.keras`, code + checkpoint) must export, verified; a dynamic batch the user asks
for gets one sentence with the fixed shape to give.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from litert_lsp.jobs.job import ExportRequest, ExportResult

pytestmark = pytest.mark.slow
keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from litert_lsp.worker.tensorflow import dynamic as tf_dynamic  # noqa: E402 - needs tensorflow
from litert_lsp.worker.tensorflow.export import export_tensorflow  # noqa: E402

CODE = '''
import keras


def build():
    inputs = keras.Input((10, 8))
    x = keras.layers.GRU(16, return_sequences=True)(inputs)
    x = keras.layers.LSTM(12)(x)
    return keras.Model(inputs, keras.layers.Dense(3)(x))
'''

DENSE = '''
import keras


def build():
    return keras.Sequential([keras.Input((16,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(3)])
'''


def export(**fields: object) -> ExportResult:
    return export_tensorflow(ExportRequest(write_output=False, **fields), lambda *_: None)  # type: ignore[arg-type]


def recurrent(kind: str, functional: bool, time: int | None = 10) -> keras.Model:
    layer = keras.layers.LSTM if kind == "lstm" else keras.layers.GRU
    if functional:
        inputs = keras.Input((time, 8))
        return keras.Model(inputs, keras.layers.Dense(3)(layer(12)(layer(16, return_sequences=True)(inputs))))
    return keras.Sequential([keras.Input((time, 8)), layer(16), keras.layers.Dense(4)])


def assert_fixed_batch(result: ExportResult) -> None:
    assert result.ok, f"{result.stage}: {result.message}"
    assert result.details["verified"] and result.details.get("batch_fixed") is True
    assert tf_dynamic.FIXED_BATCH_NOTE in result.details["notes"]
    assert "WHILE" in result.op_histogram
    assert result.inputs[0].shape[0] == 1


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("functional", [False, True], ids=["sequential", "functional"])
def test_keras_file_exports_with_the_batch_fixed(tmp_path: Path, kind: str, functional: bool) -> None:
    path = tmp_path / f"{kind}.keras"
    recurrent(kind, functional).save(path)
    assert_fixed_batch(export(source=str(path)))


def test_code_and_checkpoint_route(tmp_path: Path) -> None:
    (tmp_path / "rnn.py").write_text(CODE)
    namespace: dict = {}
    exec(compile(CODE, "rnn.py", "exec"), namespace)  # noqa: S102 - the test's own model code
    trained = namespace["build"]()
    weights = tmp_path / "rnn.weights.h5"
    trained.save_weights(weights)
    out = tmp_path / "rnn.tflite"
    result = export_tensorflow(ExportRequest(source=str(tmp_path / "rnn.py"), model="build", checkpoint=str(weights),
                                             output=str(out)), lambda *_: None)
    assert_fixed_batch(result)
    # The written file carries the checkpoint's weights: compare with the trained model itself.
    from ai_edge_litert.interpreter import Interpreter

    runner = Interpreter(model_path=str(out)).get_signature_runner()
    x = np.random.default_rng(3).standard_normal((1, 10, 8)).astype(np.float32)
    got = next(iter(runner(**{next(iter(runner.get_input_details())): x}).values()))
    np.testing.assert_allclose(got, trained(x).numpy(), rtol=1e-4, atol=1e-5)


def test_an_asked_dynamic_batch_gets_the_fixed_shape_to_give(tmp_path: Path) -> None:
    path = tmp_path / "lstm.keras"
    recurrent("lstm", False).save(path)
    for request in ({"dynamic_batch": True}, {"input_shapes": [[-1, 10, 8]]}):
        result = export(source=str(path), **request)
        assert not result.ok and result.stage == "convert"
        assert "LSTM/GRU layers" in result.message and "--input-shape 1,10,8" in result.message
        # Not the converter's own advice (a private flag, Select TF ops, a literal "\n").
        assert "_experimental" not in result.message and "\\n" not in result.message


def test_an_open_time_dimension_stays_dynamic(tmp_path: Path) -> None:
    path = tmp_path / "gru.keras"
    recurrent("gru", True, time=None).save(path)
    result = export(source=str(path), input_shapes=[[1, -1, 8]])
    assert result.ok, result.message
    assert result.details["shape_signatures"] == {result.inputs[0].name: [1, -1, 8]}
    assert result.details["dynamic"].startswith("dim 1 of ")


def test_a_dense_model_keeps_a_dynamic_batch_checked_at_two_sizes(tmp_path: Path) -> None:
    (tmp_path / "dense.py").write_text(DENSE)
    result = export(source=str(tmp_path / "dense.py"), model="build", input_shapes=[[-1, 16]])
    assert result.ok, result.message
    assert list(result.details["shape_signatures"].values()) == [[-1, 16]]
    assert "run in LiteRT at sizes 1 and 3" in result.details["dynamic"]


def test_a_saved_graph_with_an_open_batch_says_how_to_save_it(tmp_path: Path) -> None:
    folder = tmp_path / "lstm_saved"
    recurrent("lstm", False).export(str(folder), verbose=False)
    result = export(source=str(folder))
    assert not result.ok and result.message == tf_dynamic.SAVED_GRAPH_SENTENCE
