"""Which expressions of a traced TensorFlow function hold tensor values.

A static guess, tuned to stay quiet when unsure: a name is a tensor when it is a tensor
parameter or was assigned something tensor-valued anywhere in the function (flow-insensitive,
because a branch that makes a name a tensor is enough for a later `if name:` to fail).

Tensor-valued: tensor names; calls of `tf.*` / `keras.ops.*` functions; method calls on
tensors (except the few that return Python objects); subscripts, arithmetic and comparisons
involving tensors; calls of layers or helpers that take a tensor.
Not tensor-valued: `x.shape`, `x.dtype`, `x.shape[0]`, `len(x)`, `x is None`, literals,
`ops.ndim(x)`, dtype strings and flags computed from them (`standardize_dtype(x.dtype) ==
"float16"`), and a Keras `call`'s arguments after the first (Keras turns only arrays into
tensors; `dim=256` stays an int).

Fixed (known while tracing, `is_fixed`): literals, static metadata, configuration
(`self.units` set from a constructor argument, `self.compute_dtype`), module constants, and
tf / keras.ops calls on nothing else, which the converter folds. `kind()` combines both
into the shared `ValueKind` (analysis/value_kinds.py).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable

from litert_lsp.analysis.names import ImportTable
from litert_lsp.analysis.syntax_walk import children
from litert_lsp.analysis.value_kinds import ValueKind

# Namespaces whose lowercase functions return tensors.
_TENSOR_NAMESPACES = ("tf.", "keras.ops.", "keras.backend.", "keras.random.", "keras.Input", "keras.layers.Input")

# Functions in those namespaces that return Python objects, not tensors. The keras.ops and
# keras.backend ones read a tensor's static metadata or the configuration (Keras 3:
# `ops.ndim` is `len(x.shape)`, `ops.shape` a tuple of ints where the shape is known,
# every public `keras.backend` function is a dtype or config utility).
_PYTHON_RESULTS = frozenset({
    "tf.executing_eagerly", "tf.is_tensor", "tf.as_dtype", "tf.dtypes.as_dtype", "tf.function",
    "tf.get_static_value", "tf.is_symbolic_tensor", "tf.shape_n", "tf.config", "tf.print",
    "tf.name_scope", "tf.control_dependencies", "tf.device", "tf.init_scope", "tf.inside_function",
    "keras.backend.backend", "keras.backend.image_data_format", "keras.backend.floatx",
    "keras.backend.epsilon", "keras.backend.standardize_dtype", "keras.backend.result_type",
    "keras.backend.get_uid", "keras.backend.clear_session", "keras.backend.int_shape",
    "keras.backend.ndim", "keras.backend.dtype",
    # keras.src.backend's own helpers, which Keras' ops call first (`if any_symbolic_tensors(
    # (x,)):` picks the symbolic path in keras/src/ops/*.py): Python flags and normalised names.
    "keras.backend.any_symbolic_tensors", "keras.backend.standardize_data_format",
    "keras.backend.standardize_shape", "keras.backend.name_scope", "keras.backend.device",
    "keras.backend.in_stateless_scope", "keras.backend.get_stateless_scope",
    "keras.ops.shape", "keras.ops.ndim", "keras.ops.dtype", "keras.ops.convert_to_numpy",
    "tf.nest.flatten", "tf.nest.map_structure",
})
_PYTHON_PREFIXES = ("tf.data.", "tf.io.gfile.", "tf.config.", "tf.saved_model.", "tf.lite.", "tf.train.",
                    "tf.summary.", "tf.nest.", "tf.distribute.",
                    "tf.autograph.", "tf.compat.v1.logging.", "keras.backend.is_", "keras.backend.set_",
                    "keras.ops.is_tensor", "keras.config.", "keras.utils.", "keras.tree.")

# Python results that depend on nothing but static metadata or configuration: a value
# computed from them is known while tracing (`ops.shape` is not: a dimension unknown when
# tracing comes back as a tensor).
_STATIC_RESULTS = (_PYTHON_RESULTS - {"keras.ops.shape", "keras.ops.convert_to_numpy", "tf.get_static_value",
                                      "tf.nest.flatten", "tf.nest.map_structure", "tf.shape_n"})
# Builtins whose result is known while tracing when their arguments are, and the ones whose
# result is known even for a tensor argument (its static length / type).
_FOLDING_BUILTINS = frozenset({"int", "float", "bool", "str", "abs", "min", "max", "round", "sum",
                               "tuple", "list", "range", "divmod", "pow"})
_METADATA_BUILTINS = frozenset({"len", "isinstance", "hasattr", "type", "callable", "id"})
# Attributes of a tensor (and of a Keras layer, on `self`) that are Python metadata.
_METADATA_ATTRIBUTES = frozenset({"shape", "dtype", "ndim", "rank", "compute_dtype", "variable_dtype",
                                  "dtype_policy", "name", "trainable", "built", "supports_masking"})

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
                 callee: CalleeOracle | None = None, symbolic: bool = False,
                 fixed_attributes: Iterable[str] = (), fixed_globals: Iterable[str] = ()) -> None:
        self.imports = imports
        # Names whose every assignment is known while tracing (a Python value, or a tensor
        # made only of such values), and `self.` attributes holding configuration.
        self.fixed: set[str] = set()
        self.parameters: set[str] = set()
        self.fixed_attributes = frozenset(fixed_attributes)
        self.fixed_globals = frozenset(fixed_globals)
        # Symbolic mode (Keras functional building): only Keras tensors count, i.e. what comes
        # from `keras.Input` through layers, `keras.ops` and arithmetic; eager tf.* results do not.
        self.symbolic = symbolic
        self.names: set[str] = set(seeds)
        self.structured: set[str] = set(structured)
        self.sequences: set[str] = set()
        self.layers: set[str] = set()  # names bound to layer/model objects: calling them gives tensors
        self.callee = callee

    def learn(self, body: list[ast.stmt], parameters: Iterable[str] = ()) -> None:
        """Grow the tensor names from the assignments of `body` until nothing changes, then
        find the names whose values are all fixed (`parameters` never are)."""
        self.parameters = set(parameters) | self.names | self.structured
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
        self._learn_fixed(assignments)

    def _learn_fixed(self, assignments: list[tuple[list[ast.AST], ast.AST]]) -> None:
        """Largest set of assigned names all of whose values are fixed (the loop removes the
        names with one value that is not; it converges from above)."""
        by_name: dict[str, list[ast.AST]] = {}
        for targets, value in assignments:
            for target in targets:
                for name in _target_names(target):
                    by_name.setdefault(name, []).append(value)
        # A parameter holds whatever the caller passes: never assumed fixed.
        self.fixed = set(by_name) - self.parameters
        while True:  # shrinks every round, so it ends
            removed = {name for name in self.fixed if not all(self.is_fixed(v) for v in by_name[name])}
            if not removed:
                break
            self.fixed -= removed

    def kind(self, node: ast.AST | None) -> ValueKind:
        """The shared value kind of an expression (see `analysis/value_kinds.py`)."""
        fixed = node is not None and self.is_fixed(node)
        if self.is_tensor(node):
            return ValueKind.CONSTANT if fixed else ValueKind.TENSOR
        return ValueKind.STATIC if fixed else ValueKind.UNKNOWN

    def is_fixed(self, node: ast.AST) -> bool:
        """Whether the expression's value is known while tracing: literals, dtypes, static
        metadata (`x.shape[-1]`, `len(x)`, `ops.ndim(x)`), configuration (`self.units`,
        `self.compute_dtype`), and tf / keras.ops calls on nothing else, which the converter
        folds into constants (measured: `tf.range(3)`, `tf.linalg.svd` of a literal)."""
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            return all(self.is_fixed(e.value if isinstance(e, ast.Starred) else e) for e in node.elts)
        if isinstance(node, ast.Name):
            if node.id in self.fixed or node.id in self.fixed_globals:
                return True
            # `tf.float32` and friends; any other name may hold a tensor.
            return (self.imports.resolve_canonical(node) or "").startswith("tf.")
        if isinstance(node, ast.Attribute):
            resolved = self.imports.resolve_canonical(node)
            if resolved is not None:
                return resolved.startswith(("tf.", "keras."))
            if isinstance(node.value, ast.Name) and node.value.id == "self":
                return node.attr in self.fixed_attributes or node.attr in _METADATA_ATTRIBUTES
            return node.attr in _METADATA_ATTRIBUTES or (
                node.attr not in _TENSOR_ATTRIBUTES and self.is_fixed(node.value)
            )
        if isinstance(node, ast.Subscript):
            return self.is_fixed(node.value) and self.is_fixed(node.slice)
        if isinstance(node, ast.Slice):
            return all(part is None or self.is_fixed(part) for part in (node.lower, node.upper, node.step))
        if isinstance(node, ast.BinOp):
            return self.is_fixed(node.left) and self.is_fixed(node.right)
        if isinstance(node, ast.UnaryOp):
            return self.is_fixed(node.operand)
        if isinstance(node, ast.BoolOp):
            return all(self.is_fixed(v) for v in node.values)
        if isinstance(node, ast.Compare):
            return all(self.is_fixed(v) for v in (node.left, *node.comparators))
        if isinstance(node, ast.IfExp):
            return all(self.is_fixed(v) for v in (node.test, node.body, node.orelse))
        if isinstance(node, ast.JoinedStr):
            return all(self.is_fixed(v.value) for v in node.values if isinstance(v, ast.FormattedValue))
        if isinstance(node, ast.Call):
            return self._call_is_fixed(node)
        return False

    def _call_is_fixed(self, node: ast.Call) -> bool:
        arguments = [a.value if isinstance(a, ast.Starred) else a for a in [*node.args, *(k.value for k in node.keywords)]]
        name = self.imports.resolve_canonical(node.func)
        if name is None:
            if isinstance(node.func, ast.Name) and node.func.id in _METADATA_BUILTINS:
                return True
            if isinstance(node.func, ast.Name) and node.func.id in _FOLDING_BUILTINS:
                return all(self.is_fixed(a) for a in arguments)
            return False
        if name in _STATIC_RESULTS or name.startswith(("keras.backend.is_", "keras.config.")):
            return True
        if "random" in name or not is_tensor_op_name(name):
            return False
        return bool(arguments) and all(self.is_fixed(a) for a in arguments)

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
        stack.extend(children(node))


def _target_names(target: ast.AST) -> Iterable[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _target_names(element)
    elif isinstance(target, ast.Starred):
        yield from _target_names(target.value)
