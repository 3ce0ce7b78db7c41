"""LRT304: Python code run as an op (tf.py_function, tf.numpy_function).

Why: a LiteRT graph holds only ops; the Python callback cannot be converted, with builtins
or with Select TF ops.
"""

from __future__ import annotations

from litert_lsp.core import codes

CODE = codes.LRT304


def message(name: str) -> str:
    return (f"`{name}` runs Python code when the model runs; a LiteRT graph cannot hold it "
            "(conversion fails with builtins and with Select TF ops). Instead: write it with TensorFlow ops.")
