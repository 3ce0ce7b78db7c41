"""Fast versions of `ast.walk` and `ast.iter_child_nodes`, for the analyzer's many walks.

`ast.walk` is a generator over a generator (`iter_child_nodes`) over a generator
(`iter_fields`); on transformers' models it was the largest single cost of `check` after
parsing. These build plain lists instead and read only the fields of each node class that can hold
nodes (about 3x faster). Nothing is remembered on the nodes: a tree must stay free of
reference cycles, so that it is freed the moment its analysis ends (test_prefilter).

Same nodes in the same (breadth-first) order as `ast.walk`, except the expression contexts
(`Load`, `Store`, `Del`): no rule looks for those, and they are a third of all nodes. Read
`node.ctx` where it matters.
"""

from __future__ import annotations

import ast

_AST = ast.AST
_CONTEXTS = (ast.expr_context,)
# Fields that never hold a node (names, operators' scalars, constants' values).
_SCALAR_FIELDS = frozenset({
    "ctx", "id", "attr", "arg", "name", "asname", "module", "level", "kind", "type_comment",
    "conversion", "is_async", "simple",
})
# Node classes with nothing under them.
_LEAVES = (ast.Constant, ast.Name, ast.Pass, ast.Break, ast.Continue, ast.expr_context,
           ast.boolop, ast.operator, ast.unaryop, ast.cmpop, ast.alias)

_fields_of: dict[type, tuple[str, ...]] = {}


def _node_fields(cls: type) -> tuple[str, ...]:
    fields = _fields_of.get(cls)
    if fields is None:
        fields = () if issubclass(cls, _LEAVES) else tuple(f for f in cls._fields if f not in _SCALAR_FIELDS)
        _fields_of[cls] = fields
    return fields


def children(node: ast.AST) -> list[ast.AST]:
    """The direct child nodes of `node`, in field order (expression contexts left out)."""
    found: list[ast.AST] = []
    for name in _node_fields(node.__class__):
        value = getattr(node, name, None)
        if value is None:
            continue
        if value.__class__ is list:
            for item in value:
                if isinstance(item, _AST) and not isinstance(item, _CONTEXTS):
                    found.append(item)
        elif isinstance(value, _AST) and not isinstance(value, _CONTEXTS):
            found.append(value)
    return found


def walk(node: ast.AST) -> list[ast.AST]:
    """`node` and every node under it, breadth-first like `ast.walk` (contexts left out)."""
    # `children`'s loop, inlined: calling it for every node makes the walk a quarter slower.
    found: list[ast.AST] = [node]
    append = found.append
    fields_of = _fields_of
    index = 0
    while index < len(found):
        current = found[index]
        index += 1
        cls = current.__class__
        fields = fields_of.get(cls)
        if fields is None:
            fields = _node_fields(cls)
        for name in fields:
            value = getattr(current, name, None)
            if value is None:
                continue
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, _AST) and not isinstance(item, _CONTEXTS):
                        append(item)
            elif isinstance(value, _AST) and not isinstance(value, _CONTEXTS):
                append(value)
    return found
