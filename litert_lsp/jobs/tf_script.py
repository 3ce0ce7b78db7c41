"""The standalone export script for a TensorFlow/Keras model built by the user's Python code
(with an optional TF2 checkpoint or Keras weights file): the same steps as `litert.export`,
readable and editable. Framework-free: it only writes text."""

from __future__ import annotations

import os
from pathlib import Path

from litert_lsp.jobs.job import ExportRequest
from litert_lsp.jobs.package import package_place
from litert_lsp.jobs.script_text import compare_and_write, template
from litert_lsp.jobs.shapes import concrete


def render_tensorflow(request: ExportRequest, target: Path) -> str:
    """The script text for a Keras model built by `request.source`, paths relative to the script."""
    folder = target.parent
    source = Path(request.source)
    if source.suffix != ".py":
        raise ValueError(f"{source.name} carries its own graph: export it with `litert-lsp export {source.name}`; "
                         "the standalone script is written for Python model code")
    checkpoint = "None"
    if request.checkpoint:
        path = Path(request.checkpoint)
        if path.name.endswith(".index"):
            path = path.with_name(path.name.removesuffix(".index"))  # TF wants the prefix
        checkpoint = f"HERE / {_relative(path, folder)!r}"
    output = Path(request.output) if request.output else source.with_suffix(".tflite")
    place = package_place(source)
    arguments = [repr(a) for a in request.constructor_args] + [f"{k}={v!r}" for k, v in request.constructor_kwargs.items()]
    return template("tf_export").format(
        compare_and_write=compare_and_write("TensorFlow"),
        model=request.model or source.stem,
        script_name=target.name,
        import_root=_relative(place.import_root, folder),
        module_name=place.module_name,
        checkpoint=checkpoint,
        output=_relative(output, folder),
        input_shapes=repr([concrete(s) for s in request.input_shapes]) if request.input_shapes else "None",
        input_dtypes=repr(request.input_dtypes) if request.input_dtypes else "None",
        quantize=request.quantize,
        allow_select_tf_ops=bool(request.allow_select_tf_ops),
        atol=request.atol,
        rtol=request.rtol,
        call_args=", ".join(arguments),
    )


def _relative(path: Path, folder: Path) -> str:
    try:
        return os.path.relpath(path, folder)
    except ValueError:  # another drive on Windows
        return str(path)
