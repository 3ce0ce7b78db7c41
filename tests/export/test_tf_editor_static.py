"""Keras models found statically (no import of the user's code, no framework): what the editor
offers lenses for, and how planning picks a Keras model and a TF2 checkpoint prefix."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from litert_lsp.core.settings import Settings
from litert_lsp.jobs.plan import PlanError, plan_export
from litert_lsp.models.classes import find_keras_models

SPELLINGS = textwrap.dedent('''\
    import tensorflow as tf
    from tensorflow.keras import Model, layers
    import tf_keras


    class A(tf.keras.Model):
        def __init__(self, width, depth=2):
            super().__init__()


    class B(A):
        pass


    class C(Model):
        pass


    class Block(layers.Layer):
        pass


    class Legacy(tf_keras.Model):
        pass


    def make_seq(units=3):
        model = tf.keras.Sequential()
        model.add(layers.Dense(units))
        return model


    def make_a():
        return A(4)


    def not_a_builder():
        def inner():
            return tf.keras.Model()
        return inner


    def _private():
        return tf.keras.Model()


    def dataset():
        return tf.data.Dataset.range(3)
''')


def test_keras_models_in_every_spelling() -> None:
    found = {m.name: m for m in find_keras_models(SPELLINGS)}
    assert list(found) == ["A", "B", "C", "Legacy", "make_seq", "make_a"]
    assert found["A"].required == ["width"] and found["make_seq"].required == []
    assert found["make_seq"].line == SPELLINGS.splitlines().index("def make_seq(units=3):") + 1
    assert find_keras_models("def broken(:\n") == []
    assert find_keras_models("import torch\nclass N(torch.nn.Module):\n    pass\n") == []


def test_plan_picks_the_keras_model_and_takes_a_checkpoint_prefix(tmp_path: Path) -> None:
    source = tmp_path / "net.py"
    source.write_text("import keras\n\n\ndef build(units=2):\n    return keras.Sequential([keras.layers.Dense(units)])\n")
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / "ckpt-3.index").write_bytes(b"")
    choice = plan_export(source, Settings(), tmp_path, checkpoint=str(tmp_path / "ckpt" / "ckpt-3"))
    assert choice.request.model == "build" and choice.request.output == str(tmp_path / "build.tflite")
    assert choice.request.checkpoint == str(tmp_path / "ckpt" / "ckpt-3")
    with pytest.raises(PlanError, match="does not exist"):
        plan_export(source, Settings(), tmp_path, checkpoint=str(tmp_path / "ckpt" / "ckpt-4"))
    (tmp_path / "two.py").write_text(SPELLINGS)
    with pytest.raises(PlanError, match="several models"):
        plan_export(tmp_path / "two.py", Settings(), tmp_path)
    # A's width has no default: the literal call in make_a() gives it.
    chosen = plan_export(tmp_path / "two.py", Settings(), tmp_path, model="A")
    assert chosen.request.constructor_args == [4] and "two.py:" in chosen.notes[0]
