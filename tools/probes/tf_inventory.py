"""Which TensorFlow / Keras entry points exist: found by introspecting the installed packages.

Runs in a worker (it imports tensorflow and keras). `python -m tools.probes.tf_inventory`
prints the inventory as JSON, so that the parent process can list jobs without importing TF.

Naming follows `analysis.names.canonical_name`: a function exported as both `tf.math.cumsum` and
`tf.cumsum` is named after its most specific namespace (`tf.math.cumsum`) with the other
spellings as aliases; Keras layers are `keras.layers.X` with alias `tf.keras.layers.X`.
"""

from __future__ import annotations

import inspect
import json
import os
import sys
from typing import Any

# keras.ops is probed through the TensorFlow backend (the one LiteRT's TensorFlow converter sees).
os.environ["KERAS_BACKEND"] = "tensorflow"

# Namespaces probed, most specific first: the first one that exports an object names it.
NAMESPACES = ("math", "linalg", "signal", "image", "strings", "nn", "random", "ragged", "")

# Public callables that are not ops a model calls (tracing machinery, I/O, debugging, Python
# escapes handled by dedicated analyzer rules). Calling them with probe tensors is pointless
# or has side effects, so they are never probed.
NOT_OPS = frozenset({
    "function", "py_function", "numpy_function", "load_library", "load_op_library", "print",
    "executing_eagerly", "init_scope", "device", "name_scope", "control_dependencies",
    "get_logger", "get_static_value", "is_tensor", "is_symbolic_tensor", "inside_function",
    "no_gradient", "custom_gradient", "recompute_grad", "grad_pass_through", "gradients",
    "hessians", "register_tensor_conversion_function",
    "get_current_name_scope", "Assert", "assert_equal", "assert_greater", "assert_less",
    "assert_rank", "debugging", "make_ndarray", "make_tensor_proto", "group", "tuple",
    "autograph", "py_func", "no_op", "timestamp", "as_dtype", "check_pinned", "import_graph_def",
    "type_spec_from_value", "variable_creator_scope", "nondifferentiable_batch_function",
    "broadcast_static_shape", "set_seed", "get_global_generator", "set_global_generator", "create_rng_state",
})

# What a model does with a `tf.RaggedTensor`: its constructors (classmethods) and the methods
# that move between ragged and dense. Pure accessors of Python-side structure (`to_list`,
# `numpy`, `get_shape`) are not graph ops.
RAGGED_METHODS = (
    "from_row_lengths", "from_row_splits", "from_row_starts", "from_row_limits", "from_value_rowids",
    "from_uniform_row_length", "from_nested_row_lengths", "from_nested_row_splits", "from_nested_value_rowids",
    "from_tensor", "from_sparse", "to_tensor", "to_sparse", "merge_dims", "bounding_shape", "row_lengths",
    "nested_row_lengths", "value_rowids", "row_starts", "row_limits", "nrows", "with_values",
    "with_flat_values", "with_row_splits_dtype",
)


def function_table() -> list[dict[str, Any]]:
    """[{name, aliases, kind: "function", params}] for every public TF function in NAMESPACES."""
    import tensorflow as tf

    seen: dict[int, dict[str, Any]] = {}
    order: list[int] = []
    for namespace in NAMESPACES:
        module = getattr(tf, namespace) if namespace else tf
        prefix = f"tf.{namespace}." if namespace else "tf."
        for attr in sorted(dir(module)):
            if attr.startswith("_") or attr in NOT_OPS:
                continue
            obj = getattr(module, attr, None)
            if obj is None or inspect.isclass(obj) or inspect.ismodule(obj) or not callable(obj):
                continue
            key = id(obj)
            if key not in seen:
                seen[key] = {"name": prefix + attr, "aliases": [], "kind": "function",
                             "params": _params(obj)}
                order.append(key)
            elif prefix + attr != seen[key]["name"]:
                seen[key]["aliases"].append(prefix + attr)
            # Every other public spelling TF exports the object under (tf.cumsum, ...).
            for api_name in getattr(obj, "_tf_api_names", ()) or ():
                spelled = "tf." + api_name
                if spelled != seen[key]["name"] and spelled not in seen[key]["aliases"]:
                    seen[key]["aliases"].append(spelled)
    return [seen[key] for key in order]


def layer_table() -> list[dict[str, Any]]:
    """[{name, aliases, kind: "layer", params}] for every public Keras layer class."""
    import keras

    by_class: dict[type, list[str]] = {}
    for attr in sorted(dir(keras.layers)):
        obj = getattr(keras.layers, attr, None)
        if attr.startswith("_") or not inspect.isclass(obj):
            continue
        if not issubclass(obj, keras.layers.Layer) or obj in (keras.layers.Layer, keras.layers.InputLayer):
            continue
        by_class.setdefault(obj, []).append(attr)
    table = []
    for cls, names in by_class.items():
        canonical = cls.__name__ if cls.__name__ in names else names[0]
        others = [n for n in names if n != canonical]
        aliases = [f"tf.keras.layers.{canonical}"]
        for other in others:
            aliases += [f"keras.layers.{other}", f"tf.keras.layers.{other}"]
        table.append({"name": f"keras.layers.{canonical}", "aliases": aliases, "kind": "layer",
                      "params": _params(cls.__init__)[1:]})
    table.sort(key=lambda row: row["name"])
    return table


def method_table() -> list[dict[str, Any]]:
    """[{name, aliases, kind: "method", params}] for the `tf.RaggedTensor` methods a model uses."""
    import tensorflow as tf

    table = []
    for attr in RAGGED_METHODS:
        obj = getattr(tf.RaggedTensor, attr, None)
        if obj is None:
            continue
        params = _params(obj)
        if params and params[0] in ("self", "cls"):
            params = params[1:]  # the analyzer sees `tf.RaggedTensor.from_x(a, b)` or `rt.to_tensor(a)`
        table.append({"name": f"tf.RaggedTensor.{attr}", "aliases": [], "kind": "method", "params": params})
    return table


def inventory() -> list[dict[str, Any]]:
    from tools.probes.tf_keras_ops import keras_ops_table

    return function_table() + method_table() + layer_table() + keras_ops_table() + construct_table()


# Constructs that are not a single public function but decide conversion: measured under the
# name a call site shows (`tf.TensorArray(...)`), with one variant per way of using them.
CONSTRUCTS = ("tf.TensorArray",)


def construct_table() -> list[dict[str, Any]]:
    """[{name, aliases, kind: "function", params}] for the constructs in CONSTRUCTS."""
    table = []
    for name in CONSTRUCTS:
        obj = resolve(name)
        params = _params(obj.__init__)[1:] if inspect.isclass(obj) else _params(obj)
        table.append({"name": name, "aliases": [], "kind": "function", "params": params})
    return table


def resolve(name: str) -> Any:
    """The object a canonical name refers to ("tf.math.cumsum", "keras.layers.LSTM")."""
    head, _, rest = name.partition(".")
    if head == "tf":
        import tensorflow as obj
    elif head == "keras":
        import keras as obj
    else:
        raise KeyError(name)
    for part in rest.split("."):
        obj = getattr(obj, part)
    return obj


def _params(obj: Any) -> list[str]:
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return []
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [p.name for p in signature.parameters.values() if p.kind in kinds]


if __name__ == "__main__":
    json.dump(inventory(), sys.stdout)
