"""Ragged tensors held in local names, so that `rt.to_tensor()` is judged as `tf.RaggedTensor.to_tensor`.

A name is ragged when it is assigned the result of a `tf.RaggedTensor.from_*` constructor, a
`tf.ragged.*` function, or a ragged-preserving method of another ragged name. The knowledge
base measures the methods one by one (building a ragged tensor converts to builtins, densifying
it needs Select TF ops), so the verdict belongs to the method call, not to the constructor.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from litert_lsp import kb
from litert_lsp.analysis.names import ImportTable

_MAKERS = ("tf.RaggedTensor.from_", "tf.ragged.")
# Methods whose result is again a ragged tensor.
_RAGGED_RESULTS = frozenset({"with_values", "with_flat_values", "with_row_splits_dtype"})


def ragged_names(nodes: Iterable[ast.AST], imports: ImportTable) -> frozenset[str]:
    """Local names assigned a ragged tensor anywhere among `nodes` (flow-insensitive)."""
    assignments = [n for n in nodes if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)]
    found: set[str] = set()
    changed = True
    while changed:  # `b = a.with_values(...)` after `a = tf.RaggedTensor.from_...(...)`
        changed = False
        for node in assignments:
            if _makes_ragged(node.value, imports, found):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id not in found:
                        found.add(target.id)
                        changed = True
    return frozenset(found)


def _makes_ragged(call: ast.Call, imports: ImportTable, ragged: set[str]) -> bool:
    name = imports.resolve_canonical(call.func) or ""
    if name.startswith(_MAKERS):
        return True
    func = call.func
    return (isinstance(func, ast.Attribute) and func.attr in _RAGGED_RESULTS
            and isinstance(func.value, ast.Name) and func.value.id in ragged)


def ragged_method(call: ast.Call, ragged: frozenset[str]) -> str | None:
    """`tf.RaggedTensor.<method>` for `name.<method>(...)` on a ragged name, when it was measured."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ragged):
        return None
    name = f"tf.RaggedTensor.{func.attr}"
    return name if kb.lookup(name, "tensorflow") is not None else None
