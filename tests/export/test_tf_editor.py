"""TensorFlow/Keras export from the editor, through the real server and protocol (pytest-lsp):
lenses per Keras model (subclass or builder function) and per TF checkpoint nearest first, an
export with $/progress and a result message, "Check conversion" turning a Select-TF-ops-only op
into LRT901 on its line (cleared after the fix), and a standalone export script that runs."""

from __future__ import annotations

import ast
import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from lsprotocol import types

from tests.server.conftest import running_server

pytest.importorskip("tensorflow")
pytest.importorskip("ai_edge_litert")
pytestmark = pytest.mark.slow

MODEL_PY = textwrap.dedent('''\
    import keras
    import numpy as np
    import tensorflow as tf


    class Classifier(keras.Model):
        def __init__(self, classes=3):
            super().__init__()
            self.hidden = keras.layers.Dense(8, activation="relu")
            self.head = keras.layers.Dense(classes)

        def call(self, x):
            return self.head(self.hidden(x))


    class DetNet(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(16)

        def call(self, x):
            matrices = tf.reshape(self.dense(x), (-1, 4, 4))
            return tf.linalg.det(matrices)


    def build_mlp(units=4):
        inputs = keras.Input((6,), name="features")
        return keras.Model(inputs, keras.layers.Dense(units)(inputs))


    def helper():
        return 3


    def example_inputs():
        return [np.linspace(-1.0, 1.0, 6, dtype=np.float32).reshape(1, 6)]
''')
LINES = MODEL_PY.splitlines()
DET_LINE = LINES.index("        return tf.linalg.det(matrices)")  # 0-based
FIXED = MODEL_PY.replace("tf.linalg.det(matrices)", "tf.reduce_sum(matrices, axis=[1, 2])")
# Written by a training run: the checkpoint holds these weights, not the ones __init__ makes.
MAKE_CHECKPOINTS = textwrap.dedent('''\
    import sys
    import keras, tensorflow as tf
    sys.path.insert(0, sys.argv[1])
    import model
    keras.utils.set_random_seed(7)
    net = model.Classifier()
    net(model.example_inputs()[0])
    tf.train.Checkpoint(model=net).write(sys.argv[1] + "/ckpt/ckpt-3")
    tf.train.Checkpoint(model=net, optimizer=keras.optimizers.Adam()).write(sys.argv[1] + "/runs/old/deep/ckpt-1")
    keras.utils.set_random_seed(8)
    other = model.Classifier()
    other(model.example_inputs()[0])
    other.save_weights(sys.argv[1] + "/best.weights.h5")
    print(float(abs(net(model.example_inputs()[0]).numpy()).sum()))
''')


def make_project(root: Path) -> Path:
    (root / "pyproject.toml").write_text("[tool.litert-lsp]\n")
    (root / "model.py").write_text(MODEL_PY)
    subprocess.run([sys.executable, "-c", MAKE_CHECKPOINTS, str(root)], check=True, timeout=120,
                   capture_output=True)
    return root / "model.py"


def action_commands(actions: list) -> list[dict]:
    # lsprotocol's client-side hook reads a CodeAction with a `command` as a bare Command
    # (see test_server_export.py): read the real command back from its text.
    return [ast.literal_eval(a.command) if isinstance(a, types.Command) else
            {"command": a.command.command, "arguments": a.command.arguments} for a in actions]


async def test_keras_lenses_export_check_and_script(tmp_path: Path) -> None:
    source = make_project(tmp_path)
    uri = source.as_uri()
    async with running_server(tmp_path) as client:
        client.open(uri, MODEL_PY)
        lenses = await client.text_document_code_lens_async(
            types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri)))
        by_line: dict[int, list[str]] = {}
        for lens in lenses:
            by_line.setdefault(lens.range.start.line, []).append(lens.command.title)
        classifier = LINES.index("class Classifier(keras.Model):")
        builder = LINES.index("def build_mlp(units=4):")
        # Nearest first: the weights file beside the code, then ckpt/, then the deep one;
        # the .data/.index pair is one checkpoint, named by its prefix.
        assert by_line[classifier] == [
            "Export Classifier", "Export Classifier with best.weights.h5", "Export Classifier with ckpt/ckpt-3",
            "Export Classifier with runs/old/deep/ckpt-1", "Check conversion",
        ]
        assert by_line[builder][0] == "Export build_mlp" and LINES.index("class DetNet(keras.Model):") in by_line
        assert LINES.index("def helper():") not in by_line and LINES.index("def example_inputs():") not in by_line

        # Export with the TF2 checkpoint: progress through every stage, a result message.
        lens = next(lens for lens in lenses if lens.command.title == "Export Classifier with ckpt/ckpt-3")
        result = await asyncio.wait_for(client.command(lens.command.command, *lens.command.arguments), 180)
        assert result["ok"], result["message"]
        output = Path(result["output"])
        assert output == tmp_path / "Classifier.tflite" and output.stat().st_size == result["size_bytes"]
        assert result["details"]["checkpoint_format"] == "TF2" and result["details"]["restored_variables"] == 4
        reports = next(v for v in client.progress_reports.values() if "exporting Classifier" in v[0].title)
        stages = [r.message.split(":")[0] for r in reports[1:-1]]
        assert stages == ["load code", "restore", "export", "convert", "verify", "profile"]
        await client.until(lambda: any("exported Classifier to" in m.message and str(output) in m.message
                                       for m in client.messages))

        # A Select-TF-ops-only op, Select TF ops not allowed: LRT901 on its line, no file.
        failed = await asyncio.wait_for(client.command("litert.checkConversion", {"uri": uri, "model": "DetNet"}), 180)
        assert not failed["ok"] and failed["stage"] == "convert"
        assert "MatrixDeterminant" in failed["message"] and "Select TF ops" in failed["message"]

        def lrt901() -> list[types.Diagnostic]:
            return [d for d in client.diagnostics.get(uri, []) if d.code == "LRT901"]

        found = await client.until(lrt901)
        assert [d.range.start.line for d in found] == [DET_LINE]
        assert not (tmp_path / "DetNet.tflite").exists()
        await client.until(lambda: any("DetNet did not convert" in m.message for m in client.messages))

        source.write_text(FIXED)
        client.change(uri, 2, FIXED)
        passed = await asyncio.wait_for(client.command("litert.checkConversion", {"uri": uri, "model": "DetNet"}), 180)
        assert passed["ok"], passed["message"]
        assert passed["output"] is None and not (tmp_path / "DetNet.tflite").exists()
        await client.until(lambda: uri in client.diagnostics and not lrt901())

        # The script action on the class line; run with the checkpoint the lens offered.
        actions = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(line=classifier, character=0),
                              end=types.Position(line=classifier, character=0)),
            context=types.CodeActionContext(diagnostics=[])))
        commands = action_commands(actions)
        assert {c["command"] for c in commands} == {"litert.export", "litert.checkConversion",
                                                    "litert.writeExportScript"}
        script_action = next(c for c in commands if c["command"] == "litert.writeExportScript")
        arguments = dict(script_action["arguments"][0], checkpoint=lens.command.arguments[0]["checkpoint"],
                         output=str(tmp_path / "from_script.tflite"))
        written = await client.command("litert.writeExportScript", arguments)
        script = Path(written["path"])
        assert script == tmp_path / "export_classifier.py"
        text = script.read_text()
        assert "TFLiteConverter" in text and "import torch" not in text and "'ckpt/ckpt-3'" in text

    # The script runs on its own, from another folder, and writes the same model.
    ran = await asyncio.create_subprocess_exec(sys.executable, str(script), cwd=str(tmp_path / "ckpt"),
                                               stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(ran.communicate(), 180)
    assert ran.returncode == 0, err.decode()[-2000:]
    assert b"max abs error" in out and (tmp_path / "from_script.tflite").stat().st_size > 500
    from litert_lsp.worker import runtime

    x = np.linspace(-1.0, 1.0, 6, dtype=np.float32).reshape(1, 6)
    (ours,) = runtime.run(output, [x])
    (theirs,) = runtime.run(tmp_path / "from_script.tflite", [x])
    np.testing.assert_allclose(theirs, ours, rtol=1e-5, atol=1e-6)
