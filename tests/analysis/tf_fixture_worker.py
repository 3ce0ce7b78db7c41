"""Converts TensorFlow fixtures with the real TFLiteConverter; run as a script in a subprocess.

    python tf_fixture_worker.py OUT.json FIXTURE.py [FIXTURE.py ...]

For each fixture: import it, `build()`, convert with LiteRT builtins only, then with Select TF
ops; run a builtins model in ai-edge-litert on `example_inputs()` and compare with TensorFlow.
Every fixture is isolated by try/except; results go to OUT.json as {name: record}.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import sys
import traceback
from pathlib import Path
from typing import Any


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    for line in text.splitlines():
        if "error:" in line:
            return line.split("error:", 1)[1].strip()[:300]
    return f"{type(error).__name__}: {(text.splitlines() or [''])[0][:300]}"


def _load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"tf_fixture_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def _converter(tf: Any, model: Any, flex: bool) -> Any:
    import keras

    if isinstance(model, keras.Model):
        converter = tf.lite.TFLiteConverter.from_keras_model(model)
    else:
        function = model.__call__.get_concrete_function()
        converter = tf.lite.TFLiteConverter.from_concrete_functions([function], model)
    ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if flex:
        ops.append(tf.lite.OpsSet.SELECT_TF_OPS)
    converter.target_spec.supported_ops = ops
    return converter


def _convert(tf: Any, model: Any, flex: bool) -> tuple[bytes | None, str | None]:
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return _converter(tf, model, flex).convert(), None
    except Exception as error:  # noqa: BLE001 - any failure is a result here
        return None, _first_line(error)


def _run(tf: Any, model: Any, content: bytes, inputs: list[Any]) -> dict[str, Any]:
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=content)
    details = sorted(interpreter.get_input_details(), key=lambda d: d["index"])
    for detail, value in zip(details, inputs):
        # A dynamic (None) batch converts as 1: size the inputs to the example's shape.
        if tuple(detail["shape"]) != np.shape(value):
            interpreter.resize_tensor_input(detail["index"], list(np.shape(value)))
    interpreter.allocate_tensors()
    for detail, value in zip(details, inputs):
        interpreter.set_tensor(detail["index"], np.asarray(value, dtype=detail["dtype"]))
    interpreter.invoke()
    got = [interpreter.get_tensor(d["index"]) for d in interpreter.get_output_details()]
    expected = model(*[tf.constant(v) for v in inputs])
    flat = [np.asarray(t) for t in tf.nest.flatten(expected)]
    if len(flat) != len(got):
        return {"runs": True, "matches": False, "why": f"{len(got)} outputs, expected {len(flat)}"}
    worst = 0.0
    # Output order of a converted model can differ from TF's; match each by shape and values.
    for want in flat:
        candidates = [g for g in got if g.shape == want.shape]
        if not candidates:
            return {"runs": True, "matches": False, "why": f"no output of shape {want.shape}"}
        errors = [float(np.max(np.abs(g.astype(np.float64) - want.astype(np.float64)), initial=0.0))
                  for g in candidates]
        worst = max(worst, min(errors))
    return {"runs": True, "matches": worst <= 1e-4, "max_abs_error": worst}


def check(path: Path) -> dict[str, Any]:
    import tensorflow as tf

    record: dict[str, Any] = {}
    try:
        fixture = _load(path)
        with contextlib.redirect_stdout(io.StringIO()):
            model = fixture.build()
        inputs = list(fixture.example_inputs())
    except Exception as error:  # noqa: BLE001 - a model that cannot even be built fails both
        record.update(build=_first_line(error), builtin=None, flex=None)
        return record
    record["build"] = None
    builtin, record["builtin_error"] = _convert(tf, model, flex=False)
    record["builtin"] = builtin is not None
    flex, record["flex_error"] = _convert(tf, model, flex=True)
    record["flex"] = flex is not None
    if builtin is not None:
        try:
            record.update(_run(tf, model, builtin, inputs))
        except Exception as error:  # noqa: BLE001
            record.update(runs=False, matches=False, why=_first_line(error))
    return record


def main(argv: list[str]) -> int:
    out = Path(argv[0])
    results: dict[str, Any] = {}
    for name in argv[1:]:
        path = Path(name)
        try:
            results[path.stem] = check(path)
        except Exception:  # noqa: BLE001 - never lose the other fixtures' results
            results[path.stem] = {"build": traceback.format_exc(limit=2)[-300:], "builtin": None, "flex": None}
        out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
