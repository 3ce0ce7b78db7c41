"""LRT305: Python that needs a tensor's value while the model is traced (measured with
TensorFlow 2.21 / Keras 3; the details are in `analysis/tf/checks.py`, which finds them).

Why: conversion traces the model into a graph, where a tensor has no value yet: `.numpy()`,
`bool(x)`, NumPy on a tensor, `assert` on a tensor, and Python control flow on a tensor
where AutoGraph does not run (Keras `call`, `tf.function(autograph=False)`) all fail.
"""

from __future__ import annotations

from litert_lsp.core import codes

CODE = codes.LRT305


def symbolic_argument_message(name: str) -> str:
    return (f"`{name}` is given a Keras symbolic tensor (from `keras.Input` or a layer): "
            "Keras 3 refuses TensorFlow functions on those, so building the model fails. "
            "Instead: use the `keras.ops` equivalent, or call it inside a custom layer's `call`.")


def numpy_message() -> str:
    return ("`.numpy()` needs the tensor's value, which does not exist while the model is "
            "traced for conversion: tracing fails. Instead: keep the computation in TensorFlow ops.")


def to_numpy_message(name: str) -> str:
    """Measured (Keras 3.15, TensorFlow 2.21): `keras.ops.convert_to_numpy` of a tensor raises
    NotImplementedError both while building a functional model and inside tf.function."""
    return (f"`{name}` needs the tensor's value, which does not exist while the model is "
            "traced for conversion: tracing fails. Instead: keep the computation in keras.ops.")


def range_message(why: str) -> str:
    """`why` says why AutoGraph does not run here."""
    return (f"`range()` of a tensor needs its value while tracing, and {why}: tracing fails. "
            "Instead: use tf.range with tf.while_loop, or vectorised ops.")


def value_builtin_message(builtin: str) -> str:
    return (f"`{builtin}()` of a tensor needs its value while the model is traced: tracing "
            f"fails. Instead: use tf.cast, or keep it a tensor.")


def numpy_function_message(short: str) -> str:
    return (f"NumPy `{short}` on a tensor needs its value while the model is traced: tracing "
            f"fails. Instead: use the TensorFlow op.")


def assert_message() -> str:
    return ("`assert` on a tensor needs its value while the model is traced: tracing "
            "fails. Instead: use tf.debugging.assert_* or drop the check from exported code.")


def branch_message(word: str, why: str, fix: str) -> str:
    return (f"Python `{word}` on a tensor needs its value while tracing, and {why}: "
            f"tracing fails. Instead: use {fix}.")


def bool_operator_message(word: str, why: str) -> str:
    return (f"Python `{word}` on a tensor needs its truth value while tracing, "
            f"and {why}: tracing fails. Instead: use tf.logical_{word}.")


def loop_message(why: str) -> str:
    return (f"A Python `for` over a tensor needs its length while tracing, and {why}: "
            "tracing fails. Instead: use vectorised ops or tf.map_fn.")
