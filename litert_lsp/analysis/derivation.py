"""Which classes of one module derive from a root class: the one fixpoint every analyzer uses.

A class counts when one of its bases resolves to a root (through the import table) or is
itself a class of the same module already found, so definition order does not matter.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping


def deriving_classes(
    classes: Mapping[str, ast.ClassDef],
    resolve: Callable[[ast.expr], str | None],
    is_root: Callable[[str], bool],
) -> dict[str, ast.ClassDef]:
    """The classes among `classes` deriving from a root, directly or through each other,
    in the order they were found (stable for a given module)."""
    found: dict[str, ast.ClassDef] = {}
    changed = True
    while changed:
        changed = False
        for name, node in classes.items():
            if name in found:
                continue
            for base in node.bases:
                qualified = resolve(base)
                local = base.id if isinstance(base, ast.Name) else None
                if (qualified and is_root(qualified)) or local in found:
                    found[name] = node
                    changed = True
                    break
    return found
