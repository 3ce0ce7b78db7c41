"""Export a TensorFlow/Keras model to a verified .tflite: restore → convert → verify → profile → write.

Entry point for the export worker: `export_tensorflow(request, progress)`. Sources: SavedModel
folders, `.keras`/`.h5` files, Python code + TF2 checkpoint, TF1 `.ckpt.meta` + `.ckpt`.
Worker-only (imports tensorflow, numpy, ai_edge_litert).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TF's C++ chatter out of job logs

import keras
import numpy as np
import tensorflow as tf

from litert_lsp.jobs import shapes
from litert_lsp.jobs.job import ExportError, ExportRequest, ExportResult, Progress
from litert_lsp.worker import calibration, runtime
from litert_lsp.worker.calibration import CALIBRATION_WARNING, error_on_samples
from litert_lsp.worker.tensorflow import convert as tf_convert
from litert_lsp.worker.tensorflow import dynamic as tf_dynamic
from litert_lsp.worker.tensorflow import sources as tf_sources
from litert_lsp.worker.tensorflow.usercode import sample_array
from litert_lsp.worker.verify import PROFILE_BUDGET_SECONDS, tolerances

_NO_FLEX_RUNTIME = "Select TensorFlow op"  # the runtime's message when it lacks Flex kernels


def export_tensorflow(request: ExportRequest, progress: Progress) -> ExportResult:
    """Run the whole TensorFlow export; every failure comes back as an ExportResult, never raised."""
    details: dict[str, Any] = {"framework": "tensorflow", "verified": False, "seconds": {}}
    stage = ["load code"]

    def report(name: str, message: str, percent: float | None = None) -> None:
        stage[0] = name
        progress(name, message, percent)

    # A warm worker runs many jobs: drop Keras' global state (layer-name counters, graphs) from
    # the previous one so names stay stable and memory does not grow.
    keras.backend.clear_session()
    # Keras and the converter print to stdout, which may be the worker's protocol channel.
    with contextlib.redirect_stdout(sys.stderr), tempfile.TemporaryDirectory(prefix="litert-tf-") as work:
        try:
            result = _export(request, report, details, Path(work))
        except ExportError as error:
            result = ExportResult(ok=False, message=error.message, stage=error.stage, failures=error.failures,
                                  details=details)
        except Exception as error:  # noqa: BLE001 - a bug or an unforeseen TF error: say so, don't crash
            details["traceback"] = traceback.format_exc(limit=20)
            result = ExportResult(ok=False, stage=stage[0],
                                  message=f"{stage[0]} failed unexpectedly: {type(error).__name__}: {_first_line(error)}",
                                  details=details)
    if not result.ok:
        result.message += _graph_choice(details)
    return result


def _export(request: ExportRequest, progress: Progress, details: dict[str, Any], work: Path) -> ExportResult:
    clock = time.perf_counter()
    prepared = tf_sources.prepare(request, work, progress)
    details.update(prepared.details, source_kind=prepared.kind, signature=prepared.signature_key)
    details["seconds"]["restore"] = _lap(clock)

    clock = time.perf_counter()
    loaded = tf.saved_model.load(str(prepared.saved_model))
    signature = loaded.signatures[prepared.signature_key]
    if request.input_shapes and not prepared.pinned:
        progress("export", "fixing the input shapes", 40.0)
        saved_model = work / "pinned_saved_model"
        _pin_shapes(loaded, signature, _order(signature, prepared), request, saved_model)
        prepared.saved_model, prepared.signature_key = saved_model, "serving_default"
        loaded = tf.saved_model.load(str(saved_model))
        signature = loaded.signatures["serving_default"]
    inputs = _example_inputs(signature, _order(signature, prepared))
    try:
        outputs = signature(**{name: tf.constant(array) for name, array in inputs.items()})
    except (tf.errors.OpError, ValueError, TypeError) as error:
        shapes = ", ".join(f"{name} {list(array.shape)}" for name, array in inputs.items())
        raise ExportError("export", f"the model fails in TensorFlow on example inputs ({shapes}): "
                          f"{_first_line(error)}; give the real shapes with --input-shape.") from error
    expected = {name: np.asarray(value) for name, value in outputs.items()}
    details["seconds"]["export"] = _lap(clock)

    progress("convert", "converting with TFLiteConverter", 50.0)
    clock = time.perf_counter()
    samples = None
    if request.quantize == "full-int8":
        order = list(inputs)
        loaded_samples = calibration.load(request.calibration, [inputs[name] for name in order])
        samples = [dict(zip(order, sample)) for sample in loaded_samples.samples]
        details["quantization"] = f"full-integer int8 (weights and activations), calibrated on {loaded_samples.source}"
        if loaded_samples.random:
            details.setdefault("warnings", []).append(CALIBRATION_WARNING)
        # Verified on a calibration sample: the activation ranges were fixed on those.
        inputs = samples[0]
        expected = {name: np.asarray(value) for name, value in
                    signature(**{name: tf.constant(array) for name, array in inputs.items()}).items()}
    try:
        conversion = tf_convert.convert(prepared.saved_model, prepared.signature_key, request, prepared.user_files, samples)
    except tf_convert.TensorListError as error:
        order = _order(signature, prepared)
        fixed = tf_dynamic.batch_fixed([_declared(signature, name) for name in order])
        if fixed is None:
            raise
        if tf_dynamic.requested(request, len(order)):
            raise ExportError("convert", tf_dynamic.tensor_list_sentence(error.ops, fixed), error.failures) from None
        if prepared.kind not in ("keras", "code+checkpoint"):
            # A saved graph keeps the shapes it was traced with: re-signing it does not re-trace
            # the layers inside (measured: the TensorList keeps its open batch).
            raise ExportError("convert", tf_dynamic.SAVED_GRAPH_SENTENCE) from None
        # An LSTM/GRU left with the model's open batch: trace the Keras model again with dim 0
        # fixed to 1 (other open sizes stay dynamic) and convert again.
        progress("convert", "fixing the batch to 1 for the LSTM/GRU layers and converting again", 60.0)
        retry = ExportRequest(**{**request.to_json(), "input_shapes": fixed, "dynamic_batch": False})
        (work / "batch_fixed").mkdir(exist_ok=True)
        prepared = tf_sources.prepare(retry, work / "batch_fixed", progress)
        loaded = tf.saved_model.load(str(prepared.saved_model))
        signature = loaded.signatures[prepared.signature_key]
        # A model built again may name its inputs anew: the same arrays, by position.
        names = _order(signature, prepared)
        inputs = dict(zip(names, inputs.values()))
        if samples is not None:
            samples = [dict(zip(names, sample.values())) for sample in samples]
        expected = {name: np.asarray(value) for name, value in
                    signature(**{name: tf.constant(array) for name, array in inputs.items()}).items()}
        conversion = tf_convert.convert(prepared.saved_model, prepared.signature_key, request, prepared.user_files, samples)
        details.setdefault("notes", []).append(tf_dynamic.FIXED_BATCH_NOTE)
        details["batch_fixed"] = True
    details["seconds"]["convert"] = _lap(clock)
    details["select_tf_ops"] = conversion.select_tf_ops
    if conversion.flex_ops:
        details["flex_ops"] = conversion.flex_ops
    if conversion.notes:
        details.setdefault("notes", []).extend(conversion.notes)
    if request.quantize in ("int8", "float16"):
        details["quantization"] = "dynamic-range int8 weights" if request.quantize == "int8" else "float16 weights"
    content = conversion.content
    if samples is not None:
        plain = tf_convert.convert(prepared.saved_model, prepared.signature_key,
                                   ExportRequest(**{**request.to_json(), "quantize": None}), prepared.user_files)
        details["float_size_bytes"] = len(plain.content)
        details["calibration_error"] = error_on_samples(content, lambda feed: [
            np.asarray(v) for v in signature(**{k: tf.constant(a) for k, a in feed.items()}).values()], samples[:16])
        warning = calibration.size_warning(len(content), len(plain.content))
        if warning:
            details.setdefault("warnings", []).append(warning)
    def run_tf(feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {k: np.asarray(v) for k, v in signature(**{n: tf.constant(a) for n, a in feed.items()}).items()}

    return _verify_profile_write(content, inputs, expected, request, progress, details, conversion.select_tf_ops, run_tf)


def _verify_profile_write(
    content: bytes, inputs: dict[str, np.ndarray], expected: dict[str, np.ndarray], request: ExportRequest,
    progress: Progress, details: dict[str, Any], flex: bool, run_tf: Any = None,
) -> ExportResult:
    progress("verify", "running the .tflite in the LiteRT runtime", 80.0)
    clock = time.perf_counter()
    try:
        interpreter = runtime.load_interpreter(content)
        actual_list = runtime.run(content, inputs, interpreter)
    except Exception as error:  # any runtime failure is the verdict
        if flex and _NO_FLEX_RUNTIME in str(error):
            return _unverified_flex(content, request, details)
        raise ExportError("verify", f"the converted model does not run in the LiteRT runtime: {_first_line(error)}") from error
    names = _output_names(interpreter)
    # Names differ only if the converter renamed them: then fall back to the declared order.
    reference = [expected[name] for name in names] if set(names) == set(expected) else list(expected.values())
    atol, rtol = tolerances(request, reference)
    comparison = runtime.compare(actual_list, reference, atol, rtol)
    details["tolerance"] = {"atol": atol, "rtol": rtol}
    details["seconds"]["verify"] = _lap(clock)
    if not comparison.ok:
        return ExportResult(
            ok=False, status="mismatch", stage="verify", message=f"the .tflite runs but disagrees with TensorFlow: {comparison.detail}",
            max_abs_error=comparison.max_abs_error, max_rel_error=comparison.max_rel_error, details=details)
    declared = tf_dynamic.signature_shapes(interpreter)
    if run_tf is not None:
        _check_dynamic(content, inputs, declared, names, request, details, run_tf)
    details["verified"] = True

    progress("profile", "measuring size, ops and latency", 90.0)
    clock = time.perf_counter()
    single = time.perf_counter()
    runtime.run(content, inputs, interpreter)
    runs = int(min(50, max(5, PROFILE_BUDGET_SECONDS / max(time.perf_counter() - single, 1e-6))))
    profile = runtime.profile(content, inputs, runs=runs)
    details["latency_runs"] = profile.runs
    details["seconds"]["profile"] = _lap(clock)

    # The tensors' shapes as verified stay in `inputs`/`outputs`; the .tflite's own signatures
    # (-1 where a size is dynamic) go beside them for the report.
    if any(-1 in shape for shape in declared.values()):
        details["shape_signatures"] = declared  # of the inputs
    output = _write(content, request)
    return ExportResult(
        ok=True,
        message=(f"verified against TensorFlow: max abs error {comparison.max_abs_error:.3g}, max rel error "
                 f"{comparison.max_rel_error:.3g}; {len(content) / 1024:.1f} KiB"
                 + (f", written to {output}" if output else ", no file written")
                 + ("; needs the Flex runtime (Select TF ops)" if flex else "")),
        output=output, size_bytes=profile.size_bytes, op_histogram=profile.op_histogram,
        inputs=profile.inputs, outputs=profile.outputs,
        latency_ms_mean=profile.latency_ms_mean, latency_ms_p90=profile.latency_ms_p90,
        max_abs_error=comparison.max_abs_error, max_rel_error=comparison.max_rel_error, details=details,
    )


def _check_dynamic(content: bytes, inputs: dict[str, np.ndarray], declared: dict[str, list[int]], names: list[str],
                   request: ExportRequest, details: dict[str, Any], run_tf: Any) -> None:
    """A .tflite with dynamic sizes is run at a second size too. Dimensions the user asked to be
    dynamic must be, and must work; ones the model merely leaves open get a warning if they fail."""
    order = list(inputs)
    dims = tf_dynamic.dynamic_dims(declared, order)
    asked = tf_dynamic.requested(request, len(order))
    if asked:
        wanted = (shapes.dynamic_dims(request.input_shapes) if request.input_shapes else [[] for _ in order])
        wanted = [sorted(set(w) | ({0} if request.dynamic_batch else set())) for w in wanted]
        missing = [[d for d in w if d not in (dims[i] if i < len(dims) else [])] for i, w in enumerate(wanted)]
        if any(missing):
            fixed = ";".join(shapes.shape_text(declared.get(n, list(inputs[n].shape))) for n in order)
            raise tf_dynamic.refuse(shapes.describe(missing, order), "the model's signature fixes that size "
                                    "(re-save it with None there to make it dynamic)", f"--input-shape \"{fixed}\"")
    if not any(dims):
        return

    def framework(feed: dict[str, np.ndarray]) -> list[np.ndarray]:
        got = run_tf(feed)
        return [got[n] for n in names] if set(names) == set(got) else list(got.values())

    problem = tf_dynamic.check_second_size(content, inputs, dims, framework,
                                           lambda expected: tolerances(request, expected))
    where = shapes.describe(dims, order)
    sizes = sorted({int(inputs[order[i]].shape[d]) for i, ds in enumerate(dims) for d in ds} | {shapes.CHECK_SIZE})
    if problem is None:
        details["dynamic"] = f"{where} dynamic (run in LiteRT at sizes {' and '.join(map(str, sizes))})"
        return
    if asked:
        fixed = ";".join(shapes.shape_text(shapes.concrete(declared.get(n, []), 1)) for n in order)
        raise tf_dynamic.refuse(where, problem, f"--input-shape \"{fixed}\"")
    details.setdefault("warnings", []).append(
        f"the .tflite declares {where} dynamic, but {problem}: use it only at the size it was verified at, "
        "or export with that size fixed (--input-shape)")


def _declared(signature: Any, name: str) -> list[int | None]:
    spec = signature.structured_input_signature[1][name]
    return [] if spec.shape.rank is None else list(spec.shape.as_list())


def _graph_choice(details: dict[str, Any]) -> str:
    """For a TF1 graph whose inputs and outputs were guessed: what was picked, and, in a graph
    saved during training, what to name when the guess is not the model."""
    if "graph_outputs" not in details or "note" not in details:
        return ""
    outputs = ", ".join(name.removesuffix(":0") for name in details["graph_outputs"])
    text = (f" (inputs {', '.join(n.removesuffix(':0') for n in details.get('graph_inputs') or [])} and "
            f"outputs {outputs} were chosen automatically")
    if details.get("training_graph"):
        if details.get("losses_set_aside"):
            text += (f"; this is a training graph: its loss ({', '.join(details['losses_set_aside'])}) was set "
                     "aside for what it is computed from")
        else:
            text += "; this is a training graph, so those outputs are probably the loss"
        text += ". Name the model's inputs and outputs with --input-names and --output-names"
    return text + ")"


def _unverified_flex(content: bytes, request: ExportRequest, details: dict[str, Any]) -> ExportResult:
    """The LiteRT runtime from ai-edge-litert has no Flex kernels (measured: it refuses any model
    with Select TF ops), so such a model cannot be checked here. It is written only when the user
    asked for unverified output too (`allow_unverified`); either way ok stays False, so exit
    codes stay honest."""
    details["verification"] = "not verified: needs the Flex runtime, which ai-edge-litert does not ship"
    try:
        histogram = runtime.op_histogram(content)
    except Exception:  # noqa: BLE001 - the histogram is a courtesy here
        histogram = {}
    output = _write(content, request) if request.allow_unverified else None
    ops = ", ".join(details.get("flex_ops", []))
    if output:
        written = f"; written to {output} because unverified output was allowed"
    elif request.write_output:
        written = ("; no file written: an export writes only what it verified. To write it anyway, pass "
                   "--allow-unverified (setting export.allow-unverified = true), and test it with the Flex "
                   "runtime in your app")
    else:
        written = "; no file written"
    return ExportResult(
        ok=False, status="unverified", stage="verify",
        message=(f"converted with Select TF ops ({ops}) but not verified: needs the Flex runtime, which the "
                 "LiteRT runtime here (ai-edge-litert) does not include" + written),
        output=output, size_bytes=len(content), op_histogram=histogram, details=details,
    )


def _write(content: bytes, request: ExportRequest) -> str | None:
    if not request.write_output:
        return None
    target = Path(request.output).expanduser() if request.output else default_output(Path(request.source))
    return str(runtime.write_atomically(content, target, request.job_token))


def default_output(source: Path) -> Path:
    """model.keras → model.tflite beside it; saved_model/ → saved_model.tflite; m.ckpt.meta → m.tflite."""
    source = source.expanduser().resolve()
    name = source.name
    for suffix in (".ckpt.meta", ".meta", ".keras", ".hdf5", ".h5", ".py"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return source.parent / f"{name or 'model'}.tflite"


def _order(signature: Any, prepared: tf_sources.Prepared) -> list[str]:
    declared = list(signature.structured_input_signature[1].keys())
    if prepared.input_order and sorted(prepared.input_order) == sorted(declared):
        return list(prepared.input_order)
    return declared


def _pin_shapes(loaded: Any, signature: Any, order: list[str], request: ExportRequest, target: Path) -> None:
    """Re-sign the model with the requested fixed input shapes (checked against the declared ones)."""
    declared = signature.structured_input_signature[1]
    given = tf_dynamic.with_request(request, []) if request.input_shapes else []  # -1 (dynamic) → None
    if len(given) != len(order):
        raise ExportError("export", f"the model takes {len(order)} input(s) ({', '.join(order)}), "
                          f"{len(given)} shape(s) were given.")
    specs = []
    for name, shape in zip(order, given):
        spec = declared[name]
        wanted = tf.TensorShape(shape)
        if not spec.shape.is_compatible_with(wanted):
            raise ExportError("export", f"input {name} has shape {_shape_text(spec.shape)}; "
                              f"{list(wanted.as_list())} does not fit it.")
        if request.input_dtypes and tf.as_dtype(request.input_dtypes[len(specs)]) != spec.dtype:
            raise ExportError("export", f"input {name} is declared {spec.dtype.name} in the model; "
                              f"{request.input_dtypes[len(specs)]} was given (a saved graph's dtypes are fixed).")
        specs.append(tf.TensorSpec(wanted, spec.dtype, name=name))

    @tf.function(input_signature=specs)
    def pinned(*args: Any) -> Any:
        return signature(**dict(zip(order, args)))

    tf.saved_model.save(loaded, str(target), signatures={"serving_default": pinned.get_concrete_function()})


def _example_inputs(signature: Any, order: list[str]) -> dict[str, np.ndarray]:
    declared = signature.structured_input_signature[1]
    inputs = {}
    for index, name in enumerate(order):
        spec = declared[name]
        if spec.shape.rank is None:
            raise ExportError("export", f"input {name} has unknown rank: give its shape with --input-shape.")
        shape = tf_dynamic.example_shape(spec.shape.as_list())  # open sizes at 1
        inputs[name] = sample_array(shape, spec.dtype.as_numpy_dtype.__name__, seed=index)
    return inputs


def _output_names(interpreter: Any) -> list[str]:
    signatures = interpreter.get_signature_list()
    if signatures:
        return list(signatures[next(iter(signatures))]["outputs"])
    return [d["name"] for d in interpreter.get_output_details()]


def _shape_text(shape: tf.TensorShape) -> str:
    return "unknown" if shape.rank is None else str([-1 if d is None else d for d in shape.as_list()])


def _lap(start: float) -> float:
    return round(time.perf_counter() - start, 3)


def _first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    first = lines[0] if lines else type(error).__name__
    return first if len(first) <= 300 else first[:297] + "..."

