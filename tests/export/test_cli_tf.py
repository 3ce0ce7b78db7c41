"""`litert-lsp export` on TensorFlow sources with the flags that only they take: --input-names /
--output-names (TF1 .ckpt.meta), --signature (SavedModel; --model still works), --input-dtype.
Real files made by the test, a fresh CLI process each, checked by running the written .tflite."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from litert_lsp.core.settings import Settings
from litert_lsp.jobs.plan import plan_export

pytest.importorskip("tensorflow")
pytest.importorskip("ai_edge_litert")
pytestmark = pytest.mark.slow

TAGGER_PY = textwrap.dedent('''\
    import keras


    class Tagger(keras.Model):
        """Token ids in, two scores per token out: its input dtype is not visible until called."""

        def __init__(self):
            super().__init__()
            self.embed = keras.layers.Embedding(10, 4)
            self.head = keras.layers.Dense(2)

        def call(self, tokens):
            return self.head(self.embed(tokens))
''')


def cli(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "litert_lsp", "export", *arguments], cwd=cwd,
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    import tensorflow as tf

    from tests.export.tf_files import _tf1, _TwoSignatures

    root = tmp_path_factory.mktemp("cli-tf")
    weights = _tf1(root / "tf1_train" / "model.ckpt", training=True)
    two = _TwoSignatures()
    tf.saved_model.save(two, str(root / "two_signatures"), signatures={"double": two.double, "shift": two.shift})
    (root / "tagger.py").write_text(TAGGER_PY)
    return {"root": root, "tf1_weights": weights}


def test_tf1_input_and_output_names(files: dict, tmp_path: Path) -> None:
    root: Path = files["root"]  # type: ignore[assignment]
    meta = root / "tf1_train" / "model.ckpt.meta"
    out = tmp_path / "logits.tflite"
    # Without names the training graph's loss (it also needs labels) would be the output.
    done = cli(str(meta), "--input-names", "x", "--output-names", "logits", "--input-shape", "2,8",
               "--output", str(out), "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["details"]["graph_inputs"] == ["x:0"] and report["details"]["graph_outputs"] == ["logits:0"]
    assert [(t["name"], t["shape"]) for t in report["inputs"]] == [("x", [2, 8])]
    w, b = files["tf1_weights"]
    x = np.linspace(-1, 1, 16, dtype=np.float32).reshape(2, 8)
    from litert_lsp.worker import runtime

    (y,) = runtime.run(out, [x])
    np.testing.assert_allclose(y, np.maximum(x @ w + b, 0), rtol=1e-4, atol=1e-5)
    # (A name the graph lacks is a clear export error: tests/export/test_tf_bad_input.py.)


def test_saved_model_signature(files: dict, tmp_path: Path) -> None:
    saved: Path = files["root"] / "two_signatures"  # type: ignore[operator]
    ambiguous = plan_export(saved, Settings(), tmp_path, model="double").request
    assert ambiguous.model == "double" and ambiguous.signature is None  # --model keeps naming a signature
    out = tmp_path / "shift.tflite"
    done = cli(str(saved), "--signature", "shift", "--output", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert "export OK" in done.stdout
    from litert_lsp.worker import runtime

    # shift adds [2, 3, 4]; the other signature (double) would multiply.
    np.testing.assert_allclose(runtime.run(out, [np.array([[1.0, 1.0, 1.0]], np.float32)])[0], [[3.0, 4.0, 5.0]])


def test_input_dtype_for_a_subclassed_model(files: dict, tmp_path: Path) -> None:
    root: Path = files["root"]  # type: ignore[assignment]
    out = tmp_path / "tagger.tflite"
    done = cli(str(root / "tagger.py"), "--input-shape", "1,5", "--input-dtype", "int32", "--output", str(out),
               "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert [(t["shape"], t["dtype"]) for t in report["inputs"]] == [([1, 5], "int32")]
    assert report["outputs"][0]["shape"] == [1, 5, 2] and report["details"]["model"] == "Tagger"
    assert out.stat().st_size == report["size_bytes"]


def test_flag_misuse_is_a_usage_error(files: dict, tmp_path: Path) -> None:
    root: Path = files["root"]  # type: ignore[assignment]
    py = str(root / "tagger.py")
    for arguments, words in (
        ((py, "--signature", "serving_default"), "SavedModel"),
        ((py, "--input-names", "x"), ".ckpt.meta"),
        ((str(root / "two_signatures"), "--output-names", "y"), ".ckpt.meta"),
        ((py, "--input-shape", "1,5", "--input-dtype", "int33"), "not one of"),
        ((py, "--input-dtype", "int32"), "--input-shape"),
        ((py, "--input-shape", "1,5;1,5;1,5", "--input-dtype", "int32,float32"), "2 input dtypes for 3"),
    ):
        done = cli(*arguments, cwd=tmp_path)
        assert done.returncode == 2 and words in done.stderr, (arguments, done.stderr)
        assert done.stderr.count("\n") <= 2 and "Traceback" not in done.stderr
    assert not list(tmp_path.glob("*.tflite"))
