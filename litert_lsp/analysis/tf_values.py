"""Which expressions of a traced TensorFlow function hold tensor values.

A static guess, tuned to stay quiet when unsure: a name is a tensor when it is a tensor
parameter or was assigned something tensor-valued anywhere in the function (flow-insensitive,
because a branch that makes a name a tensor is enough for a later `if name:` to fail).

Tensor-valued: tensor names; calls of `tf.*` / `keras.ops.*` functions; method calls on
tensors (except the few that return Python objects); subscripts, arithmetic and comparisons
involving tensors; calls of layers or helpers that take a tensor.
Not tensor-valued: `x.shape`, `x.dtype`, `x.shape[0]`, `len(x)`, `x is None`, literals.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from litert_lsp.analysis.names import ImportTable

# Namespaces whose lowercase functions return tensors.
_TENSOR_NAMESPACES = ("tf.", "keras.ops.", "keras.backend.", "keras.random.", "keras.Input", "keras.layers.Input")

# Functions in those namespaces that return Python objects, not tensors.
_PYTHON_RESULTS = frozenset({
    "tf.executing_eagerly", "tf.is_tensor", "tf.as_dtype", "tf.function", "tf.get_static_value",
    "tf.is_symbolic_tensor", "tf.shape_n", "tf.config", "tf.print", "tf.name_scope",
    "tf.control_dependencies", "tf.device", "tf.init_scope", "keras.backend.backend",
    "keras.backend.image_data_format", "keras.backend.floatx", "keras.backend.epsilon",
    "keras.ops.shape", "keras.backend.int_shape", "tf.nest.flatten", "tf.nest.map_structure",
})
_PYTHON_PREFIXES = ("tf.data.", "tf.io.gfile.", "tf.config.", "tf.saved_model.", "tf.lite.", "tf.train.",
                    "tf.summary.", "tf.nest.", "tf.distribute.",
                    "tf.autograph.", "tf.compat.v1.logging.")

# Attributes of a tensor that are Python objects.
_PYTHON_ATTRIBUTES = frozenset({"shape", "dtype", "ndim", "name", "device", "graph", "op", "rank"})
# Methods of a tensor that return Python objects.
_PYTHON_METHODS = frozenset({"get_shape", "numpy", "as_list", "is_fully_defined", "__len__"})

# Builtins whose result is a Python value (the ones that *need* a value are rules, not here).
_PYTHON_BUILTINS = frozenset({
    "len", "isinstance", "hasattr", "getattr", "type", "id", "repr", "str", "print", "range",
    "int", "float", "bool", "complex", "callable", "super", "enumerate", "zip", "list", "tuple",
    "dict", "set", "sorted", "min", "max", "sum", "abs", "any", "all", "format",
})


def is_tensor_op_name(name: str) -> bool:
    """Whether a canonical function name, when called, returns a tensor."""
    if name in _PYTHON_RESULTS or name.startswith(_PYTHON_PREFIXES):
        return False
    if name in ("keras.Input", "keras.layers.Input"):
        return True
    if not name.startswith(_TENSOR_NAMESPACES):
        return False
    last = name.rsplit(".", 1)[-1]
    # Capitalised: a class (TensorSpec, Variable is the exception: it holds a tensor).
    return last == "Variable" or last[:1].islower()


class TensorValues:
    """Tensor-valued names of one function and a predicate for its expressions."""

    def __init__(self, imports: ImportTable, seeds: Iterable[str] = ()) -> None:
        self.imports = imports
        self.names: set[str] = set(seeds)

    def learn(self, body: list[ast.stmt]) -> None:
        """Grow the tensor names from the assignments of `body` until nothing changes."""
        assignments = list(_assignments(body))
        for _ in range(8):  # chains of assignments converge in a few rounds
            before = len(self.names)
            for targets, value in assignments:
                if self.is_tensor(value):
                    for target in targets:
                        for name in _target_names(target):
                            self.names.add(name)
            if len(self.names) == before:
                break

    def is_tensor(self, node: ast.AST | None) -> bool:
        if node is None:
            return False
        if isinstance(node, ast.Name):
            return node.id in self.names
        if isinstance(node, ast.Constant):
            return False
        if isinstance(node, ast.Attribute):
            if node.attr in _PYTHON_ATTRIBUTES:
                return False
            # `x.T`: an attribute of a tensor that is not metadata is a tensor.
            return self.is_tensor(node.value)
        if isinstance(node, ast.Subscript):
            return self.is_tensor(node.value)
        if isinstance(node, ast.BinOp):
            return self.is_tensor(node.left) or self.is_tensor(node.right)
        if isinstance(node, ast.UnaryOp):
            return self.is_tensor(node.operand)
        if isinstance(node, ast.BoolOp):
            return any(self.is_tensor(v) for v in node.values)
        if isinstance(node, ast.Compare):
            if any(isinstance(op, (ast.Is, ast.IsNot, ast.In, ast.NotIn)) for op in node.ops):
                return False
            return any(self.is_tensor(v) for v in (node.left, *node.comparators))
        if isinstance(node, ast.IfExp):
            return self.is_tensor(node.body) or self.is_tensor(node.orelse)
        if isinstance(node, ast.NamedExpr):
            return self.is_tensor(node.value)
        if isinstance(node, ast.Call):
            return self._call_is_tensor(node)
        return False

    def _call_is_tensor(self, node: ast.Call) -> bool:
        func = node.func
        name = self.imports.resolve_canonical(func)
        if name is not None:
            if is_tensor_op_name(name):
                return True
            if name.startswith(("numpy.", "math.")):
                return False
        if isinstance(func, ast.Name) and func.id in _PYTHON_BUILTINS and name is None:
            return False
        if isinstance(func, ast.Attribute) and self.is_tensor(func.value):
            return func.attr not in _PYTHON_METHODS
        # A layer, a model or a helper applied to a tensor gives a tensor.
        arguments = [*node.args, *(k.value for k in node.keywords)]
        return any(
            self.is_tensor(a.value if isinstance(a, ast.Starred) else a) for a in arguments
        )


def _assignments(body: list[ast.stmt]) -> Iterable[tuple[list[ast.AST], ast.AST]]:
    """(targets, value) pairs of a function body, not entering nested functions/classes."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Assign):
            yield list(node.targets), node.value
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
            yield [node.target], node.value
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            # Iterating a tensor (or tf.range) yields tensors.
            yield [node.target], node.iter
        elif isinstance(node, ast.With):
            for item in node.items:
                if item.optional_vars is not None:
                    yield [item.optional_vars], item.context_expr
        stack.extend(ast.iter_child_nodes(node))


def _target_names(target: ast.AST) -> Iterable[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _target_names(element)
    elif isinstance(target, ast.Starred):
        yield from _target_names(target.value)
