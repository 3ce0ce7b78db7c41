"""Run a .tflite in the real LiteRT runtime: compare with the framework, profile, write safely.

Imports ai_edge_litert and numpy: worker-only.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType

from litert_lsp.jobs.job import TensorInfo


@dataclass
class Comparison:
    ok: bool
    max_abs_error: float
    max_rel_error: float
    detail: str  # which output disagreed, and by how much, when not ok


def load_interpreter(model: bytes | str | Path) -> Interpreter:
    if isinstance(model, (bytes, bytearray)):
        interpreter = Interpreter(model_content=bytes(model))
    else:
        interpreter = Interpreter(model_path=str(model))
    interpreter.allocate_tensors()
    return interpreter


def run(
    model: bytes | str | Path,
    inputs: Sequence[np.ndarray] | Mapping[str, np.ndarray],
    interpreter: Interpreter | None = None,
) -> list[np.ndarray]:
    """Outputs of the model's default signature, in signature order.

    A sequence of inputs is matched to the signature's inputs in their declared order
    (litert-torch names them args_0, args_1, ...); a mapping is matched by name.

    Values are real numbers at both ends: a floating-point input fed to a quantized integer
    input (a full-integer model) is quantized with that tensor's scale and zero point, and a
    quantized integer output is dequantized, so callers compare with the framework directly.
    """
    interpreter = interpreter or load_interpreter(model)
    signatures = interpreter.get_signature_list()
    if signatures:
        key = next(iter(signatures))
        runner = interpreter.get_signature_runner(key)
        names = signatures[key]["inputs"]
        if isinstance(inputs, Mapping):
            feed = dict(inputs)
        else:
            if len(inputs) != len(names):
                raise ValueError(f"the model takes {len(names)} inputs, {len(inputs)} were given")
            feed = dict(zip(names, inputs))
        declared_in = runner.get_input_details()
        declared_out = runner.get_output_details()
        result = runner(**{k: _contiguous(_quantized(v, declared_in.get(k))) for k, v in feed.items()})
        return [_real(np.asarray(result[name]), declared_out.get(name)) for name in signatures[key]["outputs"]]
    details = interpreter.get_input_details()
    values = list(inputs.values()) if isinstance(inputs, Mapping) else list(inputs)
    for detail, value in zip(details, values):
        interpreter.set_tensor(detail["index"], _contiguous(_quantized(value, detail)))
    interpreter.invoke()
    return [_real(np.asarray(interpreter.get_tensor(d["index"])), d) for d in interpreter.get_output_details()]


def _scale(detail: Mapping | None) -> tuple[float, int] | None:
    """(scale, zero point) of a quantized integer tensor, else None."""
    if not detail or not np.issubdtype(np.dtype(detail["dtype"]), np.integer):
        return None
    scale, zero = detail.get("quantization", (0.0, 0))
    return (float(scale), int(zero)) if scale else None


def _quantized(value: np.ndarray, detail: Mapping | None) -> np.ndarray:
    params = _scale(detail)
    value = np.asarray(value)
    if params is None or not np.issubdtype(value.dtype, np.floating):
        return value
    scale, zero = params
    limits = np.iinfo(np.dtype(detail["dtype"]))
    return np.clip(np.round(value / scale + zero), limits.min, limits.max).astype(detail["dtype"])


def _real(value: np.ndarray, detail: Mapping | None) -> np.ndarray:
    params = _scale(detail)
    if params is None:
        return value
    scale, zero = params
    return (value.astype(np.float32) - zero) * scale


def _contiguous(value: np.ndarray) -> np.ndarray:
    # np.ascontiguousarray turns a 0-d array into shape [1], which kernels taking scalars
    # (RANGE, for one) refuse; asarray(order="C") keeps the rank.
    return np.asarray(value, order="C")


def compare(
    actual: Sequence[np.ndarray], expected: Sequence[np.ndarray], atol: float, rtol: float
) -> Comparison:
    """Elementwise |a - e| <= atol + rtol * |e| for every output (numpy.allclose's rule).

    The relative part matters: randomly initialised deep nets give outputs near 1e15, where
    an absolute error of 1e9 is a correct conversion.
    """
    if len(actual) != len(expected):
        return Comparison(False, float("inf"), float("inf"),
                          f"the .tflite has {len(actual)} outputs, the original {len(expected)}")
    worst_abs = worst_rel = 0.0
    problems = []
    for index, (a, e) in enumerate(zip(actual, expected)):
        a = np.asarray(a)
        e = np.asarray(e)
        if a.shape != e.shape:
            problems.append(f"output {index}: shape {list(a.shape)} instead of {list(e.shape)}")
            worst_abs = worst_rel = float("inf")
            continue
        if a.size == 0:
            continue
        a64 = a.astype(np.float64)
        e64 = e.astype(np.float64)
        diff = np.abs(a64 - e64)
        abs_err = float(np.nanmax(diff)) if np.isfinite(diff).any() else float("inf")
        rel_err = float(np.nanmax(diff / np.maximum(np.abs(e64), 1e-12)))
        worst_abs = max(worst_abs, abs_err)
        worst_rel = max(worst_rel, rel_err)
        if np.isnan(a64).any() != np.isnan(e64).any() or not np.allclose(
            a64, e64, atol=atol, rtol=rtol, equal_nan=True
        ):
            problems.append(
                f"output {index}: max abs error {abs_err:.3g}, max rel error {rel_err:.3g} "
                f"(tolerance atol={atol:g}, rtol={rtol:g})"
            )
    return Comparison(not problems, worst_abs, worst_rel, "; ".join(problems))


@dataclass
class Profile:
    size_bytes: int
    op_histogram: dict[str, int]
    inputs: list[TensorInfo]
    outputs: list[TensorInfo]
    latency_ms_mean: float
    latency_ms_p90: float
    runs: int


def profile(
    model: bytes | str | Path,
    inputs: Sequence[np.ndarray] | Mapping[str, np.ndarray],
    runs: int = 50,
    warmup: int = 3,
) -> Profile:
    """Size, op histogram, tensors and latency (mean, p90) in the LiteRT interpreter."""
    content = bytes(model) if isinstance(model, (bytes, bytearray)) else Path(model).read_bytes()
    histogram = op_histogram(content)
    interpreter = load_interpreter(content)
    for _ in range(warmup):
        run(content, inputs, interpreter)
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        run(content, inputs, interpreter)
        timings.append((time.perf_counter() - start) * 1000.0)
    timings.sort()
    p90 = timings[min(len(timings) - 1, round(0.9 * (len(timings) - 1)))]
    return Profile(
        size_bytes=len(content),
        op_histogram=histogram,
        inputs=_tensor_infos(interpreter, "inputs"),
        outputs=_tensor_infos(interpreter, "outputs"),
        latency_ms_mean=statistics.fmean(timings),
        latency_ms_p90=p90,
        runs=runs,
    )


def op_histogram(model: bytes | str | Path) -> dict[str, int]:
    """LiteRT ops of the model as written (before the default CPU delegate claims them)."""
    content = bytes(model) if isinstance(model, (bytes, bytearray)) else Path(model).read_bytes()
    plain = Interpreter(
        model_content=content,
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    return dict(Counter(op["op_name"] for op in plain._get_ops_details()).most_common())


def _tensor_infos(interpreter: Interpreter, kind: str) -> list[TensorInfo]:
    signatures = interpreter.get_signature_list()
    if signatures:
        key = next(iter(signatures))
        runner = interpreter.get_signature_runner(key)
        details = runner.get_input_details() if kind == "inputs" else runner.get_output_details()
        order = signatures[key][kind]
        return [
            TensorInfo(name, [int(d) for d in details[name]["shape"]], np.dtype(details[name]["dtype"]).name)
            for name in order
        ]
    raw = interpreter.get_input_details() if kind == "inputs" else interpreter.get_output_details()
    return [TensorInfo(d["name"], [int(x) for x in d["shape"]], np.dtype(d["dtype"]).name) for d in raw]


def _umask() -> int:
    """The process's umask (read by setting it and putting it back: the worker runs one job
    at a time, so nothing else creates files meanwhile)."""
    current = os.umask(0o022)
    os.umask(current)
    return current


def write_atomically(data: bytes, target: str | Path, owner: str = "") -> Path:
    """Write `data` to `target` via a temp file in the same folder and a rename, so a failure
    or a kill at any point leaves either the old file or the complete new one. `owner` (the
    job's token) is part of the temp file's name, so a cleanup can tell its own files apart."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{target.name}.{owner}." if owner else f".{target.name}."
    fd, temp = tempfile.mkstemp(prefix=prefix, suffix=".partial", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes the file private (0600); the .tflite gets the mode any new file would.
        os.chmod(temp, 0o666 & ~_umask())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    return target
