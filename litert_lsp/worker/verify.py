"""Verify a converted model in LiteRT against the framework, profile it, write it atomically.

`tolerances()` is the one rule for how close LiteRT must come to the framework (both exporters
use it); `finish()` runs the last three stages for the PyTorch exporter. Worker-only (numpy,
ai_edge_litert through `runtime`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from litert_lsp.jobs.job import ExportError, ExportRequest, ExportResult, Progress
from litert_lsp.worker import runtime

# Quantized weights cannot match float outputs to 1e-4: the tolerance grows with the output's
# scale (max |expected|) by these fractions. Float16 rounds to ~1e-3 relative per op; int8
# dynamic-range quantization to a few percent; full-integer int8 also rounds every activation
# to 256 levels, so it gets twice that (the report gives the error measured on calibration data).
QUANTIZED_TOLERANCE = {"float16": 1e-2, "int8": 5e-2, "full-int8": 1e-1}

# Latency runs stop early after this many seconds (big models), but never below 5 runs.
PROFILE_BUDGET_SECONDS = 2.0


def tolerances(request: ExportRequest, expected: Sequence[np.ndarray]) -> tuple[float, float]:
    """(atol, rtol) for comparing LiteRT with the framework: the request's, widened for quantized
    weights in proportion to the outputs' scale. Used by every exporter."""
    fraction = QUANTIZED_TOLERANCE.get(request.quantize or "")
    if not fraction:
        return request.atol, request.rtol
    scale = max((float(np.max(np.abs(e))) for e in expected if np.size(e)), default=1.0)
    return max(request.atol, fraction * scale), max(request.rtol, fraction)


def finish(
    content: bytes,
    inputs: Sequence[np.ndarray],
    expected: Sequence[np.ndarray],
    request: ExportRequest,
    progress: Progress,
    details: dict[str, Any],
    framework: str = "PyTorch",
) -> ExportResult:
    """Verify `content` against `expected`, profile it, then (only if it verified) write it."""
    progress("verify", "running the .tflite in the LiteRT runtime", 80.0)
    started = time.perf_counter()
    try:
        interpreter = runtime.load_interpreter(content)
        inputs = _as_model_dtypes(interpreter, inputs)
        actual = runtime.run(content, list(inputs), interpreter)
    except Exception as error:
        raise ExportError(
            "verify",
            f"the converted model does not run in the LiteRT runtime: {_first_line(error)}",
        ) from error
    atol, rtol = tolerances(request, expected)
    comparison = runtime.compare(actual, list(expected), atol, rtol)
    details["tolerance"] = {"atol": atol, "rtol": rtol}
    details.setdefault("seconds", {})["verify"] = round(time.perf_counter() - started, 3)
    if not comparison.ok:
        result = ExportResult(
            ok=False,
            status="mismatch",
            stage="verify",
            message=f"the .tflite runs but disagrees with {framework}: {comparison.detail}",
            max_abs_error=comparison.max_abs_error,
            max_rel_error=comparison.max_rel_error,
            details={**details, "code": "LRT902"},
        )
        return result

    progress("profile", "measuring size, ops and latency", 90.0)
    started = time.perf_counter()
    one = time.perf_counter()
    runtime.run(content, list(inputs), interpreter)
    single = max(time.perf_counter() - one, 1e-6)
    runs = int(min(50, max(5, PROFILE_BUDGET_SECONDS / single)))
    report = runtime.profile(content, list(inputs), runs=runs)
    details["seconds"]["profile"] = round(time.perf_counter() - started, 3)
    details["latency_runs"] = report.runs

    output = None
    if request.write_output:
        target = Path(request.output) if request.output else Path(request.source).with_suffix(".tflite")
        output = str(runtime.write_atomically(content, target, request.job_token))
    return ExportResult(
        ok=True,
        message=(
            f"verified: max abs error {comparison.max_abs_error:.3g}, max rel error "
            f"{comparison.max_rel_error:.3g}" + (f"; written to {output}" if output else "; no file written")
        ),
        output=output,
        size_bytes=report.size_bytes,
        op_histogram=report.op_histogram,
        inputs=report.inputs,
        outputs=report.outputs,
        latency_ms_mean=report.latency_ms_mean,
        latency_ms_p90=report.latency_ms_p90,
        max_abs_error=comparison.max_abs_error,
        max_rel_error=comparison.max_rel_error,
        details=details,
    )


def _as_model_dtypes(interpreter: object, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Converters narrow int64/float64 inputs to 32 bits; feed the model what it declares."""
    declared = runtime._tensor_infos(interpreter, "inputs")
    if len(declared) != len(inputs):
        return list(inputs)
    # A float fed to an integer input is a full-integer model's real value: `runtime.run`
    # quantizes it with the tensor's scale (a plain cast would truncate it).
    return [x if np.issubdtype(np.asarray(x).dtype, np.floating) and np.issubdtype(np.dtype(t.dtype), np.integer)
            else np.asarray(x).astype(t.dtype, copy=False) for x, t in zip(inputs, declared)]


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
