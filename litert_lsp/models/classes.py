"""Model classes in a source file, found statically (no import of the user's code)."""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from litert_lsp.analysis.names import TORCH_MODULE_BASES, ImportTable, subclasses_of
from litert_lsp.analysis.syntax_walk import children, walk
from litert_lsp.core.settings import ALWAYS_EXCLUDED

_MISSING = object()


@dataclass
class Parameter:
    name: str
    has_default: bool
    default: Any = None  # the literal default, when it is one


@dataclass
class ModelClass:
    name: str
    line: int  # 1-based line of `class`
    column: int
    end_line: int
    parameters: list[Parameter] = field(default_factory=list)
    used_by: list[str] = field(default_factory=list)  # other model classes that build this one
    # The first names of the keys its state dict would have: every `self.<name> = ...` of the
    # class and of its bases in the file, plus literal register_buffer/register_parameter/
    # add_module names. None when that cannot be told statically (a base from a library, a
    # torch.nn layer subclass, `setattr(self, ...)`, a computed name).
    state_names: frozenset[str] | None = None

    @property
    def required(self) -> list[str]:
        return [p.name for p in self.parameters if not p.has_default]


def find_model_classes(source: str) -> list[ModelClass]:
    """Every torch.nn.Module subclass of `source`, in source order; [] when it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    imports = ImportTable.from_tree(tree)
    found = subclasses_of(tree, imports, TORCH_MODULE_BASES)
    result = []
    for name, node in found.items():
        result.append(
            ModelClass(
                name=name,
                line=node.lineno,
                column=node.col_offset,
                end_line=node.end_lineno or node.lineno,
                parameters=_init_parameters(node),
                state_names=_state_names(node, found, imports),
            )
        )
    names = {m.name for m in result}
    for model in result:
        for node in walk(found[model.name]):
            if (
                isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in names and node.func.id != model.name
            ):
                other = next(m for m in result if m.name == node.func.id)
                if model.name not in other.used_by:
                    other.used_by.append(model.name)
    result.sort(key=lambda m: m.line)
    return result


_REGISTERS = ("register_buffer", "register_parameter", "add_module", "register_module")


def _state_names(node: ast.ClassDef, classes: dict[str, ast.ClassDef], imports: ImportTable,
                 seen: frozenset[str] = frozenset()) -> frozenset[str] | None:
    """First names of the state-dict keys `node` would have (a superset: every attribute the
    class sets on `self`), or None when they cannot be told without running it."""
    names: set[str] = set()
    for base in node.bases:
        if isinstance(base, ast.Name) and base.id in classes and base.id not in seen:
            inherited = _state_names(classes[base.id], classes, imports, seen | {node.name})
            if inherited is None:
                return None
            names |= inherited
        elif imports.resolve(base) != "torch.nn.Module":
            return None  # a library model or an nn layer subclass: its own children are unknown here
    for method in node.body:
        if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for inner in walk(method):
            if isinstance(inner, ast.Attribute) and isinstance(inner.ctx, ast.Store) and _is_self(inner.value):
                names.add(inner.attr)
            elif isinstance(inner, ast.Call):
                func = inner.func
                if isinstance(func, ast.Name) and func.id == "setattr" and inner.args and _is_self(inner.args[0]):
                    return None
                if isinstance(func, ast.Attribute) and func.attr in _REGISTERS and _is_self(func.value):
                    first = inner.args[0] if inner.args else None
                    if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                        return None
                    names.add(first.value)
    return frozenset(names)


def _is_self(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "self"


def _init_parameters(node: ast.ClassDef) -> list[Parameter]:
    init = next(
        (n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None
    )
    if init is None:
        return []
    args = init.args
    positional = [*args.posonlyargs, *args.args][1:]  # drop self
    defaults: list[Any] = [_MISSING] * (len(positional) - len(args.defaults)) + list(args.defaults)
    params = [_parameter(a.arg, d) for a, d in zip(positional, defaults)]
    params += [_parameter(a.arg, d if d is not None else _MISSING) for a, d in zip(args.kwonlyargs, args.kw_defaults)]
    return params


def _parameter(name: str, default: Any) -> Parameter:
    if default is _MISSING:
        return Parameter(name, False)
    try:
        return Parameter(name, True, ast.literal_eval(default))
    except (ValueError, SyntaxError, TypeError):
        return Parameter(name, True, None)


@dataclass
class CallSite:
    path: str
    line: int
    args: list[Any]
    kwargs: dict[str, Any]
    in_tests: bool = False  # in a test file (judged on the path inside the workspace)

    def call_text(self, class_name: str) -> str:
        """`MiniViT(32, 8, depth=1)`, as the call spells its literals."""
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"{class_name}({', '.join(parts)})"


def is_test_file(path: Path) -> bool:
    """Whether `path` (relative to the workspace) is a file of a test suite, by pytest's and
    unittest's naming: its calls build toy sizes more often than the model a project ships."""
    name = path.name
    return (name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
            or any(part in ("tests", "test", "testing") for part in path.parent.parts))


def find_call_sites(root: Path, class_name: str, max_files: int = 2000) -> list[CallSite]:
    """`ClassName(<literals only>)` calls in the workspace's Python files, most telling first:
    calls outside test files before those in tests, then calls with more literal arguments
    (they say more about the constructor), then by path and line."""
    sites: list[CallSite] = []
    seen = 0
    for folder, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in ALWAYS_EXCLUDED and not d.startswith("."))
        for filename in sorted(filenames):
            if not filename.endswith(".py"):
                continue
            seen += 1
            if seen > max_files:
                return sites
            path = Path(folder) / filename
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if class_name not in text:
                continue
            try:
                tree = ast.parse(text)
            except (SyntaxError, ValueError):
                continue
            for node in walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
                if called != class_name or not (node.args or node.keywords):
                    continue
                try:
                    args = [ast.literal_eval(a) for a in node.args]
                    kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}
                except (ValueError, SyntaxError, TypeError):
                    continue
                if any(k.arg is None for k in node.keywords):
                    continue
                sites.append(CallSite(str(path), node.lineno, args, kwargs,
                                      is_test_file(path.relative_to(root))))
    sites.sort(key=lambda s: (s.in_tests, -(len(s.args) + len(s.kwargs)), s.path, s.line))
    return sites


# Keras model bases in the knowledge base's spelling (canonical_name maps tf.keras./tf_keras.).
_KERAS_MODEL_BASES = frozenset({
    "keras.Model", "keras.models.Model", "keras.Sequential", "keras.models.Sequential", "keras.Functional",
})
_KERAS_MODEL_CALLS = _KERAS_MODEL_BASES | {"keras.models.clone_model", "keras.models.load_model"}


def find_keras_models(source: str) -> list[ModelClass]:
    """keras.Model subclasses and model-building functions of `source`, in source order.

    A builder is a module-level function that returns `keras.Model(...)` / `keras.Sequential(...)`
    (directly, or through a local name assigned from one) or an instance of a model class of the
    file. Found statically: the user's code is never imported. [] when it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    imports = ImportTable.from_tree(tree)
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    models: dict[str, ast.ClassDef] = {}
    changed = True
    while changed:  # subclasses of subclasses, in any order of definition
        changed = False
        for name, node in classes.items():
            if name not in models and any(
                imports.resolve_canonical(base) in _KERAS_MODEL_BASES
                or (isinstance(base, ast.Name) and base.id in models) for base in node.bases
            ):
                models[name] = node
                changed = True
    result = [
        ModelClass(name, node.lineno, node.col_offset, node.end_lineno or node.lineno, _init_parameters(node))
        for name, node in models.items()
    ]
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_") and _builds_model(node, imports, models):
            result.append(ModelClass(node.name, node.lineno, node.col_offset, node.end_lineno or node.lineno,
                                     _function_parameters(node)))
    names = {m.name for m in result}
    for model in result:
        source_node = models.get(model.name)
        if source_node is None:
            continue
        for node in walk(source_node):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names \
                    and node.func.id != model.name:
                other = next(m for m in result if m.name == node.func.id)
                if model.name not in other.used_by:
                    other.used_by.append(model.name)
    result.sort(key=lambda m: m.line)
    return result


def _own_nodes(function: ast.FunctionDef) -> list[ast.AST]:
    """The function's nodes, without those of nested functions/classes (their returns are not its)."""
    found: list[ast.AST] = []
    stack: list[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        found.append(node)
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(children(node))
    return found


def _builds_model(function: ast.FunctionDef, imports: ImportTable, classes: dict[str, ast.ClassDef]) -> bool:
    def is_model_call(node: ast.AST | None) -> bool:
        if not isinstance(node, ast.Call):
            return False
        if isinstance(node.func, ast.Name) and node.func.id in classes:
            return True
        return imports.resolve_canonical(node.func) in _KERAS_MODEL_CALLS

    nodes = _own_nodes(function)
    assigned = {
        target.id for node in nodes if isinstance(node, ast.Assign) and is_model_call(node.value)
        for target in node.targets if isinstance(target, ast.Name)
    }
    for node in nodes:
        if isinstance(node, ast.Return) and (
            is_model_call(node.value) or (isinstance(node.value, ast.Name) and node.value.id in assigned)
        ):
            return True
    return False


def _function_parameters(node: ast.FunctionDef) -> list[Parameter]:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[Any] = [_MISSING] * (len(positional) - len(args.defaults)) + list(args.defaults)
    params = [_parameter(a.arg, d) for a, d in zip(positional, defaults)]
    params += [_parameter(a.arg, d if d is not None else _MISSING) for a, d in zip(args.kwonlyargs, args.kw_defaults)]
    return params
