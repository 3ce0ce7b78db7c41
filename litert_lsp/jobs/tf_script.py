"""The standalone export script for a TensorFlow/Keras model built by the user's Python code
(with an optional TF2 checkpoint or Keras weights file): the same steps as `litert.export`,
readable and editable. Framework-free: it only writes text."""

from __future__ import annotations

import os
from pathlib import Path

from litert_lsp.jobs.job import ExportRequest
from litert_lsp.jobs.package import package_place
from litert_lsp.jobs.script_tail import compare_and_write
from litert_lsp.jobs.shapes import concrete

_TEMPLATE = '''\
"""Export {model} to LiteRT (.tflite) and check that the result agrees with TensorFlow.

Written by litert-lsp; edit freely. Run it with the Python that has tensorflow and
ai-edge-litert installed:  python {script_name}
"""

import importlib
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter

HERE = Path(__file__).resolve().parent
# The model's file is imported by its dotted name from the folder above its package, so its
# relative imports (`from .blocks import ...`) resolve as they do in the project.
IMPORT_ROOT = HERE / {import_root!r}
MODULE_NAME = {module_name!r}
CHECKPOINT = {checkpoint}  # a TF2 checkpoint prefix, a .weights.h5 file, or None
OUTPUT = HERE / {output!r}
INPUT_SHAPES = {input_shapes}  # None: from example_inputs() or the model's declared inputs
INPUT_DTYPES = {input_dtypes}
QUANTIZE = {quantize!r}  # None, "int8" (dynamic range) or "float16"
ALLOW_SELECT_TF_OPS = {allow_select_tf_ops!r}  # True needs the Flex runtime in the app
ATOL, RTOL = {atol!r}, {rtol!r}


def load_module():
    sys.path.insert(0, str(IMPORT_ROOT))
    module = importlib.import_module(MODULE_NAME)
    return module


def example_inputs(module, model) -> list:
    if INPUT_SHAPES is not None:
        rng = np.random.default_rng(0)
        dtypes = INPUT_DTYPES or ["float32"] * len(INPUT_SHAPES)
        return [rng.standard_normal(shape).astype(dtype) if np.dtype(dtype).kind == "f"
                else rng.integers(0, 4, size=shape).astype(dtype) for shape, dtype in zip(INPUT_SHAPES, dtypes)]
    for owner in (model, module):
        value = getattr(owner, "example_inputs", None)
        if value is not None:
            value = value() if callable(value) else value
            return [np.asarray(v) for v in (value if isinstance(value, (list, tuple)) else [value])]
    if getattr(model, "inputs", None):  # a functional model declares its inputs
        rng = np.random.default_rng(0)
        return [rng.standard_normal([1 if d is None else d for d in t.shape]).astype(t.dtype) for t in model.inputs]
    raise SystemExit("set INPUT_SHAPES: the model does not tell its input shape")


def restore(model) -> None:
    if CHECKPOINT is None:
        return
    if str(CHECKPOINT).endswith((".h5", ".hdf5", ".keras")):
        model.load_weights(str(CHECKPOINT))
        return
    # Every model variable must get a value; optimizer state and counters are left out on purpose.
    status = tf.train.Checkpoint(model=model).read(str(CHECKPOINT))
    status.assert_existing_objects_matched()
    status.expect_partial()


def convert(model, inputs: list) -> bytes:
    specs = [tf.TensorSpec(x.shape, tf.as_dtype(x.dtype), name=f"input_{{i}}") for i, x in enumerate(inputs)]
    with tempfile.TemporaryDirectory() as folder:
        archive = keras.export.ExportArchive()
        archive.track_and_add_endpoint("serve", model, specs)
        archive.write_out(folder, verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(folder)
        if ALLOW_SELECT_TF_OPS:
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]
        if QUANTIZE is not None:
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        if QUANTIZE == "float16":
            converter.target_spec.supported_types = [tf.float16]
        return converter.convert()


def main() -> None:
    module = load_module()
    model = module.{model}({call_args})
    inputs = example_inputs(module, model)
    model(*inputs)  # builds the weights before they are restored
    restore(model)
    expected = model(*inputs)
    if isinstance(expected, dict):
        expected = [expected[key] for key in sorted(expected)]
    expected = [np.asarray(e) for e in (expected if isinstance(expected, (list, tuple)) else [expected])]

    content = convert(model, inputs)

    # Verify in the LiteRT runtime before writing anything.
    runner = Interpreter(model_content=content).get_signature_runner()
    outputs = runner(**{{f"input_{{i}}": x for i, x in enumerate(inputs)}})
    actual = [outputs[key] for key in sorted(outputs)]
{compare_and_write}'''


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
    return _TEMPLATE.format(
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
