"""Which functions a call reaches when the callee is a value, not a name.

Model code often calls a function it looked up: `self.transform = partial(torch.fft.fftn,
dim=(1, 2))` in `__init__` and `self.transform(x)` in forward; `fn = getattr(torch, "histc")`;
`impl = REGISTRY.get(config.kind, default_impl)` where REGISTRY is a dict of functions, or an
instance of a class holding one. `Resolver.targets` turns such a callee expression into the
set of functions it may be, each with the arguments a `partial` bound, so the walker checks
the call as a call of each of them (a torch op with the merged arguments, or an edge to a
function of the file).

A lookup with a literal key picks its entry; with any other key the call may be any entry,
and then only the file's own functions are followed (their findings land in their bodies,
where they are defined); a torch op among many entries is not reported at the call site,
since the key that runs is not known.

Pure `ast`; resolution is bounded (`_DEPTH`) so cyclic aliases cannot loop.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable
from dataclasses import dataclass

from litert_lsp.analysis.module_index import ModuleContext
from litert_lsp.analysis.syntax_walk import walk

_DEPTH = 8
# Lookup methods of a mapping or registry object whose result is one of its values.
_GETTERS = frozenset({"get", "pop", "setdefault", "__getitem__"})


@dataclass(frozen=True, slots=True)
class Target:
    """One function a callee may be: a library name, a module-level function or a method
    of the file, plus the positional and keyword arguments a `partial` bound."""

    qualified: str | None = None  # torch.fft.fftn
    function: str | None = None  # a module-level function of the file
    method: tuple[str, str] | None = None  # (defining class, method) of the file
    args: tuple[ast.expr, ...] = ()
    keywords: tuple[ast.keyword, ...] = ()
    certain: bool = True  # False: one of several registry entries (the key is not known)
    via: str = ""  # how the call got here, for the message: "partial", "getattr", "registry"

    def bound(self, args: list[ast.expr], keywords: list[ast.keyword]) -> Target:
        return Target(self.qualified, self.function, self.method, (*self.args, *args),
                      (*self.keywords, *keywords), self.certain, "partial")

    def uncertain(self) -> Target:
        return Target(self.qualified, self.function, self.method, self.args, self.keywords, False,
                      self.via or "registry")

    def reached_by(self, via: str) -> Target:
        if self.via:
            return self
        return Target(self.qualified, self.function, self.method, self.args, self.keywords, self.certain, via)


Targets = frozenset


class Resolver:
    """Resolves callee expressions of one function being walked.

    `local` holds what the function's own assignments bound (name -> targets), `shadowed`
    the other local names (they hide module names), `closure` the enclosing functions'
    values for a nested def (parameter defaults and assignments)."""

    def __init__(self, ctx: ModuleContext, class_name: str | None, closure: dict[str, ast.expr],
                 env: Callable[[], dict]) -> None:
        self.ctx = ctx
        self.class_name = class_name
        self.closure = closure
        self.env = env  # the walked function's other locals (tensors, flags): they hide module names
        self.local: dict[str, Targets] = {}

    def _hidden(self, name: str, shadowed: frozenset[str] | None) -> bool:
        """Whether `name` is a local of the scope the expression comes from (None: the walked
        function's own scope; else the names local to the method it was assigned in)."""
        if shadowed is None:
            return name in self.env() or name in self.local
        return name in shadowed

    def targets(self, node: ast.expr, shadowed: frozenset[str] | None = None, depth: int = 0) -> Targets:
        """The functions `node`, used as a callee, may be (empty: not known)."""
        if depth > _DEPTH:
            return Targets()
        if isinstance(node, ast.Name):
            return self._name(node.id, shadowed, depth)
        if isinstance(node, ast.Attribute):
            return self._attribute(node, shadowed, depth)
        if isinstance(node, ast.Call):
            return self._call(node, shadowed, depth)
        if isinstance(node, ast.Subscript):
            entries = self.registry(node.value, shadowed, depth + 1)
            if entries is None:
                return Targets()
            return self._lookup(entries, node.slice, depth)
        if isinstance(node, ast.IfExp):
            return self.targets(node.body, shadowed, depth + 1) | self.targets(node.orelse, shadowed, depth + 1)
        if isinstance(node, ast.BoolOp):
            found: set[Target] = set()
            for value in node.values:
                found |= self.targets(value, shadowed, depth + 1)
            return Targets(found)
        return Targets()

    # ---- names and attributes ------------------------------------------------------------------

    def _name(self, name: str, shadowed: frozenset[str] | None, depth: int) -> Targets:
        if shadowed is None and name in self.local:
            return self.local[name]
        if self._hidden(name, shadowed):
            return Targets()
        if name in self.closure:
            return self.targets(self.closure[name], frozenset(), depth + 1)
        if name in self.ctx.functions:
            return Targets({Target(function=name)})
        if name in self.ctx.values:
            return self.targets(self.ctx.values[name], frozenset(), depth + 1)
        qualified = self.ctx.imports.names.get(name)
        return Targets({Target(qualified=qualified)}) if qualified else Targets()

    def _attribute(self, node: ast.Attribute, shadowed: frozenset[str] | None, depth: int) -> Targets:
        value = node.value
        if isinstance(value, ast.Name) and value.id == "self" and self.class_name:
            owner = self.ctx.find_method(self.class_name, node.attr)
            if owner is not None:
                return Targets({Target(method=(owner, node.attr))})
            found: set[Target] = set()
            for name in self.ctx.mro(self.class_name):
                for assigned, local in self.ctx.class_info[name].callable_attrs.get(node.attr, ()):
                    found |= self.targets(assigned, local, depth + 1)
            return Targets(found)
        root = value
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name) and self._hidden(root.id, shadowed):
            return Targets()
        qualified = self.ctx.imports.resolve(node)
        return Targets({Target(qualified=qualified)}) if qualified else Targets()

    # ---- calls whose result is a function ------------------------------------------------------

    def _call(self, node: ast.Call, shadowed: frozenset[str] | None, depth: int) -> Targets:
        func = node.func
        last = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if last not in ("partial", "getattr") and not _is_getter(last) and not (
            isinstance(func, ast.Name) and self.ctx.imports.names.get(last) == "functools.partial"
        ):
            return Targets()  # most calls (layers, ops): no function comes out of them
        if self._is_partial(func, shadowed) and node.args:
            inner = self.targets(node.args[0], shadowed, depth + 1)
            return Targets(t.bound(node.args[1:], node.keywords) for t in inner)
        if (
            isinstance(func, ast.Name) and func.id == "getattr" and not self._hidden("getattr", shadowed)
            and len(node.args) in (2, 3) and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            attribute = ast.copy_location(ast.Attribute(node.args[0], node.args[1].value, ast.Load()), node)
            found = {t.reached_by("getattr") for t in self.targets(attribute, shadowed, depth + 1)}
            if len(node.args) == 3:
                found |= self.targets(node.args[2], shadowed, depth + 1)
            return Targets(found)
        if isinstance(func, ast.Attribute) and _is_getter(func.attr):
            entries = self.registry(func.value, shadowed, depth + 1)
            found = set()
            if entries is not None and node.args:
                found |= self._lookup(entries, node.args[0], depth)
            elif entries is not None:
                found |= {t.uncertain() for t in self._all(entries, depth)}
            # The default of `.get(key, default)` is what runs when the key is not registered.
            for default in node.args[1:2]:
                found |= self.targets(default, shadowed, depth + 1)
            return Targets(found)
        return Targets()

    def _is_partial(self, func: ast.expr, shadowed: frozenset[str] | None) -> bool:
        if isinstance(func, ast.Name) and self._hidden(func.id, shadowed):
            return False
        return self.ctx.imports.resolve(func) == "functools.partial"

    # ---- registries ----------------------------------------------------------------------------

    def registry(self, node: ast.expr, shadowed: frozenset[str] | None, depth: int) -> list[tuple[ast.expr | None, ast.expr]] | None:
        """(key, value) entries of a mapping of functions `node` refers to: a dict literal,
        `dict(a=f)`, a module-level or closure name bound to one, or an instance of a class
        of the file with class-level dicts (a registry class). None: not a known mapping."""
        if depth > _DEPTH:
            return None
        if isinstance(node, ast.Dict):
            return [(k, v) for k, v in zip(node.keys, node.values) if k is not None]
        if isinstance(node, ast.Name):
            if self._hidden(node.id, shadowed):
                return None
            if node.id in self.closure:
                return self.registry(self.closure[node.id], frozenset(), depth + 1)
            if node.id in self.ctx.values:
                return self.registry(self.ctx.values[node.id], frozenset(), depth + 1)
            return None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.func.id
            if name == "dict" and not node.args:
                return [(ast.Constant(k.arg), k.value) for k in node.keywords if k.arg]
            if name in self.ctx.class_info:
                entries: list[tuple[ast.expr | None, ast.expr]] = []
                for base in self.ctx.mro(name):
                    for mapping in self.ctx.class_info[base].class_dicts.values():
                        entries.extend((k, v) for k, v in zip(mapping.keys, mapping.values) if k is not None)
                return entries or None
        return None

    def _lookup(self, entries: list[tuple[ast.expr | None, ast.expr]], key: ast.expr, depth: int) -> Targets:
        if isinstance(key, ast.Constant):
            picked = [v for k, v in entries if isinstance(k, ast.Constant) and k.value == key.value]
            if picked:
                found: set[Target] = set()
                for value in picked:
                    found |= {t.reached_by("registry") for t in self.targets(value, frozenset(), depth + 1)}
                return Targets(found)
        return Targets(t.uncertain() for t in self._all(entries, depth))

    def _all(self, entries: list[tuple[ast.expr | None, ast.expr]], depth: int) -> Targets:
        found: set[Target] = set()
        for _key, value in entries:
            found |= self.targets(value, frozenset(), depth + 1)
        return Targets(found)


def _is_getter(name: str) -> bool:
    return name in _GETTERS or name.startswith("get_")


def closure_values(scopes: list[ast.FunctionDef | ast.AsyncFunctionDef]) -> dict[str, ast.expr]:
    """What the enclosing functions of a nested def bind, outermost first (inner wins):
    parameter defaults and plain `name = value` assignments of their bodies."""
    values: dict[str, ast.expr] = {}
    for scope in scopes:
        arguments = scope.args
        positional = arguments.posonlyargs + arguments.args
        for arg, default in zip(positional[len(positional) - len(arguments.defaults):], arguments.defaults):
            values[arg.arg] = default
        for arg, default in zip(arguments.kwonlyargs, arguments.kw_defaults):
            if default is not None:
                values[arg.arg] = default
        for statement in scope.body:
            if isinstance(statement, ast.Assign):
                for target in statement.targets:
                    if isinstance(target, ast.Name):
                        values[target.id] = statement.value
    return values


def merged_call(call: ast.Call, target: Target) -> ast.Call:
    """The call as `target` receives it: a partial's bound arguments first, then the call's.
    Bound arguments are copies placed at the call's span, so whatever the checks report on
    them lands on the line the user reads (not inside another function's lines)."""
    if not target.args and not target.keywords:
        return call
    bound_args = [_at(copy.deepcopy(a), call) for a in target.args]
    bound_keywords = [ast.keyword(k.arg, _at(copy.deepcopy(k.value), call)) for k in target.keywords]
    merged = ast.Call(call.func, [*bound_args, *call.args], [*bound_keywords, *call.keywords])
    return ast.copy_location(merged, call)


def _at(node: ast.expr, where: ast.AST) -> ast.expr:
    for inner in walk(node):
        if hasattr(inner, "lineno"):
            inner.lineno = where.lineno  # type: ignore[attr-defined]
            inner.col_offset = where.col_offset  # type: ignore[attr-defined]
            inner.end_lineno = where.end_lineno  # type: ignore[attr-defined]
            inner.end_col_offset = where.end_col_offset  # type: ignore[attr-defined]
    return node


def describe(call: ast.Call, target: Target) -> str:
    """The note a finding reached through a value gets: which function the callee is."""
    callee = ast.unparse(call.func)
    if target.via == "partial":
        return f" (`{callee}` is a `functools.partial` of it, with the bound arguments)"
    if target.via == "getattr":
        return f" (`{callee}` looks it up with `getattr`)"
    if target.via == "registry":
        return f" (`{callee}` picks it from a registry)"
    return f" (`{callee}` holds it)"
