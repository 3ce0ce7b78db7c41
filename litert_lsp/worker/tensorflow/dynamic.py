"""Dynamic dimensions on the TensorFlow path, and the fixed batch that LSTM/GRU layers need.

Measured with TF 2.21 and ai-edge-litert 2.3 (tests/export/test_keras_recurrent.py): Keras models
convert with a dynamic batch (shape signature -1) and run at any batch; but a Keras LSTM or GRU
with a dynamic batch fails to convert: its loop state is a TensorList whose element shape holds
the batch, and the converter lowers tensor lists to builtins only when that shape is static
("'tf.TensorListReserve' op requires element_shape to be static"). With dimension 0 fixed it
converts to a WHILE loop that runs and agrees, and a dynamic time dimension still works. So when
the batch was dynamic only because the model leaves it open, it is fixed to 1 (and the report
says so); when the user asked for it, the sentence says which dimension and what to give.
Worker-only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from litert_lsp.jobs import shapes
from litert_lsp.jobs.job import ExportError, ExportRequest
from litert_lsp.worker.tensorflow.usercode import sample_array

# Op names (without `tf.`) of the converter's tensor-list failures.
TENSOR_LIST_OPS = ("TensorListReserve", "TensorListFromTensor", "TensorListSetItem", "TensorListGetItem",
                   "TensorListStack", "TensorListLength", "TensorListElementShape")
FIXED_BATCH_NOTE = ("the batch dimension (dim 0) was fixed to 1: LSTM/GRU layers (TensorList ops) convert to "
                    "LiteRT builtins only with a fixed batch; give another with --input-shape")

SAVED_GRAPH_SENTENCE = ("the model's LSTM/GRU layers (TensorList ops) convert to LiteRT builtins only with a fixed "
                        "batch size, and this saved graph was traced with an open one (a saved graph keeps the "
                        "shapes it was traced with): save it again from Keras with a fixed batch, e.g. "
                        "keras.Input(shape, batch_size=1), or export the .keras file or the Python code instead")


def is_tensor_list_failure(ops: Sequence[str], messages: Sequence[str] = ()) -> bool:
    """Whether a conversion failed on the tensor lists of a recurrent layer."""
    return any(op in TENSOR_LIST_OPS for op in ops) or any("tensor list" in m.lower() for m in messages)


def tensor_list_sentence(ops: Sequence[str], fixed: Sequence[Sequence[int]] | None = None) -> str:
    """The sentence for a recurrent layer that cannot convert with its batch dynamic; `fixed`:
    the model's shapes with dim 0 fixed, for the example."""
    named = ", ".join(op for op in dict.fromkeys(ops) if op in TENSOR_LIST_OPS) or "TensorList ops"
    example = ";".join(shapes.shape_text(s) for s in fixed) if fixed else "1,<time>,<features>"
    example = f'"{example}"' if ";" in example else example
    return (f"the model's LSTM/GRU layers ({named}) convert to LiteRT builtins only with a fixed batch size: "
            f"give the input shape with a fixed dim 0, e.g. --input-shape {example} (a dynamic time "
            "dimension, -1, works)")


def example_shape(shape: Sequence[int | None]) -> list[int]:
    """Sizes to run a model at when its shape leaves some open (None or -1): 1, as TensorFlow
    exports have always been verified; a second size is checked after (check_second_size)."""
    return [1 if d is None or d == shapes.DYNAMIC else int(d) for d in shape]


def spec_shape(shape: Sequence[int]) -> list[int | None]:
    """A requested shape for a tf.TensorSpec: -1 (dynamic) becomes None."""
    return [None if int(d) == shapes.DYNAMIC else int(d) for d in shape]


def with_request(request: ExportRequest, declared: Sequence[Sequence[int | None]]) -> list[list[int | None]]:
    """The shapes to sign the model with: the requested ones (-1 → None) or the declared ones,
    and dim 0 left open for `dynamic_batch`."""
    chosen = [spec_shape(s) for s in request.input_shapes] if request.input_shapes else [list(s) for s in declared]
    if request.dynamic_batch:
        chosen = [[None, *s[1:]] if s else s for s in chosen]
    return chosen


def requested(request: ExportRequest, count: int) -> bool:
    """Whether the user asked for a dynamic dimension (rather than the model leaving one open)."""
    return request.dynamic_batch or shapes.has_dynamic(request.input_shapes[:count] if request.input_shapes else None)


def batch_fixed(declared: Sequence[Sequence[int | None]]) -> list[list[int]] | None:
    """The declared shapes with a dynamic dim 0 fixed to 1 and other dynamic dims kept (-1), or
    None when no input has a dynamic dim 0 (fixing it cannot help)."""
    if not any(s and s[0] is None for s in declared):
        return None
    return [[1 if i == 0 and d is None else (shapes.DYNAMIC if d is None else int(d)) for i, d in enumerate(s)]
            for s in declared]


def signature_shapes(interpreter: Any, kind: str = "inputs") -> dict[str, list[int]]:
    """Each input's (or output's) shape signature in the converted model (-1 where dynamic)."""
    signatures = interpreter.get_signature_list()
    if not signatures:
        raw = interpreter.get_input_details() if kind == "inputs" else interpreter.get_output_details()
        return {d["name"]: [int(x) for x in d.get("shape_signature", d["shape"])] for d in raw}
    key = next(iter(signatures))
    runner = interpreter.get_signature_runner(key)
    details = runner.get_input_details() if kind == "inputs" else runner.get_output_details()
    return {name: [int(x) for x in details[name].get("shape_signature", details[name]["shape"])]
            for name in signatures[key][kind]}


def dynamic_dims(declared: Mapping[str, Sequence[int]], order: Sequence[str]) -> list[list[int]]:
    return shapes.dynamic_dims([declared.get(name, []) for name in order])


def at_second_size(inputs: Mapping[str, np.ndarray], dims: Sequence[Sequence[int]]) -> dict[str, np.ndarray]:
    """The example inputs with each dynamic dimension at CHECK_SIZE, new values of the same kind."""
    out = {}
    for index, (name, array) in enumerate(inputs.items()):
        shape = list(array.shape)
        for dim in dims[index] if index < len(dims) else ():
            shape[dim] = shapes.CHECK_SIZE
        out[name] = array if shape == list(array.shape) else sample_array(shape, array.dtype.name, seed=100 + index)
    return out


def check_second_size(content: bytes, inputs: Mapping[str, np.ndarray], dims: Sequence[Sequence[int]],
                      run_framework: Any, tolerance: Any) -> str | None:
    """Run the model at CHECK_SIZE along its dynamic dims in LiteRT and in TensorFlow; None when
    they agree, else what went wrong."""
    from litert_lsp.worker import runtime

    other = at_second_size(inputs, dims)
    try:
        expected = run_framework(other)
    except Exception as error:  # noqa: BLE001 - the model itself refuses that size
        return f"TensorFlow refuses size {shapes.CHECK_SIZE}: {_first_line(error)}"
    try:
        actual = runtime.run(content, other)
    except Exception as error:  # noqa: BLE001 - any runtime failure is the verdict
        return f"the LiteRT runtime cannot run it at size {shapes.CHECK_SIZE}: {_first_line(error)}"
    atol, rtol = tolerance(expected)
    comparison = runtime.compare(actual, expected, atol, rtol)
    return None if comparison.ok else f"at size {shapes.CHECK_SIZE} LiteRT disagrees: {comparison.detail}"


def refuse(where: str, why: str, fixed: str) -> ExportError:
    return ExportError("verify", f"{where} cannot be dynamic: {why}. Export with a fixed size instead ({fixed})")


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:200] if text else type(error).__name__
