"""Which qualified name a piece of source refers to, through every import spelling.

    import torch.nn.functional as F      F.relu            -> torch.nn.functional.relu
    from torch import fft                fft.rfft          -> torch.fft.rfft
    from torch.linalg import svdvals     svdvals           -> torch.linalg.svdvals
    import tensorflow as tf              tf.linalg.svd     -> tf.linalg.svd (canonical)
    relu = torch.relu   (module level)   relu              -> torch.relu

Pure `ast`; no framework is imported.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field

from litert_lsp.analysis.derivation import deriving_classes

# Public spellings that name the same namespace; the knowledge base uses the right side.
_CANONICAL_PREFIXES = (
    ("tensorflow.keras.", "keras."),
    ("tf.keras.", "keras."),
    ("tensorflow.", "tf."),
    ("tf_keras.", "keras."),
)


def canonical_name(name: str) -> str:
    """Map a resolved name onto the spelling the knowledge base uses."""
    if name == "tensorflow":
        return "tf"
    for prefix, replacement in _CANONICAL_PREFIXES:
        if name.startswith(prefix):
            return replacement + name[len(prefix):]
    return name


@dataclass
class ImportTable:
    """Local name -> qualified dotted name, for one module."""

    names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_tree(cls, tree: ast.AST) -> ImportTable:
        table = cls()
        table.add_imports(ast.walk(tree))
        table.add_module_aliases(getattr(tree, "body", []))
        return table

    def add_imports(self, nodes: Iterable[ast.AST]) -> None:
        """Record every import among `nodes` (function-local imports included)."""
        for node in nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.names[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".", 1)[0]
                        self.names.setdefault(top, top)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    if alias.name == "*":
                        continue
                    self.names[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def add_module_aliases(self, body: Iterable[ast.stmt]) -> None:
        """`F = torch.nn.functional` / `relu = torch.relu` at module level."""
        for statement in body:
            if (
                isinstance(statement, ast.Assign)
                and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)
                and isinstance(statement.value, (ast.Name, ast.Attribute))
            ):
                target = statement.targets[0].id
                resolved = self.resolve(statement.value)
                if resolved and target not in self.names:
                    self.names[target] = resolved

    def resolve(self, node: ast.AST) -> str | None:
        """The qualified name of a `Name` / `Attribute` chain, or None if not imported."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        base = self.names.get(node.id)
        if base is None:
            return None
        parts.append(base)
        return ".".join(reversed(parts))

    def resolve_canonical(self, node: ast.AST) -> str | None:
        name = self.resolve(node)
        return canonical_name(name) if name else None

    def imports_any(self, *top_levels: str) -> bool:
        return any(q.split(".", 1)[0] in top_levels for q in self.names.values())


# Base classes that make a class a PyTorch module (any spelling resolves to these).
TORCH_MODULE_BASES = frozenset({"torch.nn.Module", "torch.nn.modules.module.Module"})


def subclasses_of(
    tree: ast.Module, imports: ImportTable, roots: frozenset[str]
) -> dict[str, ast.ClassDef]:
    """Classes of the module deriving from any of `roots`, directly or through other
    classes of the same module (in any order of definition)."""
    classes = {
        node.name: node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
    }
    return deriving_classes(classes, imports.resolve, lambda qualified: matches_root(qualified, roots))


def matches_root(qualified: str, roots: frozenset[str]) -> bool:
    if qualified in roots:
        return True
    # Any torch.nn layer class (nn.Sequential, nn.Linear, ...) is itself a Module.
    return "torch.nn.Module" in roots and qualified.startswith("torch.nn.") and qualified.rsplit(".", 1)[-1][:1].isupper()
