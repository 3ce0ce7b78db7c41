"""SavedModel → .tflite with TFLiteConverter: builtins first, Select TF ops only when allowed,
optional quantization, converter errors mapped to the user's lines. Worker-only."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tensorflow as tf
from tensorflow.lite.python.convert_phase import ConverterError

from litert_lsp.jobs.job import ExportError, ExportRequest, SourceFailure
from litert_lsp.worker.locate import is_user_file
from litert_lsp.worker.tensorflow import dynamic as tf_dynamic

# What choosing Select TF ops costs, told to the user whenever it is used or offered.
FLEX_COST = (
    "Select TF ops run through the Flex delegate: the app must link the TensorFlow ops library "
    "(several MB more binary size), those ops run outside LiteRT's optimised kernels, and GPU/NPU "
    "delegates cannot take them"
)


@dataclass
class Conversion:
    content: bytes
    select_tf_ops: bool  # the model needs the Flex runtime
    flex_ops: list[str] = field(default_factory=list)  # TF ops that needed it
    notes: list[str] = field(default_factory=list)


@dataclass
class _Problem:
    code: str  # ERROR_NEEDS_FLEX_OPS, ERROR_NEEDS_CUSTOM_OPS, ...
    op: str
    message: str
    location: tuple[str, int] | None


def convert(saved_model: Path, signature_key: str, request: ExportRequest, roots: list[Path],
            calibration: list[dict[str, np.ndarray]] | None = None) -> Conversion:
    """Convert with builtin ops; on ops that only Select TF ops provide, retry with them if the
    request allows it, otherwise fail naming the ops and their lines."""
    try:
        return Conversion(_run(saved_model, signature_key, request, False, calibration), select_tf_ops=False)
    except ConverterError as error:
        problems = _problems(error, roots)
        needs_flex = [p for p in problems if p.code == "ERROR_NEEDS_FLEX_OPS"]
        blocking = [p for p in problems if p.code != "ERROR_NEEDS_FLEX_OPS"]
        if not needs_flex or blocking:
            raise _failure(error, problems or needs_flex) from None
        ops = _unique(p.op for p in needs_flex)
        if not request.allow_select_tf_ops:
            raise ExportError(
                "convert",
                f"LiteRT has no builtin kernel for {', '.join(ops)}. Allow Select TF ops (--allow-select-tf-ops) "
                f"to keep them ({FLEX_COST}), or replace them in the model.",
                _failures(needs_flex),
            ) from None
    try:
        content = _run(saved_model, signature_key, request, True, calibration)
    except ConverterError as error:
        raise _failure(error, _problems(error, roots)) from None
    return Conversion(content, True, ops, [f"converted with Select TF ops for {', '.join(ops)}. {FLEX_COST}."])


def _run(saved_model: Path, signature_key: str, request: ExportRequest, select_tf_ops: bool,
         calibration: list[dict[str, np.ndarray]] | None = None) -> bytes:
    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model), signature_keys=[signature_key])
    if select_tf_ops:
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]
    if request.quantize == "full-int8":
        # Full-integer: int8 weights and activations, int8 inputs and outputs; the activation
        # ranges come from the calibration samples (a dict per sample, by signature input name).
        samples = calibration or []
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: iter(samples)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8] + (
            [tf.lite.OpsSet.SELECT_TF_OPS] if select_tf_ops else [])
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    elif request.quantize == "int8":
        # Dynamic-range: int8 weights, float activations; no calibration data needed.
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    elif request.quantize == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif request.quantize:
        raise ExportError("convert", f"unknown quantization {request.quantize!r}: use int8, float16 or full-int8.")
    return converter.convert()


def _problems(error: ConverterError, roots: list[Path]) -> list[_Problem]:
    problems = []
    for record in getattr(error, "errors", []) or []:
        code = _code_name(record)
        op = record.operator.name.removeprefix("tf.")
        message = record.error_message.strip().splitlines()[0] if record.error_message else code
        problems.append(_Problem(code, op, message, _user_location(record, roots)))
    return problems


def _code_name(record: object) -> str:
    # The enum lives on the record's own proto descriptor: no import of TF's private proto module.
    code = getattr(record, "error_code", 0)
    try:
        return record.DESCRIPTOR.enum_types_by_name["ErrorCode"].values_by_number[code].name  # type: ignore[attr-defined]
    except (AttributeError, KeyError):
        return str(code)


def _user_location(record: object, roots: list[Path]) -> tuple[str, int] | None:
    """The innermost frame of the op's creation stack that lies in the user's files (the call
    stack is recorded outermost first)."""
    found = None
    location = getattr(record, "location", None)
    for call in getattr(location, "call", []):
        path = call.source.filename
        if path and call.source.line and is_user_file(path, roots):
            found = (str(Path(path).resolve()), int(call.source.line))
    return found


def _failures(problems: list[_Problem]) -> list[SourceFailure]:
    failures = []
    for problem in problems:
        if problem.location:
            path, line = problem.location
            failures.append(SourceFailure(path, line, f"{problem.op}: {problem.message}", "convert"))
    return failures


class TensorListError(ExportError):
    """A recurrent layer's tensor lists failed to lower: fixable by a fixed batch (see dynamic.py)."""

    def __init__(self, message: str, failures: list[SourceFailure], ops: list[str]) -> None:
        super().__init__("convert", message, failures)
        self.ops = ops


def _failure(error: ConverterError, problems: list[_Problem]) -> ExportError:
    if not problems:
        text = str(error).strip().splitlines()
        return ExportError("convert", f"TFLiteConverter failed: {text[0] if text else 'no message'}")
    if tf_dynamic.is_tensor_list_failure([p.op for p in problems], [p.message for p in problems]):
        # The converter's own text suggests Select TF ops and a private converter flag, with a
        # literal "\n": neither is what the user should do (see dynamic.py).
        ops = [p.op for p in problems]
        return TensorListError(tf_dynamic.tensor_list_sentence(ops), _failures(problems), ops)
    custom = _unique(p.op for p in problems if p.code == "ERROR_NEEDS_CUSTOM_OPS")
    if custom:
        message = (f"{', '.join(custom)} is neither a LiteRT builtin nor a Select TF op: no stock LiteRT runtime "
                   "can run it; replace it in the model (or implement a custom op).")
    else:
        message = "TFLiteConverter failed: " + "; ".join(_unique(f"{p.op}: {p.message}" for p in problems[:5]))
    return ExportError("convert", message, _failures(problems))


def _unique(items: object) -> list[str]:
    seen: list[str] = []
    for item in items:  # type: ignore[attr-defined]
        if item and item not in seen:
            seen.append(item)
    return seen
