"""The one policy for "which models does this file export", shared by the editor's lenses and
actions, the export planner and the worker.

A file exports its PyTorch models (torch.nn.Module subclasses) when it has any, else its Keras
models (keras.Model subclasses and model-building functions). Of those, only the top-level ones
are offered: a class another model of the file builds is a part, not something a user exports
on its own (unless every model is built by another, when all are kept).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from litert_lsp.models.classes import ModelClass, find_keras_models, find_model_classes

Framework = Literal["torch", "tensorflow"]


@dataclass
class FileModels:
    framework: Framework  # which exporter takes the file's models ("torch" when it has none)
    all: list[ModelClass] = field(default_factory=list)  # every model of that framework, source order
    exported: list[ModelClass] = field(default_factory=list)  # the top-level ones: what a user exports

    def named(self, name: str | None) -> ModelClass | None:
        return next((m for m in self.all if m.name == name), None)


def models_of(source: str) -> FileModels:
    """The models `source` defines and the ones it exports; empty when it does not parse."""
    torch_models = find_model_classes(source)
    if torch_models:
        return FileModels("torch", torch_models, top_level_models(torch_models))
    keras_models = find_keras_models(source)
    if keras_models:
        return FileModels("tensorflow", keras_models, top_level_models(keras_models))
    return FileModels("torch")


def default_model(source: str) -> str | None:
    """The model to export when none is named: the file's only top-level model, else None."""
    exported = models_of(source).exported
    return exported[0].name if len(exported) == 1 else None


def top_level_models(models: list[ModelClass]) -> list[ModelClass]:
    """Classes no other model of the file builds; all of them when each is built by another."""
    return [m for m in models if not m.used_by] or models
