"""The one policy for which models a file exports (`models.exportable`), seen by the planner,
the editor's lenses and the worker alike."""

from __future__ import annotations

from litert_lsp.models.exportable import default_model, models_of
from tests.export.models_src import TINY

MIXED = '''\
import keras
import torch

class Head(torch.nn.Module):
    pass

class Body(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.head = Head()

class KerasNet(keras.Model):
    pass
'''

KERAS_ONLY = '''\
import keras

class Block(keras.layers.Layer):
    pass

def make_classifier(units=4):
    return keras.Sequential([keras.layers.Dense(units)])
'''

TWO_TOP = '''\
import torch.nn as nn

class A(nn.Module):
    pass

class B(nn.Module):
    pass
'''


def test_pytorch_classes_win_and_parts_are_not_exported() -> None:
    found = models_of(MIXED)
    assert found.framework == "torch"
    assert [m.name for m in found.all] == ["Head", "Body"]
    assert [m.name for m in found.exported] == ["Body"]
    assert found.named("Head") is not None and found.named("KerasNet") is None
    assert default_model(MIXED) == "Body"


def test_keras_builders_when_there_is_no_pytorch_model() -> None:
    found = models_of(KERAS_ONLY)
    assert found.framework == "tensorflow"
    assert [m.name for m in found.exported] == ["make_classifier"]
    assert default_model(KERAS_ONLY) == "make_classifier"


def test_no_single_default_when_several_or_none() -> None:
    assert [m.name for m in models_of(TWO_TOP).exported] == ["A", "B"]
    assert default_model(TWO_TOP) is None
    assert models_of("def broken(:\n").exported == [] and default_model("x = 1\n") is None
    assert default_model(TINY) is None and "TinyNet" in [m.name for m in models_of(TINY).exported]
