"""A readable, standalone Python script that does what `litert.export` does, for users who want
the steps in their repository. Framework-free: it only writes text."""

from __future__ import annotations

import os
from pathlib import Path

from litert_lsp.jobs.framework import is_tensorflow
from litert_lsp.jobs.job import ExportRequest
from litert_lsp.jobs.package import package_place
from litert_lsp.jobs.script_text import compare_and_write, template
from litert_lsp.jobs.shapes import concrete
from litert_lsp.jobs.tf_script import render_tensorflow
from litert_lsp.models.checkpoints import EMA_KEYS, NESTING_KEYS


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
    return template("torch_export").format(
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
