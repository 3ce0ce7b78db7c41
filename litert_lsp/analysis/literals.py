"""The one literal evaluator of the analyzer: the Python value of a literal argument.

Rules compare a call's literal arguments with the variants the knowledge base measured
(`dim=-1`, `training=False`, `kernel_size=(3, 3)`), so both frameworks read them the same way.
Sequences come back as lists, the form the knowledge base's JSON stores them in.
"""

from __future__ import annotations

import ast
from typing import Any

UNKNOWN: Any = object()  # not a literal (a name, a call, an expression)


def literal(node: ast.AST) -> Any:
    """The value of a constant, a tuple/list of them or a signed number; else UNKNOWN.

    Dicts, sets and expressions are UNKNOWN: no measured variant holds one."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.Tuple, ast.List)):
        values = [literal(e) for e in node.elts]
        return UNKNOWN if any(v is UNKNOWN for v in values) else values
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = literal(node.operand)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value if isinstance(node.op, ast.USub) else value
    return UNKNOWN
