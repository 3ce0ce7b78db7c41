"""A readable, standalone Python script that does what `litert.export` does, for users who want
the steps in their repository. Framework-free: it only writes text."""

from __future__ import annotations

import os
from pathlib import Path

from litert_lsp.jobs.framework import is_tensorflow
from litert_lsp.jobs.job import ExportRequest
from litert_lsp.jobs.package import package_place
from litert_lsp.jobs.script_tail import compare_and_write
from litert_lsp.jobs.shapes import concrete
from litert_lsp.jobs.tf_script import render_tensorflow
from litert_lsp.models.checkpoints import EMA_KEYS, NESTING_KEYS

_TEMPLATE = '''\
"""Export {model} to LiteRT (.tflite) and check that the result agrees with PyTorch.

Written by litert-lsp; edit freely. Run it with the Python that has torch, litert-torch and
ai-edge-litert installed:  python {script_name}
"""

import importlib
import sys
from pathlib import Path

import numpy as np
import torch
import litert_torch
from ai_edge_litert.interpreter import Interpreter

HERE = Path(__file__).resolve().parent
# The model's file is imported by its dotted name from the folder above its package, so its
# relative imports (`from .blocks import ...`) resolve as they do in the project.
IMPORT_ROOT = HERE / {import_root!r}
MODULE_NAME = {module_name!r}
CHECKPOINT = {checkpoint}
WEIGHTS_KEY = {weights!r}  # key path of the weights inside a training checkpoint; None: EMA, else the usual
OUTPUT = HERE / {output!r}
INPUT_SHAPES = {input_shapes}  # None: inferred from the first layer below
QUANTIZE = {quantize!r}  # None, "int8" (dynamic range) or "float16"
ATOL, RTOL = {atol!r}, {rtol!r}


def load_model() -> torch.nn.Module:
    sys.path.insert(0, str(IMPORT_ROOT))
    module = importlib.import_module(MODULE_NAME)
    return module.{model}({call_args})


def restore(model: torch.nn.Module) -> None:
    if CHECKPOINT is None:
        return
    if CHECKPOINT.suffix == ".safetensors":
        from safetensors.torch import load_file

        state = load_file(str(CHECKPOINT))
    else:
        # weights_only=True never runs code from the file.
        state = torch.load(CHECKPOINT, map_location="cpu", weights_only=True)
    # Training checkpoints nest the weights (EMA weights, when kept, are the ones inference
    # uses); wrappers prefix their names.
    if WEIGHTS_KEY is not None:
        for part in WEIGHTS_KEY.split("."):
            state = state[part]
    else:
        for key in {nesting!r}:
            if isinstance(state, dict) and isinstance(state.get(key), dict):
                state = state[key]
                break
    for prefix in ("module.", "_orig_mod."):
        if state and all(name.startswith(prefix) for name in state):
            state = {{name[len(prefix):]: value for name, value in state.items()}}
    model.load_state_dict(state, strict=True)  # fails loudly, key by key, on a mismatch


def example_inputs(model: torch.nn.Module) -> tuple:
    torch.manual_seed(0)
    if INPUT_SHAPES is not None:
        return tuple(torch.randn(*shape) for shape in INPUT_SHAPES)
    for layer in model.modules():
        if isinstance(layer, torch.nn.Conv2d):
            return (torch.randn(1, layer.in_channels, 64, 64),)
        if isinstance(layer, torch.nn.Conv1d):
            return (torch.randn(1, layer.in_channels, 128),)
        if isinstance(layer, torch.nn.Linear):
            return (torch.randn(1, layer.in_features),)
        if isinstance(layer, torch.nn.Embedding):
            return (torch.randint(0, layer.num_embeddings, (1, 16)),)
    raise SystemExit("set INPUT_SHAPES: the first layer does not tell the input shape")


def quant_config():
    if QUANTIZE is None:
        return None
    from litert_torch.generative.quantize import quant_recipes

    return quant_recipes.full_dynamic_recipe() if QUANTIZE == "int8" else quant_recipes.full_fp16_recipe()


def main() -> None:
    model = load_model()
    restore(model)
    model.eval()
    inputs = example_inputs(model)
    with torch.no_grad():
        expected = model(*inputs)
    expected = [t.numpy() for t in (expected if isinstance(expected, (tuple, list)) else (expected,))]

    converted = litert_torch.convert(model, inputs, quant_config=quant_config())
    content = bytes(converted.model_content())

    # Verify in the LiteRT runtime before writing anything.
    interpreter = Interpreter(model_content=content)
    runner = interpreter.get_signature_runner()
    names = runner.get_input_details()
    feed = {{name: x.numpy().astype(names[name]["dtype"]) for name, x in zip(names, inputs)}}
    outputs = runner(**feed)
    actual = [outputs[name] for name in runner.get_output_details()]
{compare_and_write}'''


def script_path(request: ExportRequest) -> Path:
    source = Path(request.source)
    return source.parent / f"export_{(request.model or source.stem).lower()}.py"


def render(request: ExportRequest, target: Path) -> str:
    """The script text for `request`, with paths relative to the script's folder (a TensorFlow
    script for Keras model code; ValueError for a source the script cannot start from)."""
    if is_tensorflow(request):
        return render_tensorflow(request, target)
    folder = target.parent
    source = Path(request.source)
    checkpoint = "None"
    if request.checkpoint:
        checkpoint = f"HERE / {_relative(Path(request.checkpoint), folder)!r}"
    output = Path(request.output) if request.output else source.with_suffix(".tflite")
    place = package_place(source)
    arguments = [repr(a) for a in request.constructor_args] + [
        f"{k}={v!r}" for k, v in request.constructor_kwargs.items()
    ]
    return _TEMPLATE.format(
        compare_and_write=compare_and_write("PyTorch"),
        model=request.model or source.stem,
        script_name=target.name,
        import_root=_relative(place.import_root, folder),
        module_name=place.module_name,
        checkpoint=checkpoint,
        weights=request.weights,
        nesting=EMA_KEYS + NESTING_KEYS,
        output=_relative(output, folder),
        input_shapes=repr([concrete(s) for s in request.input_shapes]) if request.input_shapes else "None",
        quantize=request.quantize,
        atol=request.atol,
        rtol=request.rtol,
        call_args=", ".join(arguments),
    )


def _relative(path: Path, folder: Path) -> str:
    try:
        return os.path.relpath(path, folder)
    except ValueError:  # another drive on Windows
        return str(path)
