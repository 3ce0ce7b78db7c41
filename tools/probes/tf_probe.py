"""Measure one TensorFlow / Keras entry point with the real converter and the real runtime.

Worker-only: imports tensorflow, keras, numpy and ai-edge-litert. For each call variant it
traces a `tf.function` with a fixed input signature (or builds a one-layer Keras model),
converts with builtins only, then with Select TF ops if that fails, runs builtin results in
the LiteRT interpreter against TF eager, and asks TF's model analyzer about the GPU delegate.
"""

from __future__ import annotations

import contextlib
import io
import re
import zlib
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np
import tensorflow as tf

from tools.probes import tf_inventory, tf_keras_recipes, tf_recipes
from tools.probes.tf_recipes import L, T, V

# Elementwise tolerance for "the LiteRT numbers match TF eager" (numpy.allclose rule).
ATOL = 1e-3
RTOL = 1e-3
# Graph ops that carry no computation; left out of the recorded TF op list.
_PLUMBING = frozenset({"Placeholder", "Identity", "NoOp", "Const", "IdentityN"})
# TF op types that sample random numbers (RandomUniform, StatelessRandomUniformV2, Multinomial, ...).
_RANDOM_OP = re.compile(r"Random|Multinomial|Shuffle|TruncatedNormal")


@lru_cache(maxsize=1)
def _inventory() -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in tf_inventory.inventory()}


@lru_cache(maxsize=1)
def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in ("tensorflow-cpu", "tensorflow", "keras", "ai-edge-litert"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            continue
    return found


def probe(name: str) -> dict[str, Any]:
    """The knowledge-base entry for one canonical name (see compat/__init__ for the shape)."""
    row = _inventory().get(name)
    if row is None:
        return {"name": name, "skipped": "not exported by the installed TensorFlow / Keras"}
    entry: dict[str, Any] = {
        "framework": "tensorflow",
        "name": name,
        "kind": row["kind"],
        "aliases": row["aliases"],
        "params": row["params"],
    }
    obj = tf_inventory.resolve(name)
    measured = _probe_layer(name) if row["kind"] == "layer" else _probe_function(name, obj)
    if not measured:
        entry["skipped"] = "no recipe and no generic argument pattern is accepted by TensorFlow eagerly"
        return entry
    return _summarize(entry, measured)


# ---- inputs -------------------------------------------------------------------------------


def make_value(spec: T, rng: np.random.Generator) -> np.ndarray:
    """Deterministic probe data that stays inside the domain of the op family."""
    shape = spec.shape
    fill = spec.fill
    if fill in ("png", "jpeg"):
        pixels = tf.constant(rng.integers(0, 256, size=(8, 8, 3)).astype(np.uint8))
        encoded = tf.io.encode_png(pixels) if fill == "png" else tf.io.encode_jpeg(pixels)
        return np.array(encoded.numpy(), dtype=object).reshape(shape)
    if fill == "text" or spec.dtype == "string":
        words = ["ab", "cd", "ef", "a,b", "xyz", "b"] if fill != "digits" else ["1", "2.5", "30", "4"]
        flat = [words[i % len(words)].encode() for i in rng.integers(0, 64, size=int(np.prod(shape)))]
        return np.array(flat, dtype=object).reshape(shape)
    if fill == "bool":
        return rng.random(shape) > 0.5
    if fill == "perm":
        return rng.permutation(int(np.prod(shape))).reshape(shape).astype(spec.dtype)
    if fill.startswith(("index:", "sorted_index:")):
        high = int(fill.split(":")[1])
        values = rng.integers(0, high, size=shape)
        if fill.startswith("sorted"):
            values = np.sort(values, axis=-1)
            values[..., 0] = 0
        return values.astype(spec.dtype)
    if fill.startswith(("lengths:", "splits:")):
        # Row partitions of a ragged tensor over N values: lengths sum to N, splits run 0..N.
        total = int(fill.split(":")[1])
        rows = shape[0] if fill.startswith("lengths") else shape[0] - 1
        cuts = np.sort(rng.integers(0, total + 1, size=rows - 1))
        splits = np.concatenate([[0], cuts, [total]])
        return (np.diff(splits) if fill.startswith("lengths") else splits).astype(spec.dtype)
    if fill == "int":
        return rng.integers(1, 6, size=shape).astype(spec.dtype)
    if fill == "codepoint":
        return rng.integers(97, 123, size=shape).astype(spec.dtype)
    if fill == "spd":
        a = rng.uniform(-1, 1, size=shape)
        n = shape[-1]
        value = a @ np.swapaxes(a, -1, -2) + n * np.eye(n)
        return value.astype(spec.dtype)
    if fill == "lower":
        a = np.tril(rng.uniform(0.1, 0.9, size=shape)) + np.eye(shape[-1])
        return a.astype(spec.dtype)
    if fill == "sorted":
        return np.sort(rng.uniform(0.05, 0.95, size=shape), axis=-1).astype(spec.dtype)
    low, high = (-2.0, 2.0) if fill == "signed" else (0.0, 1.0) if fill == "image" else (0.1, 0.9)
    if spec.dtype.startswith("complex"):
        return (rng.uniform(low, high, size=shape) + 1j * rng.uniform(low, high, size=shape)).astype(spec.dtype)
    if spec.dtype.startswith(("int", "uint")):
        return rng.integers(1, 6, size=shape).astype(spec.dtype)
    return rng.uniform(low, high, size=shape).astype(spec.dtype)


def _rng(name: str, label: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(f"{name}|{label}".encode()))


def _outputs(result: Any) -> list[Any]:
    """The tensors of an op's result (tuples, namedtuples, ragged and sparse flattened)."""
    flat = tf.nest.flatten(result, expand_composites=True)
    return [t for t in flat if isinstance(t, (tf.Tensor, np.ndarray)) or tf.is_tensor(t)]


def _substitute(value: Any, tensors: list[Any], position: list[int]) -> Any:
    """Replace T placeholders (also inside lists) by the next tensor, in order."""
    if isinstance(value, T):
        tensor = tensors[position[0]]
        position[0] += 1
        return tensor
    if isinstance(value, list):
        return [_substitute(item, tensors, position) for item in value]
    return value


def _specs_in(variant: V) -> list[T]:
    found: list[T] = []

    def walk(value: Any) -> None:
        if isinstance(value, T):
            found.append(value)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for arg in variant.args:
        walk(arg)
    for arg in variant.kwargs.values():
        walk(arg)
    return found


def _caller(op: Callable[..., Any], variant: V) -> Callable[..., list[Any]]:
    def body(*tensors: Any) -> list[Any]:
        if variant.call is not None:
            return _outputs(variant.call(op, *tensors))
        position = [0]
        args = [_substitute(a, list(tensors), position) for a in variant.args]
        kwargs = {k: _substitute(w, list(tensors), position) for k, w in variant.kwargs.items()}
        return _outputs(op(*args, **kwargs))

    return body


def _accepts(op: Callable[..., Any], variant: V, name: str) -> bool:
    """Does TensorFlow run this call eagerly and return at least one tensor?"""
    specs = _specs_in(variant)
    rng = _rng(name, variant.describe())
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            values = [tf.constant(make_value(s, rng), dtype=s.dtype) for s in specs]
            return bool(_caller(op, variant)(*values))
    except Exception:  # noqa: BLE001 - any rejection means "not this pattern"
        return False


# ---- functions ----------------------------------------------------------------------------


def _function_variants(name: str, op: Callable[..., Any]) -> list[V]:
    recipes = {**tf_recipes.FUNCTIONS, **tf_keras_recipes.FUNCTIONS}
    if name in recipes:
        return list(recipes[name])
    namespace = name.rsplit(".", 1)[0]
    if namespace in tf_keras_recipes.GENERIC_BY_NAMESPACE:
        patterns = tf_keras_recipes.GENERIC_BY_NAMESPACE[namespace]
    else:
        patterns = tf_recipes.GENERIC_BY_NAMESPACE.get(namespace, []) + tf_recipes.GENERIC
    chosen: list[V] = []
    for pattern in patterns:
        if _accepts(op, pattern, name):
            chosen.append(pattern)
            break
    along_axis = tf_keras_recipes.axis_variant(_inventory()[name]["params"], chosen[0]) if chosen else None
    if along_axis is not None and _accepts(op, along_axis, name):
        chosen.append(along_axis)
    if chosen and any(s.dtype == "float32" for s in _specs_in(chosen[0])):
        # The same call on int32 shows dtype-dependent support (many kernels are float-only).
        as_int = V(tuple(_to_int(a) for a in chosen[0].args), {})
        if _accepts(op, as_int, name):
            chosen.append(as_int)
    return chosen


def _to_int(value: Any) -> Any:
    if isinstance(value, T) and value.dtype == "float32":
        return T(value.shape, "int32", "int")
    return value


def _probe_function(name: str, op: Callable[..., Any]) -> list[dict[str, Any]]:
    results = []
    for variant in _function_variants(name, op):
        if not _accepts(op, variant, name):
            continue  # an explicit recipe TF itself rejects says nothing about LiteRT
        results.append(dict(_measure_function(name, op, variant), operands="input"))
    if results and results[0]["status"] != "builtin":
        # The converter folds an op whose operands are all constants (Gemma3n's ops.erfinv on a
        # literal converts with builtins while the same op on an input does not): measure that too.
        first = next(v for v in _function_variants(name, op) if _accepts(op, v, name))
        folded = _measure_constant(name, op, first)
        if folded is not None:
            results.append(folded)
    return results


def _measure_constant(name: str, op: Callable[..., Any], variant: V) -> dict[str, Any] | None:
    """The same call with every tensor operand a constant of the graph (the model input is unused)."""
    specs = _specs_in(variant)
    if not specs or any(s.dtype == "string" for s in specs):
        return None
    label = f"{variant.describe()} (constant operands)"
    rng = _rng(name, variant.describe())
    values = [make_value(s, rng) for s in specs]
    body = _caller(op, variant)

    def folded(unused: Any) -> list[Any]:
        return body(*[tf.constant(x, dtype=s.dtype) for x, s in zip(values, specs)])

    record: dict[str, Any] = {"label": label, "args": [s.describe() for s in specs],
                              "kwargs": variant.literal_kwargs(), "rank": len(specs[0].shape),
                              "dtype": specs[0].dtype, "operands": "constant"}
    dummy = np.zeros((1,), np.float32)
    try:
        expected = [np.asarray(t) for t in folded(dummy)]
        random = not _same(expected, [np.asarray(t) for t in folded(dummy)])
    except Exception as error:  # noqa: BLE001 - graphs reject what eager accepts (Python values)
        return _untraceable(record, error)
    return _trace_and_measure(record, name, folded, [tf.TensorSpec((1,), tf.float32)], [dummy], expected, random)


def _converter_for(concrete: Any) -> Callable[[bool], Any]:
    """A TFLiteConverter of `concrete`, builtins only or with Select TF ops."""

    def converter(flex: bool) -> Any:
        conv = tf.lite.TFLiteConverter.from_concrete_functions([concrete], tf.Module())
        if flex:
            conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]
        return conv

    return converter


def _autograph(name: str) -> bool:
    """keras.ops run inside a Keras model's traced call, which Keras converts with autograph."""
    return name.startswith("keras.")


def _measure_function(name: str, op: Callable[..., Any], variant: V) -> dict[str, Any]:
    specs = _specs_in(variant)
    label = variant.describe()
    rng = _rng(name, label)
    values = [make_value(s, rng) for s in specs]
    body = _caller(op, variant)
    record: dict[str, Any] = {"label": label, "args": [s.describe() for s in specs],
                              "kwargs": variant.literal_kwargs(),
                              "rank": len(specs[0].shape) if specs else None,
                              "dtype": specs[0].dtype if specs else None}
    tensors = [tf.constant(x, dtype=s.dtype) for x, s in zip(values, specs)]
    expected = [np.asarray(t) for t in body(*tensors)]
    # A second eager call tells random ops (whose outputs cannot be compared) from the rest.
    random = not _same(expected, [np.asarray(t) for t in body(*tensors)])
    signature = [tf.TensorSpec(s.shape, s.dtype) for s in specs]
    return _trace_and_measure(record, name, body, signature, values, expected, random)


def _untraceable(record: dict[str, Any], error: BaseException) -> dict[str, Any]:
    record.update(status="unsupported", layer="export", reason="cannot be traced into a tf.function",
                  error=_first_line(error))
    return record


def _trace_and_measure(record: dict[str, Any], name: str, body: Callable[..., list[Any]], signature: list[Any],
                       values: list[np.ndarray], expected: list[np.ndarray], random: bool) -> dict[str, Any]:
    """Trace `body` into a concrete function with `signature`, then convert, run and compare it:
    the one path of function probes, whether the operands are model inputs or constants."""
    try:
        concrete = tf.function(body, input_signature=signature, autograph=_autograph(name)).get_concrete_function()
    except Exception as error:  # noqa: BLE001 - graphs reject what eager accepts (Python values)
        return _untraceable(record, error)
    record["tf_ops"] = sorted({o.type for o in concrete.graph.get_operations()} - _PLUMBING)
    # Two equal eager calls can still be random (a coin flip that came out the same): the graph says.
    random = random or any(_RANDOM_OP.search(op) for op in record["tf_ops"])
    record.update(_convert_and_check(_converter_for(concrete), values, expected, random=random))
    return record


# ---- layers -------------------------------------------------------------------------------


def _layer_variants(name: str) -> list[L]:
    if name in tf_recipes.LAYERS:
        return list(tf_recipes.LAYERS[name])
    import keras

    cls = tf_inventory.resolve(name)
    for args, kwargs in tf_recipes.LAYER_CTORS:
        for inputs, as_list in tf_recipes.LAYER_INPUTS:
            def make(_keras: Any, args: tuple = args, kwargs: dict = kwargs) -> Any:
                return cls(*args, **kwargs)

            label = f"{cls.__name__}({', '.join(map(repr, args))}) on {' + '.join(s.describe() for s in inputs)}"
            candidate = L(make, inputs, label, as_list)
            if _layer_accepts(keras, name, candidate):
                return [candidate]
    return []


def _layer_call(keras: Any, name: str, recipe: L) -> tuple[Any, list[np.ndarray], list[np.ndarray]]:
    """Build the layer, call it eagerly; returns (model, input values, eager outputs)."""
    keras.utils.set_random_seed(zlib.crc32(name.encode()) % (2**31))
    layer = recipe.make(keras)
    rng = _rng(name, recipe.label)
    values = [make_value(s, rng) for s in recipe.inputs]
    tensors = [tf.constant(x, dtype=s.dtype) for x, s in zip(values, recipe.inputs)]
    multi = recipe.as_list or len(tensors) > 1
    if recipe.as_list:
        eager = layer(tensors, training=False, **recipe.call_kwargs)
    elif multi:
        eager = layer(*tensors, training=False, **recipe.call_kwargs)
    else:
        eager = layer(tensors[0], training=False, **recipe.call_kwargs)
    expected = [np.asarray(t) for t in _outputs(eager)]
    _reset_state(layer)
    inputs = [keras.Input(shape=_model_shape(s.shape, recipe.dynamic_axes)[1:],
                          batch_size=None if 0 in recipe.dynamic_axes else s.shape[0], dtype=s.dtype, name=f"in{i}")
              for i, s in enumerate(recipe.inputs)]
    if recipe.as_list:
        symbolic = layer(inputs, **recipe.call_kwargs)
    elif multi:
        symbolic = layer(*inputs, **recipe.call_kwargs)
    else:
        symbolic = layer(inputs[0], **recipe.call_kwargs)
    model = keras.Model(inputs, symbolic)
    return model, values, expected


def _model_shape(shape: tuple[int, ...], unknown: tuple[int, ...]) -> tuple[int | None, ...]:
    return tuple(None if axis in unknown else size for axis, size in enumerate(shape))


def _reset_state(layer: Any) -> None:
    """A stateful RNN keeps the state its eager call ended with, and the converter freezes that
    state into the model; start the converted model from the zero state the eager call had."""
    if getattr(layer, "stateful", False):
        reset = getattr(layer, "reset_state", None) or getattr(layer, "reset_states", None)
        if reset is not None:
            reset()


def _layer_accepts(keras: Any, name: str, recipe: L) -> bool:
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            _, _, expected = _layer_call(keras, name, recipe)
        return bool(expected)
    except Exception:  # noqa: BLE001 - any rejection means "not this build"
        return False


def _probe_layer(name: str) -> list[dict[str, Any]]:
    import keras

    results = []
    for recipe in _layer_variants(name):
        record: dict[str, Any] = {"label": recipe.label, "args": [s.describe() for s in recipe.inputs],
                                  "kwargs": _literal_options(recipe), "rank": len(recipe.inputs[0].shape),
                                  "dtype": recipe.inputs[0].dtype}
        if recipe.dynamic_axes:
            record["dynamic_axes"] = list(recipe.dynamic_axes)
        try:
            model, values, expected = _layer_call(keras, name, recipe)
            _, _, again = _layer_call(keras, name, recipe)
        except Exception:  # noqa: BLE001, S112 - Keras itself rejects this build: not a LiteRT fact
            continue

        def converter(flex: bool, model: Any = model) -> Any:
            return _keras_converter(model, flex)

        record.update(_convert_and_check(converter, values, expected, names=[f"in{i}" for i in range(len(values))],
                                         random=not _same(expected, again)))
        results.append(record)
    return results


def _literal_options(recipe: L) -> dict[str, Any]:
    """The constructor keywords this build varies, as JSON literals (tuples become lists)."""
    options = getattr(recipe.make, "options", None) or {}
    return {k: list(w) if isinstance(w, tuple) else w for k, w in options.items()
            if isinstance(w, (int, float, str, bool, type(None), list, tuple))}


def _keras_converter(model: Any, flex: bool) -> Any:
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    if flex:
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]
    return conv


# ---- conversion, run, compare ---------------------------------------------------------------


def _ops_of(histogram: dict[str, int], model: bytes | None = None) -> dict[str, Any]:
    """LiteRT op names (Flex ops appear as custom ops named Flex<TfOp>) and the main graph's counts.

    The runtime's histogram sees only the main subgraph; ops inside IF / WHILE branches (a Flex
    kernel in a loop body, say) are read from the flatbuffer and added to the names."""
    names = set(histogram) | (_subgraph_ops(model) if model is not None else set())
    return {"tflite_ops": sorted(names), "tflite_op_counts": histogram}


def _subgraph_ops(model: bytes) -> set[str]:
    """Every op name in every subgraph of a .tflite flatbuffer (builtins by enum name, custom by code)."""
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    parsed = flatbuffer_utils.convert_bytearray_to_object(bytearray(model))
    builtin_names = {code: name for name, code in vars(schema.BuiltinOperator).items() if not name.startswith("_")}
    codes = []
    for opcode in parsed.operatorCodes or []:
        code = max(opcode.builtinCode, opcode.deprecatedBuiltinCode)  # the schema's two-field rule
        if code == schema.BuiltinOperator.CUSTOM:
            custom = opcode.customCode
            codes.append(custom.decode() if isinstance(custom, bytes) else str(custom))
        else:
            codes.append(builtin_names.get(code, str(code)))
    return {codes[op.opcodeIndex] for graph in parsed.subgraphs or [] for op in graph.operators or []}


def _same(first: list[np.ndarray], second: list[np.ndarray]) -> bool:
    return len(first) == len(second) and all(
        a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
        for a, b in zip(first, second)
    )


def _convert_and_check(converter: Callable[[bool], Any], values: list[np.ndarray],
                       expected: list[np.ndarray], names: list[str] | None = None,
                       random: bool = False) -> dict[str, Any]:
    """Builtins first, Select TF ops second; run and compare builtin results."""
    from litert_lsp.worker import runtime

    try:
        with contextlib.redirect_stderr(io.StringIO()):
            model = converter(False).convert()
    except Exception as builtin_error:  # noqa: BLE001 - every converter failure is a result
        result: dict[str, Any] = {"error": _converter_message(builtin_error),
                                  "error_codes": _error_codes(builtin_error),
                                  "missing_ops": _missing_ops(builtin_error)}
        try:
            with contextlib.redirect_stderr(io.StringIO()):
                flex_model = converter(True).convert()
        except Exception as flex_error:  # noqa: BLE001 - every converter failure is a result
            result.update(status="unsupported", layer="lowering",
                          reason=_unsupported_reason(flex_error), error=_converter_message(flex_error),
                          error_codes=sorted(set(result["error_codes"]) | set(_error_codes(flex_error))))
            return result
        result.update(status="select_tf_ops", layer=None,
                      reason="needs Select TF ops (Flex): " + (", ".join(result["missing_ops"]) or "see error"),
                      **_ops_of(runtime.op_histogram(flex_model), flex_model))
        return result
    result = {"status": "builtin", "layer": None, "reason": None, "error": None,
              **_ops_of(runtime.op_histogram(model), model), "gpu_compatible": gpu_compatible(model)}
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            feed = dict(zip(names, values)) if names else values
            actual = _run(model, feed)
    except Exception as error:  # noqa: BLE001 - the runtime's refusal is the measurement
        result.update(status="unsupported", layer="runtime", reason="the LiteRT runtime cannot run the converted op",
                      error=_first_line(error))
        return result
    if random:
        result.update(max_abs_error=None, max_rel_error=None, random=True,
                      reason="random op: converts and runs in LiteRT; its outputs are random, so not compared")
        return result
    comparison = _compare(actual, expected)
    result.update(max_abs_error=comparison[0], max_rel_error=comparison[1])
    if not comparison[2]:
        result.update(status="unsupported", layer="numerics",
                      reason=f"wrong numbers: LiteRT disagrees with TF eager ({comparison[3]})")
    return result


def _run(model: bytes, feed: list[np.ndarray] | dict[str, np.ndarray]) -> list[np.ndarray]:
    """Run the default signature. Inputs are passed as they are: scalars must stay 0-d (np.ascontiguousarray,
    as used by export.runtime.run, turns them into shape [1] and the RANGE kernel then refuses them)."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=model)
    interpreter.allocate_tensors()
    signatures = interpreter.get_signature_list()
    key = next(iter(signatures))
    if isinstance(feed, list):
        # tf.function names varargs inputs xs_0, xs_1, ...: match them by number, not text order.
        names = sorted(signatures[key]["inputs"], key=_trailing_number)
        feed = dict(zip(names, feed))
    runner = interpreter.get_signature_runner(key)
    result = runner(**{k: np.require(v, requirements="C") for k, v in feed.items()})
    return [np.asarray(result[name]) for name in signatures[key]["outputs"]]


def _trailing_number(name: str) -> int:
    tail = name.rsplit("_", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _compare(actual: list[np.ndarray], expected: list[np.ndarray]) -> tuple[float | None, float | None, bool, str]:
    """(max abs error, max rel error, matches, detail) over all outputs."""
    if len(actual) != len(expected):
        return None, None, False, f"{len(actual)} outputs instead of {len(expected)}"
    worst_abs = worst_rel = 0.0
    for index, (a, e) in enumerate(zip(actual, expected)):
        a, e = np.asarray(a), np.asarray(e)
        if a.shape != e.shape:
            return None, None, False, f"output {index} has shape {list(a.shape)} instead of {list(e.shape)}"
        if a.size == 0:
            continue
        if e.dtype.kind in "OSU" or a.dtype.kind in "OSU":
            if not np.array_equal(a.astype(object), e.astype(object)):
                return None, None, False, f"output {index} differs"
            continue
        if e.dtype.kind == "c":
            a = np.stack([a.real, a.imag])
            e = np.stack([e.real, e.imag])
        a64, e64 = a.astype(np.float64), e.astype(np.float64)
        diff = np.abs(a64 - e64)
        finite = np.isfinite(diff)
        if finite.any():
            worst_abs = max(worst_abs, float(diff[finite].max()))
            worst_rel = max(worst_rel, float((diff[finite] / np.maximum(np.abs(e64[finite]), 1e-12)).max()))
        if not np.allclose(a64, e64, atol=ATOL, rtol=RTOL, equal_nan=True):
            return worst_abs, worst_rel, False, f"output {index}: max abs error {worst_abs:.3g}"
    return worst_abs, worst_rel, True, ""


def gpu_compatible(model: bytes) -> bool | None:
    """TF's own model analyzer, asked about the GPU delegate; None when its check says nothing."""
    if not gpu_check_informative():
        return None
    return _analyzer_gpu_verdict(model)


@lru_cache(maxsize=1)
def gpu_check_informative() -> bool:
    """Does the installed analyzer's GPU check reject anything at all?

    It is asked about a model made of a WHILE loop and NON_MAX_SUPPRESSION_V4, ops the GPU
    delegate does not implement. In TF 2.21 it calls that model (and every other) compatible,
    so its verdicts carry no information and the knowledge base records null, not a false "yes".
    """
    def calibration(boxes: Any, scores: Any) -> Any:
        picked = tf.image.non_max_suppression(boxes, scores, 3)
        return tf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y * 2.0), (0, scores))[1], picked

    function = tf.function(calibration, autograph=False,
                           input_signature=[tf.TensorSpec([6, 4]), tf.TensorSpec([6])])
    model = tf.lite.TFLiteConverter.from_concrete_functions(
        [function.get_concrete_function()], tf.Module()).convert()
    return _analyzer_gpu_verdict(model) is False


def _analyzer_gpu_verdict(model: bytes) -> bool | None:
    report = io.StringIO()
    try:
        with contextlib.redirect_stdout(report), contextlib.redirect_stderr(io.StringIO()):
            tf.lite.experimental.Analyzer.analyze(model_content=model, gpu_compatibility=True)
    except Exception:  # noqa: BLE001 - an analyzer failure means "unknown"
        return None
    text = report.getvalue()
    if "GPU COMPATIBILITY WARNING" in text or "not supported by TFLite GPU" in text:
        return False
    if "looks compatible with GPU delegate" in text:
        return True
    return None


# ---- converter errors ---------------------------------------------------------------------------


def _error_codes(error: BaseException) -> list[str]:
    from tensorflow.compiler.mlir.lite.metrics import converter_error_data_pb2 as pb

    codes = set()
    for record in getattr(error, "errors", None) or ():
        code = getattr(record, "error_code", 0)
        if code:
            codes.add(pb.ConverterErrorData.ErrorCode.Name(code))
    return sorted(codes)


def _missing_ops(error: BaseException) -> list[str]:
    ops = set()
    for record in getattr(error, "errors", None) or ():
        if record.HasField("operator") and record.operator.name:
            ops.add(record.operator.name)
    return sorted(ops)


def _converter_message(error: BaseException) -> str:
    """The first meaningful line: the structured record's message, else the text after 'error:'."""
    for record in getattr(error, "errors", None) or ():
        message = (record.error_message or "").strip().splitlines()
        if message:
            return message[0][:300]
    text = str(error)
    if "error: " in text:
        text = text.split("error: ", 1)[1]
    return _first_line(text)


def _unsupported_reason(error: BaseException) -> str:
    ops = _missing_ops(error)
    if ops:
        return "no LiteRT builtin and no Flex kernel for " + ", ".join(ops)
    return "the converter rejects it even with Select TF ops"


def _first_line(error: BaseException | str) -> str:
    text = str(error).strip()
    if isinstance(error, BaseException) and not text:
        return type(error).__name__
    return (text.splitlines() or [""])[0][:300]


# ---- entry -----------------------------------------------------------------------------------


def _summarize(entry: dict[str, Any], variants: list[dict[str, Any]]) -> dict[str, Any]:
    """The entry takes its status from the first (typical) call; the others are variants."""
    primary = variants[0]
    for key in ("status", "layer", "reason", "error", "error_codes", "tf_ops", "tflite_ops",
                "tflite_op_counts", "gpu_compatible", "max_abs_error", "max_rel_error"):
        entry[key] = primary.get(key)
    for key in ("tf_ops", "tflite_ops"):
        entry[key] = entry[key] or []
    statuses = {v["status"] for v in variants}
    if len(statuses) > 1:
        entry["condition"] = "; ".join(f"{v['status']} for {v['label']}" for v in variants)
    else:
        entry["condition"] = None
    entry["variants"] = variants
    entry["rewrite"] = None
    entry["gpu_check"] = "analyzer" if gpu_check_informative() else "uninformative"
    entry["versions"] = versions()
    return entry
