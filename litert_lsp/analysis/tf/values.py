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
from collections.abc import Callable, Iterable

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

# Attributes of a tensor that are tensors themselves.
_TENSOR_ATTRIBUTES = frozenset({"T", "mT", "H", "real", "imag"})
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


# TensorFlow functions that return a Python list/tuple of tensors: iterating or unpacking
# their result is plain Python, not a use of a tensor's value.
SEQUENCE_RESULTS = frozenset({
    "tf.unstack", "tf.split", "tf.meshgrid", "tf.dynamic_partition", "tf.unique", "tf.unique_with_counts",
    "tf.math.top_k", "tf.nn.top_k", "tf.nn.moments", "tf.linalg.eigh", "tf.linalg.svd", "tf.linalg.qr",
    "tf.shape_n", "tf.identity_n", "keras.ops.split", "keras.ops.unstack", "keras.ops.top_k",
})

# Answers "does calling this local function/method with these tensor arguments return a
# tensor?"; None when the callee is not a function of this file.
CalleeOracle = Callable[[ast.Call, "TensorValues"], "bool | None"]


class TensorValues:
    """Tensor-valued names of one function and a predicate for its expressions.

    `structured` names are parameters that may hold a list/dict of tensors (a Keras `call`'s
    inputs): truth tests and iteration on them alone are not reported.
    """

    def __init__(self, imports: ImportTable, seeds: Iterable[str] = (), structured: Iterable[str] = (),
                 callee: CalleeOracle | None = None, symbolic: bool = False) -> None:
        self.imports = imports
        # Symbolic mode (Keras functional building): only Keras tensors count, i.e. what comes
        # from `keras.Input` through layers, `keras.ops` and arithmetic; eager tf.* results do not.
        self.symbolic = symbolic
        self.names: set[str] = set(seeds)
        self.structured: set[str] = set(structured)
        self.sequences: set[str] = set()
        self.layers: set[str] = set()  # names bound to layer/model objects: calling them gives tensors
        self.callee = callee

    def learn(self, body: list[ast.stmt]) -> None:
        """Grow the tensor names from the assignments of `body` until nothing changes."""
        assignments = list(_assignments(body))
        for targets, value in assignments:
            if isinstance(value, ast.Call) and len(targets) == 1 and isinstance(targets[0], ast.Name):
                if _constructs_object(value.func, self.imports):
                    self.layers.add(targets[0].id)
                elif (self.imports.resolve_canonical(value.func) or "") in SEQUENCE_RESULTS:
                    self.sequences.add(targets[0].id)
        for _ in range(8):  # chains of assignments converge in a few rounds
            before = len(self.names)
            for targets, value in assignments:
                if self.is_tensor(value):
                    for target in targets:
                        for name in _target_names(target):
                            if name not in self.sequences:
                                self.names.add(name)
            if len(self.names) == before:
                break

    def is_sure_tensor(self, node: ast.AST | None) -> bool:
        """A tensor and not possibly a list of them: safe to report truth tests and loops on."""
        base = node.value if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice) else node
        if isinstance(base, ast.Name) and (base.id in self.structured or base.id in self.sequences):
            return False  # the list itself, or a slice of it
        if isinstance(node, ast.Call) and (self.imports.resolve_canonical(node.func) or "") in SEQUENCE_RESULTS:
            return False
        return self.is_tensor(node)

    def is_tensor(self, node: ast.AST | None) -> bool:
        if node is None:
            return False
        if isinstance(node, ast.Name):
            return node.id in self.names
        if isinstance(node, ast.Constant):
            return False
        if isinstance(node, ast.Attribute):
            # `x.T`, `x.real`: the few tensor attributes that are tensors (the rest is metadata).
            return node.attr in _TENSOR_ATTRIBUTES and self.is_tensor(node.value)
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

    def _any_tensor_argument(self, node: ast.Call) -> bool:
        arguments = [*node.args, *(k.value for k in node.keywords)]
        return any(self.is_tensor(a.value if isinstance(a, ast.Starred) else a) for a in arguments)

    def _call_is_tensor(self, node: ast.Call) -> bool:
        func = node.func
        name = self.imports.resolve_canonical(func)
        if name is not None:
            if self.symbolic:
                if name in ("keras.Input", "keras.layers.Input"):
                    return True
                return name.startswith("keras.ops.") and self._any_tensor_argument(node)
            return is_tensor_op_name(name)
        if isinstance(func, ast.Call):
            # `layers.Dense(4)(x)`, `Block()(x)`: a layer applied to a tensor.
            return self._any_tensor_argument(node)
        if self.callee is not None:
            local = self.callee(node, self)
            if local is not None:
                return local
        if isinstance(func, ast.Name):
            if func.id in _PYTHON_BUILTINS:
                return False
            return func.id in self.layers and self._any_tensor_argument(node)
        if isinstance(func, ast.Attribute):
            if self.is_tensor(func.value):
                return func.attr not in _PYTHON_METHODS
            if isinstance(func.value, ast.Name) and func.value.id == "self":
                # `self.dense(x)`: a layer held by the object, applied to a tensor.
                return self._any_tensor_argument(node)
        # Anything else (`backend.is_tensor(x)`, a library helper) is unknown: not a tensor.
        return False


def _constructs_object(func: ast.AST, imports: ImportTable) -> bool:
    """`layers.Dense(...)`, `Block(...)`, `keras.Sequential(...)`: a capitalised callee."""
    name = imports.resolve_canonical(func)
    last = (name or "").rsplit(".", 1)[-1] if name else (
        func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    )
    return last[:1].isupper()


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
