"""Which `keras.ops` functions exist: found by introspecting the installed Keras 3.

Runs in a worker (it imports keras, with the TensorFlow backend). Naming, which the analyzer
relies on:

    keras.ops.<name>          every function of the top-level `keras.ops` API (canonical)
    keras.ops.<ns>.<name>     a function exported only by a sub-namespace (`keras.ops.image.resize`)
    aliases                   every other public spelling of the same object
                              (`keras.ops.numpy.<name>`, `keras.ops.nn.<name>`, `keras.ops.linalg.<name>`,
                              ...) and its defining module (`keras.src.ops.math.fft`), which
                              Keras' own code and keras-hub import from
"""

from __future__ import annotations

import inspect
import os
from typing import Any

# The probes measure the TensorFlow backend: LiteRT's TensorFlow converter sees only its graphs.
os.environ["KERAS_BACKEND"] = "tensorflow"

# Public `keras.ops` names that build no graph op a converter could see: they return Python
# values for static shapes (shape, ndim, size, dtype), convert to NumPy, or transform functions
# (custom_gradient, jvp). The analyzer treats them as static values; probing them says nothing.
NOT_OPS = frozenset({"convert_to_numpy", "is_tensor", "custom_gradient", "dtype", "jvp", "shape", "ndim", "size"})


def _public_functions(module: Any) -> dict[str, Any]:
    found = {}
    for attr in sorted(dir(module)):
        obj = getattr(module, attr, None)
        if attr.startswith("_") or attr in NOT_OPS or obj is None:
            continue
        if inspect.ismodule(obj) or inspect.isclass(obj) or not callable(obj):
            continue
        found[attr] = obj
    return found


def _sub_namespaces(ops: Any) -> list[str]:
    """`keras.ops`' public sub-modules (nn, numpy, linalg, image, ... as the installed Keras has them)."""
    return sorted(attr for attr in dir(ops) if not attr.startswith("_") and inspect.ismodule(getattr(ops, attr)))


def keras_ops_table() -> list[dict[str, Any]]:
    """[{name, aliases, kind: "function", params}] for every public `keras.ops` function."""
    import keras

    ops = keras.ops
    rows: dict[int, dict[str, Any]] = {}
    order: list[int] = []

    def add(spelled: str, obj: Any) -> None:
        key = id(obj)
        if key not in rows:
            rows[key] = {"name": spelled, "aliases": [], "kind": "function", "params": _params(obj)}
            order.append(key)
        elif spelled != rows[key]["name"] and spelled not in rows[key]["aliases"]:
            rows[key]["aliases"].append(spelled)

    for attr, obj in _public_functions(ops).items():
        add(f"keras.ops.{attr}", obj)
    for namespace in _sub_namespaces(ops):
        for attr, obj in _public_functions(getattr(ops, namespace)).items():
            add(f"keras.ops.{namespace}.{attr}", obj)
    for key in order:
        row = rows[key]
        obj = _object(row["name"])
        home = getattr(obj, "__module__", "") or ""
        attr = row["name"].rsplit(".", 1)[1]
        if home.startswith("keras.src.ops.") and getattr(_module(home), attr, None) is obj:
            row["aliases"].append(f"{home}.{attr}")
    return [rows[key] for key in order]


def _object(name: str) -> Any:
    import keras

    obj: Any = keras
    for part in name.split(".")[1:]:
        obj = getattr(obj, part)
    return obj


def _module(dotted: str) -> Any:
    import importlib

    try:
        return importlib.import_module(dotted)
    except ImportError:
        return None


def _params(obj: Any) -> list[str]:
    from tools.probes.tf_inventory import _params as positional_parameters  # one introspection rule

    return positional_parameters(obj)
