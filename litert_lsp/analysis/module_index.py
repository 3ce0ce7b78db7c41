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
        if "." in qualname:
            class_name, method = qualname.split(".", 1)
            info = self.classes.get(class_name) or self.classes.get(MEMBER_CLASS)
            return info.methods.get(method) if info else None
        return self.functions.get(qualname)


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
    info = BlockInfo(text, tree, None)
    for statement in tree.body:
        if isinstance(statement, _FUNCTION_TYPES):
            info.functions[statement.name] = statement
            info.returns[statement.name] = _may_return_tensor(statement)
        elif isinstance(statement, ast.ClassDef):
            methods = {s.name: s for s in statement.body if isinstance(s, _FUNCTION_TYPES)}
            init = methods.get("__init__")
            info.classes[statement.name] = ClassInfo(
                statement.name, statement, methods, _tensor_attributes(init) if init else frozenset()
            )
            for name, method in methods.items():
                info.returns[f"{statement.name}.{name}"] = _may_return_tensor(method)
        elif (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
            and isinstance(statement.value, (ast.Name, ast.Attribute))
        ):
            info.aliases.append(statement)
    info.imports = list(_module_level_imports(tree.body))
    return info


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


def _tensor_attributes(init: FunctionNode) -> frozenset[str]:
    """`self.w = nn.Parameter(...)`, `self.register_buffer("b", ...)`, `self.t = torch.ones(...)`."""
    found = set()
    for statement in ast.walk(init):
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


def _may_return_tensor(function: FunctionNode) -> bool:
    """False only when every `return` visibly gives a non-tensor (shapes, sizes, flags)."""
    annotation = function.returns
    if annotation is not None:
        text = _dotted(annotation) if isinstance(annotation, (ast.Name, ast.Attribute)) else ""
        if text.split(".")[-1] in ("int", "bool", "float", "str", "None", "Size"):
            return False
    values = list(_return_values(function.body))
    if not values:
        return False
    return not all(_visibly_non_tensor(v) for v in values)


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


def build_context(units: list[Unit]) -> ModuleContext:
    imports = ImportTable()
    functions: dict[str, int] = {}
    function_nodes: dict[str, FunctionNode] = {}
    classes: dict[str, int] = {}
    class_info: dict[str, ClassInfo] = {}
    returns: dict[str, bool] = {}
    aliases: list[ast.Assign] = []
    method_units: dict[tuple[str, str], int] = {}
    for index, unit in enumerate(units):
        block = unit.info
        if block.tree is None:
            continue
        if unit.kind == "member":
            _add_members(unit, index, units, class_info, method_units, returns)
            continue
        imports.add_imports(block.imports)
        aliases.extend(block.aliases)
        for name, node in block.functions.items():
            functions[name] = index
            function_nodes[name] = node
            classes.pop(name, None)
        for name, info in block.classes.items():
            classes[name] = index
            # A copy: methods from member units are added to it, the cached one stays as is.
            class_info[name] = ClassInfo(name, info.node, dict(info.methods), info.tensor_attrs)
            functions.pop(name, None)
            function_nodes.pop(name, None)
        returns.update(block.returns)
    imports.add_module_aliases(aliases)
    module_classes = _module_classes(class_info, imports)
    key = (
        tuple(sorted(imports.names.items())),
        tuple(sorted(functions)),
        tuple(sorted(
            (name, tuple(_dotted(b) for b in info.node.bases), tuple(info.methods), info.tensor_attrs)
            for name, info in class_info.items()
        )),
        module_classes,
        tuple(sorted(returns.items())),
    )
    return ModuleContext(
        imports, functions, function_nodes, classes, class_info, module_classes, returns, key, method_units
    )


def _add_members(unit: Unit, index: int, units: list[Unit], class_info: dict[str, ClassInfo],
                 method_units: dict[tuple[str, str], int], returns: dict[str, bool]) -> None:
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
    if "__init__" in stand_in.methods:
        target.tensor_attrs = target.tensor_attrs | stand_in.tensor_attrs


def _module_classes(class_info: dict[str, ClassInfo], imports: ImportTable) -> frozenset[str]:
    """Classes deriving from torch.nn.Module, through file-local bases in any order."""
    classes = {name: info.node for name, info in class_info.items()}
    found = deriving_classes(classes, imports.resolve, lambda qualified: matches_root(qualified, TORCH_MODULE_BASES))
    return frozenset(found)
