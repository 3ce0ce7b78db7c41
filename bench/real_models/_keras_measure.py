"""One Keras model's truth, measured in this (child) process: build, call, convert, run, compare.

Run as `python -m bench.real_models._keras_measure ID WORKDIR` by `truth_keras`. It writes
`WORKDIR/stage` before each stage (so the parent can tell where a crash or hang happened),
`WORKDIR/executed.json` once the eager call is done and `WORKDIR/result.json` at the end.
Conversion follows shared/guides/truth.md: `keras.export.ExportArchive` -> SavedModel ->
`TFLiteConverter.from_saved_model`, builtins first, then with Select TF ops.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import coverage

from bench.real_models import _keras_errors
from bench.real_models.line_sets import encode as compress
from bench.real_models.torchvision_shim import activate_bench_libs

# The library files whose lines are recorded, relative to site-packages.
LIBRARY_DIRS = ("keras/src/", "keras_hub/src/", "bench/real_models/keras_user/")
REPOSITORY = str(Path(__file__).resolve().parents[2]) + os.sep  # holds the user-style models

# The project's verification rule (litert_lsp/jobs/job.py defaults, used by worker/verify.py):
# numpy.allclose with atol 1e-4 and rtol 1e-3. The absolute part is scaled by the output's
# scale so a random-weight net whose outputs are near 1e3 is judged relative to it.
ATOL = 1e-4
RTOL = 1e-3


def _stage(workdir: Path, name: str) -> None:
    (workdir / "stage").write_text(name)


def _library_roots() -> list[str]:
    """The folders holding keras and keras_hub (site-packages, or the suites' own
    .venv/bench-libs for keras-hub), each ending in a separator; recorded paths are relative
    to them."""
    import keras
    import keras_hub

    found = [str(Path(m.__file__).resolve().parent.parent) + os.sep for m in (keras, keras_hub)]
    return list(dict.fromkeys([*found, REPOSITORY]))


def _executed(cov: coverage.Coverage, roots: list[str]) -> dict[str, str]:
    """Statement lines each library file executed (coverage's own statement analysis, so a
    multi-line statement counts once, at its first line)."""
    out: dict[str, str] = {}
    data = cov.get_data()
    for path in sorted(data.measured_files()):
        root = next((r for r in roots if path.startswith(r)), None)
        rel = path[len(root):] if root else None
        if not rel or not rel.startswith(LIBRARY_DIRS):
            continue
        try:
            _, statements, _, missing, _ = cov.analysis2(path)
        except Exception:  # noqa: BLE001 - a file coverage cannot parse: keep its raw lines
            ran = sorted(data.lines(path) or [])
        else:
            ran = sorted(set(statements) - set(missing))
        if ran:
            out[rel] = compress(ran)
    return out


def _flatten(outputs: Any) -> list[Any]:
    import keras

    return [keras.ops.convert_to_numpy(t) for t in keras.tree.flatten(outputs)]


def _export(built: Any, directory: Path) -> None:
    import keras
    import tensorflow as tf

    names = list(built.inputs)
    model = built.model

    def serve(*args: Any) -> dict[str, Any]:
        feed = args[0] if built.single else dict(zip(names, args))
        flat = keras.tree.flatten(model(feed, training=False))
        return {f"out_{i:02d}": t for i, t in enumerate(flat)}

    specs = [tf.TensorSpec(v.shape, tf.string if v.dtype == object else v.dtype, name=f"in_{i:02d}")
             for i, v in enumerate(built.inputs.values())]
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(name="serve", fn=serve, input_signature=specs)
    archive.write_out(str(directory), verbose=False)


def _convert(saved: Path, select_tf_ops: bool) -> bytes:
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved), signature_keys=["serve"])
    if select_tf_ops:
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]
    return converter.convert()


def _run(content: bytes, inputs: dict[str, Any]) -> list[Any]:
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=content)
    runner = interpreter.get_signature_runner("serve")
    declared = runner.get_input_details()
    feed = {}
    for i, value in enumerate(inputs.values()):
        name = f"in_{i:02d}"
        dtype = declared[name]["dtype"]
        feed[name] = np.asarray(value) if value.dtype == object else np.asarray(value).astype(dtype)
    result = runner(**feed)
    return [np.asarray(result[k]) for k in sorted(result)]


def compare(actual: list[Any], expected: list[Any]) -> tuple[bool, float]:
    """(within tolerance, max |a - e| / output scale) over all outputs."""
    import numpy as np

    if len(actual) != len(expected):
        return False, float("inf")
    ok, worst = True, 0.0
    for a, e in zip(actual, expected):
        a64, e64 = np.asarray(a, dtype=np.float64), np.asarray(e, dtype=np.float64)
        if a64.shape != e64.shape:
            return False, float("inf")
        if e64.size == 0:
            continue
        scale = max(float(np.nanmax(np.abs(e64))), 1e-12)
        diff = np.abs(a64 - e64)
        worst = max(worst, float(np.nanmax(diff)) / scale if np.isfinite(diff).all() else float("inf"))
        if np.isnan(a64).any() != np.isnan(e64).any() or not np.allclose(
            a64, e64, atol=ATOL * max(scale, 1.0), rtol=RTOL, equal_nan=True
        ):
            ok = False
    return ok, worst


def measure(model_id: str, workdir: Path) -> dict[str, Any]:
    # keras-hub lives in .venv/bench-libs; only this measuring process puts it on the path
    # (with torchvision there too, an in-process import of transformers would break).
    activate_bench_libs()
    from bench.real_models import catalog_keras

    entry = catalog_keras.by_id()[model_id]
    result: dict[str, Any] = {"status": None, "error": None, "construct": None, "max_rel_error": None}
    # Imported before coverage starts: import-time lines are not the model's.
    import keras
    import keras_hub  # noqa: F401  (for the same reason)
    import tensorflow as tf

    tf.random.set_seed(0)
    keras.utils.set_random_seed(0)
    roots = _library_roots()
    cov = coverage.Coverage(data_file=None, include=[root + d + "*" for root in roots for d in LIBRARY_DIRS])
    _stage(workdir, "build")
    cov.start()
    try:
        built = entry.build()
        _stage(workdir, "call")
        feed = next(iter(built.inputs.values())) if built.single else built.inputs
        expected = _flatten(built.model(feed, training=False))
    except Exception as error:  # noqa: BLE001 - the model's failure is the measurement
        cov.stop()
        return {**result, "status": "build_error", "error": _keras_errors.first_line(error)}
    cov.stop()
    executed = _executed(cov, roots)
    (workdir / "executed.json").write_text(json.dumps(executed))

    with tempfile.TemporaryDirectory(prefix="keras-truth-") as tmp:
        saved = Path(tmp) / "saved"
        _stage(workdir, "export")
        try:
            _export(built, saved)
        except Exception as error:  # noqa: BLE001 - the model's failure is the measurement
            return {**result, "status": "unconvertible", "error": "ExportArchive: " + _keras_errors.first_line(error),
                    "construct": _keras_errors.construct(error)}
        _stage(workdir, "convert")
        try:
            content = _convert(saved, select_tf_ops=False)
        except Exception as builtins_error:  # noqa: BLE001 - the model's failure is the measurement
            _stage(workdir, "convert_flex")
            try:
                flex = _convert(saved, select_tf_ops=True)
            except Exception as flex_error:  # noqa: BLE001 - the model's failure is the measurement
                return {**result, "status": "unconvertible", "error": _keras_errors.first_line(builtins_error),
                        "construct": _keras_errors.construct(builtins_error) or _keras_errors.construct(flex_error)}
            ops = _keras_errors.flex_ops(flex) or _keras_errors.flex_ops_from_error(builtins_error)
            return {**result, "status": "flex", "error": _keras_errors.first_line(builtins_error),
                    "construct": ", ".join(ops) or None}
    _stage(workdir, "runtime")
    try:
        actual = _run(content, built.inputs)
    except Exception as error:  # noqa: BLE001 - the model's failure is the measurement
        return {**result, "status": "runtime", "error": _keras_errors.first_line(error),
                "construct": _keras_errors.construct(error)}
    ok, worst = compare(actual, expected)
    result["max_rel_error"] = worst
    if not ok:
        return {**result, "status": "wrong_numbers",
                "error": f"LiteRT disagrees with Keras: max error {worst:.3g} of the output scale"}
    return {**result, "status": "ok"}


def main(argv: list[str]) -> int:
    model_id, workdir = argv[0], Path(argv[1])
    result = measure(model_id, workdir)
    (workdir / "result.json").write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
