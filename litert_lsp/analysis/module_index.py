"""What one module defines: per-block summaries (cached by block text) and the module-wide
context the rules need (imports, local classes and functions, which classes are torch
modules). The context has a `key`: an analysis result computed under an equal key, for
an equal block text, is still valid.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field

from litert_lsp.analysis.derivation import deriving_classes
from litert_lsp.analysis.names import TORCH_MODULE_BASES, ImportTable, matches_root
from litert_lsp.analysis.syntax_walk import walk

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
_FUNCTION_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef)
# Syntax that says "not a tensor" for a function's returned value, without inference.
_NON_TENSOR_CALLS = frozenset({"len", "int", "float", "bool", "str", "isinstance", "tuple", "list", "dict"})
_NON_TENSOR_ATTRS = frozenset({"shape", "ndim", "dtype", "device", "size", "dim", "numel"})


@dataclass
class ClassInfo:
    name: str
    node: ast.ClassDef
    methods: dict[str, FunctionNode]
    # Attributes that `__init__` makes tensors: parameters, buffers, torch.* results.
    tensor_attrs: frozenset[str]
    # `self.attr = <callable-shaped value>` in any method (partial(...), a function name,
    # getattr(...), a registry lookup): attr -> (value, names local to that method).
    callable_attrs: dict[str, tuple[tuple[ast.expr, frozenset[str]], ...]] = field(default_factory=dict)
    # Class-level `NAME = {...}` dicts: a registry class's mapping (`_global_mapping = {...}`).
    class_dicts: dict[str, ast.Dict] = field(default_factory=dict)
    # Attributes `__init__` sets only from Python values (literals, its own non-tensor
    # arguments, config fields, arithmetic on them): static values when tracing.
    static_attrs: frozenset[str] = frozenset()
    # `self.attr = Layer(...)` in `__init__`: attr -> the dotted names of what builds it (two
    # for `A(...) if flag else B(...)`; "" for anything else assigned to it).
    layer_attrs: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass
class BlockInfo:
    """One top-level block, parsed alone. Line numbers inside are block-relative."""

    text: str
    tree: ast.Module | None
    # (line, column, end_line, end_column, message), block-relative, when it does not parse.
    error: tuple[int, int, int, int, str] | None
    imports: list[ast.stmt] = field(default_factory=list)
    aliases: list[ast.Assign] = field(default_factory=list)
    functions: dict[str, FunctionNode] = field(default_factory=dict)
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    # "name" or "Class.method" -> whether its return value may be a tensor.
    returns: dict[str, bool] = field(default_factory=dict)
    # "name" or "Class.method" of functions that compute only with Python values (their calls
    # are size builtins and math): given static arguments, their result is static.
    pure: set[str] = field(default_factory=set)
    # Module-level `NAME = <value>` a call may resolve through (registries, partials, aliases).
    values: dict[str, ast.expr] = field(default_factory=dict)
    # Functions installed as some class's `forward` by a decorator (`cls.forward = fn`):
    # qualnames, nested ones as "outer>inner>fn" (see `function`).
    trace_roots: list[str] = field(default_factory=list)
    # Added to the parsed text's line numbers to get the unit's (-1 for a method parsed
    # inside a stand-in `class _:` header).
    line_shift: int = 0
    _lines: list[str] | None = None

    @property
    def ascii(self) -> bool:
        return self.text.isascii()

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.text.split("\n")
        return self._lines

    def function(self, qualname: str) -> FunctionNode | None:
        if ">" in qualname:
            scopes = self.enclosing(qualname)
            return scopes[-1] if scopes else None
        if "." in qualname:
            class_name, method = qualname.split(".", 1)
            info = self.classes.get(class_name) or self.classes.get(MEMBER_CLASS)
            return info.methods.get(method) if info else None
        return self.functions.get(qualname)


    def enclosing(self, qualname: str) -> list[FunctionNode]:
        """The defs along a nested qualname "outer>inner>fn", outermost first ([] if absent)."""
        parts = qualname.split(">")
        node = self.functions.get(parts[0])
        if node is None:
            return []
        path = [node]
        for part in parts[1:]:
            node = next((d for d in _nested_defs(node.body) if d.name == part), None)
            if node is None:
                return []
            path.append(node)
        return path


# The stand-in class a method is parsed inside when its class is split into pieces.
MEMBER_CLASS = "_litert_member_"


@dataclass
class Unit:
    """A piece of the document parsed on its own: a top-level block, or the header or one
    method of a class block (`header` is then the index of the class's header unit)."""

    line: int
    info: BlockInfo
    kind: str = "plain"  # "plain" | "header" | "member"
    header: int | None = None


def parse_member(text: str) -> BlockInfo:
    """One method (indented as in its class), parsed inside a stand-in class header."""
    info = parse_block(f"class {MEMBER_CLASS}:\n{text}")
    info.line_shift = -1
    if info.error is not None:
        line, column, end_line, end_column, message = info.error
        info.error = (max(line - 1, 1), column, max(end_line - 1, 1), end_column, message)
    return info


def parse_header(text: str, indent: str) -> BlockInfo:
    """A class's header (its methods come in other units), completed with a `pass`."""
    return parse_block(f"{text}{indent}pass\n")


def parse_block(text: str) -> BlockInfo:
    """Parse one block and summarize what it defines; never raises."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings of half-typed code are not ours to print
            tree = ast.parse(text)
    except SyntaxError as error:
        return BlockInfo(text, None, _error_span(error))
    except (ValueError, RecursionError, MemoryError) as error:  # null bytes, absurd nesting
        return BlockInfo(text, None, (1, 0, 1, 0, str(error) or type(error).__name__))
    return summarize(text, tree)


def summarize(text: str, tree: ast.Module) -> BlockInfo:
    """What the statements of `tree` (parsed from `text`, or cut from the module's tree)
    define: the summary `parse_block` gives, without parsing."""
    info = BlockInfo(text, tree, None)
    swaps_forward = ".forward" in text or '"forward"' in text  # cheap gate before walking defs
    for statement in tree.body:
        if isinstance(statement, _FUNCTION_TYPES):
            info.functions[statement.name] = statement
            info.returns[statement.name] = _may_return_tensor(statement)
            if info.returns[statement.name] and len(statement.body) <= _HELPER_STATEMENTS and _pure_python(statement):
                info.pure.add(statement.name)
            if swaps_forward:
                info.trace_roots.extend(_forward_swaps(statement))
        elif isinstance(statement, ast.ClassDef):
            methods = {s.name: s for s in statement.body if isinstance(s, _FUNCTION_TYPES)}
            init = methods.get("__init__")
            init_nodes = walk(init) if init else []  # one walk for the attribute tables below
            info.classes[statement.name] = ClassInfo(
                statement.name, statement, methods, _tensor_attributes(init_nodes),
                _callable_attributes(methods.values()), _class_dicts(statement.body),
                _static_attributes(init) if init else frozenset(), _layer_attributes(init_nodes),
            )
            for name, method in methods.items():
                info.returns[f"{statement.name}.{name}"] = _may_return_tensor(method)
                # Only short functions are size helpers worth the walk (forward never is one).
                if len(method.body) <= _HELPER_STATEMENTS and name != "forward" and _pure_python(method):
                    info.pure.add(f"{statement.name}.{name}")
        elif isinstance(statement, (ast.Assign, ast.AnnAssign)):
            _add_value(info, statement)
            if (
                isinstance(statement, ast.Assign)
                and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)
                and isinstance(statement.value, (ast.Name, ast.Attribute))
            ):
                info.aliases.append(statement)
    info.imports = list(_module_level_imports(tree.body))
    return info


# Values a call can be resolved through: a function name or partial, a registry (a dict of
# functions, an instance of a registry class), a lookup in one, a choice between them.
_CALLABLE_SHAPES = (ast.Name, ast.Attribute, ast.Call, ast.Subscript, ast.Dict, ast.IfExp, ast.BoolOp)


def _add_value(info: BlockInfo, statement: ast.Assign | ast.AnnAssign) -> None:
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    value = statement.value
    if value is None or not isinstance(value, _CALLABLE_SHAPES):
        return
    for target in targets:
        if isinstance(target, ast.Name):
            info.values[target.id] = value


def _nested_defs(body: list[ast.stmt]) -> Iterator[FunctionNode]:
    """Defs directly in a function's body (also under if/try/with), not inside other defs."""
    for statement in body:
        if isinstance(statement, _FUNCTION_TYPES):
            yield statement
        elif isinstance(statement, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            for name in ("body", "orelse", "finalbody"):
                yield from _nested_defs(getattr(statement, name, []))
            for handler in getattr(statement, "handlers", []):
                yield from _nested_defs(handler.body)


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement of a body, into compound statements but not into nested defs/classes."""
    for statement in body:
        yield statement
        if isinstance(statement, (*_FUNCTION_TYPES, ast.ClassDef)):
            continue
        for name in ("body", "orelse", "finalbody"):
            yield from _statements(getattr(statement, name, []))
        for handler in getattr(statement, "handlers", []):
            yield from _statements(handler.body)
        for case in getattr(statement, "cases", []):
            yield from _statements(case.body)


def _forward_swaps(function: FunctionNode, prefix: str = "") -> Iterator[str]:
    """Functions that `function` (a decorator) installs as a class's forward:
    `cls.forward = fn` / `setattr(cls, "forward", fn)`, with `fn` a def of the same scope
    (a nested qualname) or of the module (its plain name)."""
    qualname = f"{prefix}{function.name}"
    nested = {d.name for d in _nested_defs(function.body)}
    for statement in _statements(function.body):
        assigned = None
        if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Name) and any(
            isinstance(t, ast.Attribute) and t.attr == "forward" for t in statement.targets
        ):
            assigned = statement.value.id
        elif (
            isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)
            and isinstance(statement.value.func, ast.Name) and statement.value.func.id == "setattr"
            and len(statement.value.args) == 3 and isinstance(statement.value.args[1], ast.Constant)
            and statement.value.args[1].value == "forward" and isinstance(statement.value.args[2], ast.Name)
        ):
            assigned = statement.value.args[2].id
        if assigned is not None:
            yield f"{qualname}>{assigned}" if assigned in nested else assigned
    for inner in _nested_defs(function.body):
        yield from _forward_swaps(inner, f"{qualname}>")


def _callable_attributes(methods) -> dict[str, tuple[tuple[ast.expr, frozenset[str]], ...]]:
    """`self.attr = value` in any method but forward, for values shaped like a callable (see
    _CALLABLE_SHAPES); each with the method's local names, which must not be read as module
    names. A value rooted at a parameter (`self.config = config`) can name no function of
    the module and is left out."""
    found: dict[str, list[tuple[ast.expr, frozenset[str]]]] = {}
    for method in methods:
        if method.name == "forward":
            continue  # traced code does not set up callables; and it is the biggest method
        arguments = method.args
        params = {a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs}
        local: frozenset[str] | None = None
        pending = list(method.body)
        while pending:
            statement = pending.pop()
            if not isinstance(statement, ast.Assign):
                if isinstance(statement, _COMPOUND):
                    pending.extend(statement.body)
                    pending.extend(getattr(statement, "orelse", ()))
                    pending.extend(getattr(statement, "finalbody", ()))
                    for handler in getattr(statement, "handlers", ()):
                        pending.extend(handler.body)
                continue
            value = statement.value
            target = statement.targets[0]
            if not (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                    and target.value.id == "self" and isinstance(value, _CALLABLE_SHAPES)):
                continue
            if isinstance(value, ast.Call) and not _is_callable_factory(value):
                continue  # self.conv = nn.Conv2d(...): a layer, called as a submodule
            root = value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in params:
                continue  # self.config = config, self.eps = config.eps
            if local is None:
                local = _local_names(method)
            found.setdefault(target.attr, []).append((value, local))
    return {name: tuple(values) for name, values in found.items()}


_COMPOUND = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try)


def _is_callable_factory(call: ast.Call) -> bool:
    """partial(...) / getattr(...) / REGISTRY.get(...): calls whose result may be a function."""
    func = call.func
    if isinstance(func, ast.Name):
        # Any lower-case name may be partial imported under another name; a class (a layer)
        # is capitalized.
        return not func.id[:1].isupper()
    return isinstance(func, ast.Attribute) and (func.attr == "partial" or func.attr.startswith("get"))


def _local_names(function: FunctionNode) -> frozenset[str]:
    arguments = function.args
    names = {a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs}
    names.update(a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None)
    for statement in _statements(function.body):
        if isinstance(statement, ast.Assign):
            names.update(t.id for t in statement.targets if isinstance(t, ast.Name))
    return frozenset(names)


def _class_dicts(body: list[ast.stmt]) -> dict[str, ast.Dict]:
    found = {}
    for statement in body:
        if isinstance(statement, (ast.Assign, ast.AnnAssign)) and isinstance(statement.value, ast.Dict):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    found[target.id] = statement.value
    return found


def _error_span(error: SyntaxError) -> tuple[int, int, int, int, str]:
    line = error.lineno or 1
    column = max((error.offset or 1) - 1, 0)
    end_line = error.end_lineno or line
    end_column = max((error.end_offset or 0) - 1, 0)
    if (end_line, end_column) <= (line, column):
        end_line, end_column = line, column + 1
    return line, column, end_line, end_column, error.msg or "invalid syntax"


def _module_level_imports(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Imports at module level, also inside `if`/`try`/`with` (not inside defs)."""
    for statement in body:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            yield statement
        elif isinstance(statement, (ast.If, ast.Try, ast.With)) or type(statement).__name__ == "TryStar":
            for name in ("body", "orelse", "finalbody"):
                yield from _module_level_imports(getattr(statement, name, []))
            for handler in getattr(statement, "handlers", []):
                yield from _module_level_imports(handler.body)


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def _tensor_attributes(init_nodes: list[ast.AST]) -> frozenset[str]:
    """`self.w = nn.Parameter(...)`, `self.register_buffer("b", ...)`, `self.t = torch.ones(...)`
    (`init_nodes`: every node of `__init__`)."""
    found = set()
    for statement in init_nodes:
        if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call):
            name = _dotted(statement.value.func)
            last = name.rsplit(".", 1)[-1]
            if last == "Parameter" or (name.startswith("torch.") and last[:1].islower()):
                for target in statement.targets:
                    if (
                        isinstance(target, ast.Attribute)
                        and isinstance(target.value, ast.Name)
                        and target.value.id == "self"
                    ):
                        found.add(target.attr)
        elif (
            isinstance(statement, ast.Call)
            and isinstance(statement.func, ast.Attribute)
            and statement.func.attr in ("register_buffer", "register_parameter")
            and statement.args
            and isinstance(statement.args[0], ast.Constant)
            and isinstance(statement.args[0].value, str)
        ):
            found.add(statement.args[0].value)
    return frozenset(found)


def _layer_attributes(init_nodes: list[ast.AST]) -> dict[str, tuple[str, ...]]:
    """`self.conv = nn.Conv2d(...)`: attr -> the dotted callee names (see `ClassInfo`)."""
    found: dict[str, set[str]] = {}
    for statement in init_nodes:
        if not isinstance(statement, (ast.Assign, ast.AnnAssign)) or statement.value is None:
            continue
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        value = statement.value
        options = [value.body, value.orelse] if isinstance(value, ast.IfExp) else [value]
        builders = {_dotted(o.func) if isinstance(o, ast.Call) else "" for o in options}
        for target in targets:
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
                found.setdefault(target.attr, set()).update(builders)
    return {attr: tuple(sorted(names)) for attr, names in found.items()}


def _may_return_tensor(function: FunctionNode) -> bool:
    """False only when every `return` visibly gives a non-tensor (shapes, sizes, flags)."""
    annotation = function.returns
    if annotation is not None and _static_annotation(annotation):
        return False  # -> List[int], -> Tuple[int, int], -> Optional[int]
    if annotation is not None:
        text = _dotted(annotation) if isinstance(annotation, (ast.Name, ast.Attribute)) else ""
        if text.split(".")[-1] in ("int", "bool", "float", "str", "None", "Size"):
            return False
    values = list(_return_values(function.body))
    if not values:
        return False
    return not all(_visibly_non_tensor(v) for v in values)


# Annotations that name a static Python value (and containers of them).
_STATIC_TYPES = frozenset({
    "int", "float", "bool", "str", "List", "list", "Tuple", "tuple", "Sequence", "Optional",
    "Union", "Size", "dtype", "device", "Literal", "None",
})


def _static_annotation(annotation: ast.expr) -> bool:
    """`int`, `List[int]`, `Optional[Tuple[int, int]]`, `torch.Size`: a static value's type."""
    if not isinstance(annotation, ast.Subscript):
        return False  # plain names are judged by _may_return_tensor's own list
    for node in walk(annotation):
        if isinstance(node, ast.Name) and node.id not in _STATIC_TYPES and node.id not in ("typing", "torch"):
            return False
        if isinstance(node, ast.Attribute) and node.attr not in _STATIC_TYPES:
            return False
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return False
    return True


_PURE_CALLS = frozenset({
    "len", "int", "float", "bool", "str", "abs", "min", "max", "sum", "round", "divmod", "pow",
    "tuple", "list", "range", "zip", "enumerate", "sorted", "reversed", "isinstance",
})


_HELPER_STATEMENTS = 6


def _pure_python(function: FunctionNode) -> bool:
    """Whether the function computes only with Python values: every call is a size builtin
    or `math.*` (`def get_padding(k, s): return ((s - 1) + (k - 1)) // 2`)."""
    for node in walk(function):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in _PURE_CALLS:
                continue
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "math":
                continue
            return False
        if isinstance(node, (ast.Yield, ast.YieldFrom, ast.Await, ast.Lambda, ast.Global, ast.Nonlocal)):
            return False
    return True


def _static_attributes(init: FunctionNode) -> frozenset[str]:
    """`self.dim = dim`, `self.scale = 2 * math.pi`, `self.heads = config.num_heads`: attributes
    `__init__` sets only from Python values. An attribute assigned anything else anywhere in
    `__init__` is left out (unknown stays unknown)."""
    arguments = init.args
    plain = {a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs
             if a.annotation is None or not _mentions_tensor_type(a.annotation)}
    static: set[str] = set()
    other: set[str] = set()
    for statement in _statements(init.body):
        if isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)) and statement.value is not None:
            targets, value = [statement.target], statement.value
        else:
            continue
        for target in targets:
            elements = target.elts if isinstance(target, ast.Tuple) else [target]
            for element in elements:
                if (isinstance(element, ast.Attribute) and isinstance(element.value, ast.Name)
                        and element.value.id == "self"):
                    ok = not isinstance(target, ast.Tuple) and _python_value(value, plain)
                    (static if ok else other).add(element.attr)
    return frozenset(static - other)


_PYTHON_CALLS = frozenset({"int", "float", "bool", "str", "len", "min", "max", "abs", "round", "tuple", "list"})


def _python_value(node: ast.expr, plain: set[str]) -> bool:
    """Built only from literals, the given names, `config.x` fields, math and size builtins."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id in plain
    if isinstance(node, ast.Attribute):
        root = node
        while isinstance(root, ast.Attribute):
            root = root.value
        return isinstance(root, ast.Name) and (root.id == "math" or (root.id in plain and "config" in root.id))
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(_python_value(e, plain) for e in node.elts)
    if isinstance(node, ast.BinOp):
        return _python_value(node.left, plain) and _python_value(node.right, plain)
    if isinstance(node, ast.UnaryOp):
        return _python_value(node.operand, plain)
    if isinstance(node, ast.IfExp):
        return _python_value(node.body, plain) and _python_value(node.orelse, plain)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _PYTHON_CALLS:
        return all(_python_value(a, plain) for a in node.args) and not node.keywords
    return False


def _mentions_tensor_type(annotation: ast.expr) -> bool:
    return any(
        (isinstance(n, ast.Name) and "Tensor" in n.id) or (isinstance(n, ast.Attribute) and "Tensor" in n.attr)
        or (isinstance(n, ast.Constant) and isinstance(n.value, str) and "Tensor" in n.value)
        for n in walk(annotation)
    )


def _return_values(body: list[ast.stmt]) -> Iterator[ast.expr | None]:
    """Returned expressions, walking statements only (not expressions, not nested defs)."""
    for statement in body:
        if isinstance(statement, ast.Return):
            yield statement.value
        elif isinstance(statement, (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try)):
            for name in ("body", "orelse", "finalbody"):
                yield from _return_values(getattr(statement, name, []))
            for handler in getattr(statement, "handlers", []):
                yield from _return_values(handler.body)


def _visibly_non_tensor(node: ast.expr | None) -> bool:
    if node is None or isinstance(node, (ast.Constant, ast.JoinedStr)):
        return True
    if isinstance(node, ast.Tuple):
        return all(_visibly_non_tensor(e) for e in node.elts)
    if isinstance(node, ast.Subscript):
        return _visibly_non_tensor(node.value)
    if isinstance(node, ast.Attribute):
        return node.attr in _NON_TENSOR_ATTRS
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name):
            return func.id in _NON_TENSOR_CALLS
        if isinstance(func, ast.Attribute):
            return func.attr in _NON_TENSOR_ATTRS
    if isinstance(node, ast.BinOp):
        return _visibly_non_tensor(node.left) and _visibly_non_tensor(node.right)
    if isinstance(node, ast.Compare):
        return all(isinstance(op, (ast.Is, ast.IsNot, ast.In, ast.NotIn)) for op in node.ops)
    return False


@dataclass
class ModuleContext:
    """Module-wide facts, merged from the block summaries in document order."""

    imports: ImportTable
    # name -> index of the block defining it (the last definition wins, as in Python).
    functions: dict[str, int]
    function_nodes: dict[str, FunctionNode]
    classes: dict[str, int]
    class_info: dict[str, ClassInfo]
    module_classes: frozenset[str]
    returns: dict[str, bool]
    key: tuple
    # (class, method) -> unit defining it, when the class is split into units.
    method_units: dict[tuple[str, str], int] = field(default_factory=dict)
    # Module-level values calls resolve through (BlockInfo.values, the last one wins).
    values: dict[str, ast.expr] = field(default_factory=dict)
    # Functions a decorator installs as a class's forward: qualname -> block index.
    trace_roots: dict[str, int] = field(default_factory=dict)
    # Functions computing only with Python values (BlockInfo.pure).
    pure: frozenset[str] = frozenset()

    def resolve(self, node: ast.AST) -> str | None:
        return self.imports.resolve(node)

    def mro(self, class_name: str) -> list[str]:
        """The class and its file-local bases, depth-first, left to right."""
        order: list[str] = []
        pending = [class_name]
        while pending:
            name = pending.pop(0)
            if name in order or name not in self.class_info:
                continue
            order.append(name)
            bases = [b.id for b in self.class_info[name].node.bases if isinstance(b, ast.Name)]
            pending[0:0] = bases
        return order

    def find_method(self, class_name: str, method: str, skip_first: bool = False) -> str | None:
        """The local class defining `method` for `class_name` (None: not a local method)."""
        for index, name in enumerate(self.mro(class_name)):
            if skip_first and index == 0:
                continue
            if method in self.class_info[name].methods:
                return name
        return None

    def is_tensor_attr(self, class_name: str, attr: str) -> bool:
        return any(attr in self.class_info[name].tensor_attrs for name in self.mro(class_name))

    def layer_builders(self, class_name: str, attr: str) -> tuple[str, ...] | None:
        """What `__init__` of the class (or a local base) builds `self.attr` with (see `ClassInfo`)."""
        for name in self.mro(class_name):
            builders = self.class_info[name].layer_attrs.get(attr)
            if builders is not None:
                return builders
        return None

    def is_static_attr(self, class_name: str, attr: str) -> bool:
        """Set in `__init__` from Python values only (and never made a tensor)."""
        order = self.mro(class_name)
        if any(attr in self.class_info[name].tensor_attrs for name in order):
            return False
        return any(attr in self.class_info[name].static_attrs for name in order)


def build_context(units: list[Unit]) -> ModuleContext:
    imports = ImportTable()
    functions: dict[str, int] = {}
    function_nodes: dict[str, FunctionNode] = {}
    classes: dict[str, int] = {}
    class_info: dict[str, ClassInfo] = {}
    returns: dict[str, bool] = {}
    pure: set[str] = set()
    aliases: list[ast.Assign] = []
    method_units: dict[tuple[str, str], int] = {}
    values: dict[str, ast.expr] = {}
    value_texts: list[str] = []  # the text of blocks defining values: part of the key
    trace_roots: dict[str, int] = {}
    for index, unit in enumerate(units):
        block = unit.info
        if block.tree is None:
            continue
        if unit.kind == "member":
            _add_members(unit, index, units, class_info, method_units, returns, pure)
            continue
        imports.add_imports(block.imports)
        aliases.extend(block.aliases)
        for name, node in block.functions.items():
            functions[name] = index
            function_nodes[name] = node
            classes.pop(name, None)
            values.pop(name, None)
        if block.values:
            values.update(block.values)
            value_texts.append(block.text)
        for qualname in block.trace_roots:
            trace_roots[qualname] = index
        for name, info in block.classes.items():
            classes[name] = index
            # A copy: methods from member units are added to it, the cached one stays as is.
            class_info[name] = ClassInfo(name, info.node, dict(info.methods), info.tensor_attrs,
                                         dict(info.callable_attrs), info.class_dicts, info.static_attrs,
                                         dict(info.layer_attrs))
            functions.pop(name, None)
            function_nodes.pop(name, None)
        returns.update(block.returns)
        pure.update(block.pure)
    imports.add_module_aliases(aliases)
    module_classes = _module_classes(class_info, imports)
    for name, node in function_nodes.items():
        if _implements_forward(node, imports):
            trace_roots.setdefault(name, functions[name])
    key = (
        tuple(sorted(imports.names.items())),
        tuple(sorted(functions)),
        tuple(sorted(
            (name, tuple(_dotted(b) for b in info.node.bases), tuple(info.methods), info.tensor_attrs,
             info.static_attrs, tuple(sorted(info.layer_attrs.items())))
            for name, info in class_info.items()
        )),
        module_classes,
        tuple(sorted(returns.items())),
        tuple(sorted(pure)),
        tuple(value_texts),
        tuple(sorted(trace_roots)),
        tuple(sorted(
            (name, tuple((attr, tuple(ast.dump(v) for v, _ in assigned)) for attr, assigned in info.callable_attrs.items()),
             tuple((attr, ast.dump(d)) for attr, d in info.class_dicts.items()))
            for name, info in class_info.items() if info.callable_attrs or info.class_dicts
        )),
    )
    return ModuleContext(
        imports, functions, function_nodes, classes, class_info, module_classes, returns, key, method_units,
        values, trace_roots, pure=frozenset(pure),
    )


def _add_members(unit: Unit, index: int, units: list[Unit], class_info: dict[str, ClassInfo],
                 method_units: dict[tuple[str, str], int], returns: dict[str, bool],
                 pure: set[str]) -> None:
    """Attach the methods of a member unit to the class of its header unit."""
    header = units[unit.header].info if unit.header is not None else None
    if header is None or header.tree is None or len(header.classes) != 1:
        return
    class_name = next(iter(header.classes))
    target = class_info.get(class_name)
    stand_in = unit.info.classes.get(MEMBER_CLASS)
    if target is None or stand_in is None:
        return
    for name, node in stand_in.methods.items():
        target.methods[name] = node
        method_units[(class_name, name)] = index
        returns[f"{class_name}.{name}"] = unit.info.returns.get(f"{MEMBER_CLASS}.{name}", True)
        if f"{MEMBER_CLASS}.{name}" in unit.info.pure:
            pure.add(f"{class_name}.{name}")
    if "__init__" in stand_in.methods:
        target.tensor_attrs = target.tensor_attrs | stand_in.tensor_attrs
        target.static_attrs = target.static_attrs | stand_in.static_attrs
        target.layer_attrs = {**target.layer_attrs, **stand_in.layer_attrs}
    for attr, assigned in stand_in.callable_attrs.items():
        target.callable_attrs[attr] = target.callable_attrs.get(attr, ()) + assigned


def _implements_forward(function: FunctionNode, imports: ImportTable) -> bool:
    """`def attention_forward(module: nn.Module, query: Tensor, ...) -> Tensor`: a module-level
    function whose first parameter is annotated as a torch module and its second as a tensor
    (returning tensors, if annotated) is some module's forward, installed or picked from a registry
    elsewhere (often in another file), so it is traced code."""
    positional = function.args.posonlyargs + function.args.args
    if len(positional) < 2 or positional[0].annotation is None:
        return False
    # A forward takes tensors and gives them back; a utility taking a model (export,
    # parameter groups, device maps) takes other things and returns other things.
    first_input = positional[1].annotation
    if first_input is None or not _mentions_tensor_type(first_input):
        return False
    if function.returns is not None and not _mentions_tensor_type(function.returns):
        return False
    annotation = positional[0].annotation
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        return annotation.value in ("nn.Module", "torch.nn.Module")
    qualified = imports.resolve(annotation)
    return qualified is not None and qualified in TORCH_MODULE_BASES


def _module_classes(class_info: dict[str, ClassInfo], imports: ImportTable) -> frozenset[str]:
    """Classes deriving from torch.nn.Module, through file-local bases in any order."""
    classes = {name: info.node for name, info in class_info.items()}
    found = deriving_classes(classes, imports.resolve, lambda qualified: matches_root(qualified, TORCH_MODULE_BASES))
    return frozenset(found)
