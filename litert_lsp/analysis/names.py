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
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from litert_lsp.analysis.derivation import deriving_classes
from litert_lsp.analysis.syntax_walk import walk

# Public spellings that name the same namespace; the knowledge base uses the right side.
_CANONICAL_PREFIXES = (
    ("tensorflow.keras.", "keras."),
    ("tf.keras.", "keras."),
    ("tensorflow.", "tf."),
    ("tf_keras.", "keras."),
)


# Keras 3's public `keras.ops` namespaces that only repeat top-level `keras.ops` functions
# (keras/ops/{linalg,nn,numpy}/__init__.py re-export what keras/ops/__init__.py does);
# `keras.ops.image` is the one whose functions are not at the top level.
_KERAS_OPS_REPEATS = frozenset({"linalg", "nn", "numpy"})
_KERAS_OPS_OWN_NAMESPACES = frozenset({"image"})
# The modules of keras/src/ops whose functions are the public `keras.ops` API; the others
# (operation_utils, node, symbolic_arguments, operation, function) are Keras' own machinery,
# whose helpers compute shapes and wire graphs, not tensors.
_KERAS_OPS_PUBLIC_MODULES = frozenset({"core", "einops", "image", "linalg", "math", "nn", "numpy"})


def canonical_name(name: str) -> str:
    """Map a resolved name onto the spelling the knowledge base uses."""
    if name == "tensorflow":
        return "tf"
    for prefix, replacement in _CANONICAL_PREFIXES:
        if name.startswith(prefix):
            name = replacement + name[len(prefix):]
            break
    if name.startswith("keras.src."):
        return _public_keras(name.split(".")[2:])
    if name.startswith("keras.ops."):
        parts = name.split(".")
        if len(parts) == 4 and parts[2] in _KERAS_OPS_REPEATS:
            return f"keras.ops.{parts[3]}"
    return name


def _public_keras(parts: list[str]) -> str:
    """`keras.src.<package>.<modules...>.<object>` -> the public `keras.<package>.<object>`.

    Keras 3 keeps its implementation under `keras.src` (its own applications import
    `from keras.src import layers`) and exports each object once per package: every layer
    is `keras.layers.X`, every op `keras.ops.x` (image ops `keras.ops.image.x`). The first
    capitalised part is the object (a class, then its attributes); without one, the last
    part is (a function).
    """
    if len(parts) <= 1:
        return ".".join(["keras", *parts])
    package, rest = parts[0], parts[1:]
    if package == "ops" and len(rest) > 1 and rest[0] not in _KERAS_OPS_PUBLIC_MODULES:
        return ".".join(["keras", "src", *parts])  # not an op: keep the private name
    capitalised = next((i for i, part in enumerate(rest) if part[:1].isupper()), None)
    tail = rest[capitalised:] if capitalised is not None else rest[-1:]
    if package == "ops" and rest[0] in _KERAS_OPS_OWN_NAMESPACES and len(rest) > 1:
        tail = [rest[0], *tail]
    return ".".join(["keras", package, *tail])


@dataclass
class ImportTable:
    """Local name -> qualified dotted name, for one module."""

    names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_tree(cls, tree: ast.AST) -> ImportTable:
        table = cls()
        table.add_imports(walk(tree))
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
        node.name: node for node in walk(tree) if isinstance(node, ast.ClassDef)
    }
    return deriving_classes(classes, imports.resolve, lambda qualified: matches_root(qualified, roots))


def matches_root(qualified: str, roots: frozenset[str]) -> bool:
    if qualified in roots:
        return True
    if "torch.nn.Module" not in roots:
        return False
    name = qualified.rsplit(".", 1)[-1]
    # Any torch.nn layer class (nn.Sequential, nn.Linear, ...) is itself a Module.
    if qualified.startswith("torch.nn.") and name[:1].isupper():
        return True
    return _is_library_model(qualified, name)


# Model classes of the PyTorch model libraries users subclass (`class MyClassifier(BertPreTrainedModel)`).
# transformers 5 is PyTorch-only; its configurations, tokenizers and processors are not models.
_TRANSFORMERS_MODEL = re.compile(r"(PreTrainedModel|Model|For[A-Z]\w*)$")
_TORCH_MODEL_LIBRARIES = ("timm.models.", "timm.layers.", "torchvision.models.")


def _is_library_model(qualified: str, name: str) -> bool:
    if not name[:1].isupper():
        return False
    if qualified.startswith("transformers."):
        return bool(_TRANSFORMERS_MODEL.search(name)) and "Config" not in name
    return qualified.startswith(_TORCH_MODEL_LIBRARIES) and not name.endswith(("Config", "Cfg"))
