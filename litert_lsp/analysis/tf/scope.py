"""Where a TensorFlow / Keras module holds code that becomes a LiteRT graph.

Roots (each is a `Context`):
  * bodies of `tf.function`s: decorated in any spelling (with or without arguments) or wrapped
    as `tf.function(f)` / `tf.function(...)(f)`; AutoGraph converts their Python control flow
    unless `autograph=False`;
  * `call` of classes deriving (also through classes of the same file) from a Keras layer or
    model; Keras 3 traces `call` *without* AutoGraph (measured: a Python `if` on a tensor in
    `call` fails, even when the model is called from a `tf.function`);
  * functions (and module code) that build Keras models: they call `keras.Input`,
    `keras.Sequential` or `keras.Model`; the layers they construct are the model;
  * `__init__` / `build` of Keras and tf.Module classes, where layers are constructed.
From the traced roots, everything they call in the file (helpers, `self.` methods, functions
passed to `tf.map_fn` / `tf.cond`, lambdas) is traced as well.

Left alone: training steps (GradientTape, `apply_gradients`, `fit`), `tf.data` pipelines
(functions given to `Dataset.map` and friends), and everything not reached from a root.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from litert_lsp.analysis.derivation import deriving_classes
from litert_lsp.analysis.names import ImportTable
from litert_lsp.analysis.syntax_walk import children, walk

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
Scope = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.Module

# Kinds of context, by what is checked in them.
TRACED = "traced"          # every rule: ops, constructs, values
BUILDER = "builder"        # Keras model building: layers, and ops applied to model tensors
SETUP = "setup"            # layer construction in __init__/build: layers only

_TF_FUNCTION = frozenset({"tf.function", "tf.compat.v2.function"})
_DO_NOT_CONVERT = frozenset({"tf.autograph.experimental.do_not_convert"})
_MODEL_BUILDERS = frozenset({
    "keras.Input", "keras.layers.Input", "keras.Sequential", "keras.models.Sequential",
    "keras.Model", "keras.models.Model",
})
_KERAS_BASE_PREFIXES = ("keras.layers.", "keras.models.", "keras.src.")
# keras-hub's layers and models all derive from Keras layers (keras_hub.src.layers.modeling...,
# keras_hub.src.models.backbone.Backbone, one model's attention subclassing another's). Its
# tokenizers, preprocessors and image/audio converters are Keras layers too, but they run in
# the input pipeline (tf.data), never in the exported model: keras-hub names their modules
# and classes by that role.
_KERAS_HUB = "keras_hub."
_KERAS_HUB_PIPELINE = ("preprocessor", "tokenizer", "converter")
_KERAS_BASES = frozenset({"keras.Layer", "keras.Model", "keras.Sequential", "keras.Functional"})
_TF_MODULE_BASES = frozenset({"tf.Module", "tf.experimental.Module"})
# Signs that a function trains or feeds a model rather than being part of it.
_TRAINING_CALLS = frozenset({"tf.GradientTape"})
_TRAINING_METHODS = frozenset({"apply_gradients", "fit", "minimize", "train_on_batch", "fit_generator",
                               "compile", "evaluate"})
_PIPELINE_METHODS = frozenset({"map", "filter", "flat_map", "interleave", "scan", "reduce", "apply",
                               "from_generator", "py_function"})


@dataclass(frozen=True)
class Context:
    """One scope analyzed under one set of assumptions."""

    scope: Scope
    kind: str
    autograph: bool
    tensor_params: frozenset[str]
    # Why the scope is analyzed, in words ("tf.function", "Keras call", "model builder", ...).
    origin: str
    cls: ast.ClassDef | None = None
    # Tensor parameters that may also be lists/dicts of tensors (a Keras `call`'s inputs).
    structured_params: frozenset[str] = frozenset()


def body_of(scope: Scope) -> list[ast.stmt]:
    if isinstance(scope, ast.Lambda):
        return [ast.Expr(scope.body)]
    return list(scope.body)


NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def walk_own(nodes: Iterable[ast.AST]) -> Iterable[ast.AST]:
    """Every node under `nodes`, not entering nested functions, lambdas or classes."""
    stack = [n for n in nodes if not isinstance(n, NESTED)]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(child for child in children(node) if not isinstance(child, NESTED))


class ModuleIndex:
    """Functions, classes and their relations in one module."""

    def __init__(self, tree: ast.Module, imports: ImportTable) -> None:
        self.tree = tree
        self.imports = imports
        self.classes: dict[str, ast.ClassDef] = {}
        self.module_functions: dict[str, FunctionNode] = {}
        self.class_of: dict[ast.AST, ast.ClassDef] = {}
        self.enclosing: dict[ast.AST, Scope] = {}
        self.functions: list[FunctionNode] = []
        # Calls by the innermost function / lambda / class body / module holding them.
        self.calls: dict[ast.AST, list[ast.Call]] = {}
        self._self_assignments: list[tuple[ast.AST, ast.Assign]] = []
        self._attribute_classes: dict[int, dict[str, ast.ClassDef]] | None = None
        # (function id, tensor params) -> whether it returns a tensor; shared by all scopes.
        self.return_memo: dict[tuple[int, frozenset[str], bool], bool] = {}
        self._config_attributes: dict[int, frozenset[str]] = {}
        self._fixed_globals: frozenset[str] | None = None
        self._index(tree, None, None)
        self.keras_classes = self._deriving(self._is_keras_base)
        self.module_classes = self._deriving(lambda name: name in _TF_MODULE_BASES)

    # ---- building ------------------------------------------------------------------

    def _index(self, root: ast.Module, cls: ast.ClassDef | None, scope: Scope | None) -> None:
        """One pass over the module: classes, functions, methods, which scope encloses each
        function/lambda, and every call grouped by the scope (or class body) that holds it.

        Iterative: generated code can nest deeper than Python's recursion limit.
        """
        Holder = Scope | ast.ClassDef
        stack: list[tuple[ast.AST, ast.ClassDef | None, Scope | None, Holder]] = [(root, cls, scope, root)]
        while stack:
            node, cls, scope, holder = stack.pop()
            for child in children(node):
                if isinstance(child, ast.ClassDef):
                    self.classes[child.name] = child  # the last definition wins, as in Python
                    stack.append((child, child, scope, child))
                elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    self.functions.append(child)
                    if cls is not None:
                        self.class_of[child] = cls
                    elif scope is None:
                        self.module_functions[child.name] = child
                    if scope is not None:
                        self.enclosing[child] = scope
                    stack.append((child, None, child, child))
                elif isinstance(child, ast.Lambda):
                    if scope is not None:
                        self.enclosing[child] = scope
                    stack.append((child, None, child, child))
                else:
                    if isinstance(child, ast.Call):
                        self.calls.setdefault(holder, []).append(child)
                    elif isinstance(child, ast.Assign) and isinstance(child.value, ast.Call):
                        self._self_assignments.append((holder, child))
                    stack.append((child, cls, scope, holder))

    def scopes(self) -> list[Scope]:
        """The module and every function and lambda in it."""
        return [self.tree, *self.module_functions.values(), *self.class_of.keys(), *self.enclosing.keys()]

    def _is_keras_base(self, name: str) -> bool:
        if name in _KERAS_BASES:
            return True
        last = name.rsplit(".", 1)[-1]
        if name.startswith(_KERAS_HUB) and last[:1].isupper():
            return not any(part.lower().endswith(_KERAS_HUB_PIPELINE) for part in name.split("."))
        return name.startswith(_KERAS_BASE_PREFIXES) and last[:1].isupper()

    def _deriving(self, is_root: Callable[[str], bool]) -> set[str]:
        return set(deriving_classes(self.classes, self.imports.resolve_canonical, is_root))

    # ---- queries -------------------------------------------------------------------

    def local_bases(self, cls: ast.ClassDef) -> list[ast.ClassDef]:
        return [self.classes[b.id] for b in cls.bases if isinstance(b, ast.Name) and b.id in self.classes]

    def method(self, cls: ast.ClassDef, name: str, skip_own: bool = False) -> FunctionNode | None:
        """`name` looked up in `cls` and then its file-local bases (depth first, like a simple MRO)."""
        seen: set[int] = set()
        stack = self.local_bases(cls)[::-1] if skip_own else [cls]
        while stack:
            current = stack.pop()
            if id(current) in seen:
                continue
            seen.add(id(current))
            for statement in current.body:
                if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and statement.name == name:
                    return statement
            stack.extend(self.local_bases(current)[::-1])
        return None

    def function_named(self, name: str, where: Scope | None) -> FunctionNode | None:
        """A function visible as `name` from `where`: nested defs first, then module level."""
        scope = where
        while scope is not None and not isinstance(scope, ast.Module):
            if not isinstance(scope, ast.Lambda):
                for statement in scope.body:
                    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and statement.name == name:
                        return statement
            scope = self.enclosing.get(scope)
        return self.module_functions.get(name)

    def owner_class(self, scope: Scope) -> ast.ClassDef | None:
        """The class whose method `scope` is (or is nested in)."""
        current: Scope | None = scope
        while current is not None:
            if current in self.class_of:
                return self.class_of[current]
            current = self.enclosing.get(current)
        return None

    def attribute_classes(self, cls: ast.ClassDef) -> dict[str, ast.ClassDef]:
        """`self.attr = LocalClass(...)` in the methods of `cls` (and its local bases)."""
        if self._attribute_classes is None:
            by_class: dict[int, dict[str, ast.ClassDef]] = {}
            for holder, assign in self._self_assignments:
                func = assign.value.func  # type: ignore[attr-defined]
                owner = self.owner_class(holder) if not isinstance(holder, ast.ClassDef) else None
                if owner is None or not isinstance(func, ast.Name) or func.id not in self.classes:
                    continue
                for target in assign.targets:
                    if (
                        isinstance(target, ast.Attribute)
                        and isinstance(target.value, ast.Name)
                        and target.value.id == "self"
                    ):
                        by_class.setdefault(id(owner), {}).setdefault(target.attr, self.classes[func.id])
            self._attribute_classes = by_class
        found: dict[str, ast.ClassDef] = {}
        for current in [cls, *self.local_bases(cls)]:
            for attr, target in self._attribute_classes.get(id(current), {}).items():
                found.setdefault(attr, target)
        return found

    def config_attributes(self, cls: ast.ClassDef) -> frozenset[str]:
        """`self.` attributes of `cls` (and its local bases) that only ever hold configuration:
        every assignment in every method is a literal, a constructor argument, or plain
        Python arithmetic of those (`self.units = units`, `self.half = dim // 2`)."""
        key = id(cls)
        if key not in self._config_attributes:
            verdict: dict[str, bool] = {}
            for current in [cls, *self.local_bases(cls)]:
                for method in current.body:
                    if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        continue
                    params = {a.arg for a in [*method.args.posonlyargs, *method.args.args,
                                               *method.args.kwonlyargs]} - {"self"}
                    if method.name != "__init__":
                        params = set()  # only constructor arguments are configuration
                    for target, value in _self_attribute_assignments(method):
                        ok = value is not None and _is_config_value(value, params)
                        verdict[target] = verdict.get(target, True) and ok
            self._config_attributes[key] = frozenset(name for name, ok in verdict.items() if ok)
        return self._config_attributes[key]

    def fixed_globals(self) -> frozenset[str]:
        """Module-level names bound once to a literal value (`EPSILON = 1e-6`)."""
        if self._fixed_globals is None:
            counts: dict[str, int] = {}
            literal: set[str] = set()
            for statement in self.tree.body:
                if isinstance(statement, ast.Assign):
                    for target in statement.targets:
                        if isinstance(target, ast.Name):
                            counts[target.id] = counts.get(target.id, 0) + 1
                            if _is_config_value(statement.value, set()):
                                literal.add(target.id)
            self._fixed_globals = frozenset(n for n in literal if counts[n] == 1)
        return self._fixed_globals

    def resolve_callee(self, func: ast.expr, where: Scope) -> tuple[FunctionNode, bool] | None:
        """The local function a call's `func` reaches, and whether its first parameter is bound."""
        if isinstance(func, ast.Name):
            if func.id in self.classes:
                return None
            found = self.function_named(func.id, where)
            if found is None:
                # `op = self.op` (then `op(x)`): a local alias of stored functions, followed
                # when every attribute it may be names the same function.
                reached = {id(r[0]): r for r in (self.resolve_callee(a, where) for a in self._local_aliases(func.id, where))
                           if r is not None}
                return next(iter(reached.values())) if len(reached) == 1 else None
            return (found, False)
        if not isinstance(func, ast.Attribute):
            return None
        cls = self.owner_class(where)
        if cls is None:
            return None
        receiver = func.value
        if isinstance(receiver, ast.Name) and receiver.id in ("self", "cls"):
            found = self.method(cls, func.attr)
            if found is None:
                # `self.op = rnn_step` in __init__, then `self.op(x)`: the module function.
                stored = self.stored_function(cls, func.attr)
                return (stored, False) if stored is not None else None
            return (found, True)
        if (
            isinstance(receiver, ast.Call)
            and isinstance(receiver.func, ast.Name)
            and receiver.func.id == "super"
        ):
            found = self.method(cls, func.attr, skip_own=True)
            return (found, True) if found is not None else None
        return None

    def stored_function(self, cls: ast.ClassDef, attribute: str) -> FunctionNode | None:
        """The module-level function of this file assigned to `self.<attribute>` in a method
        of `cls` (plainly, by name), when the assignments name exactly one such function (an
        alternative from elsewhere, such as an optional compiled kernel, is not this file's)."""
        found: set[str] = set()
        for node in walk(cls):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name):
                for target in node.targets:
                    if (isinstance(target, ast.Attribute) and target.attr == attribute
                            and isinstance(target.value, ast.Name) and target.value.id == "self"
                            and node.value.id in self.module_functions):
                        found.add(node.value.id)
        if len(found) != 1:
            return None
        return self.module_functions.get(found.pop())

    def _local_aliases(self, name: str, where: Scope) -> list[ast.Attribute]:
        """The `self.<attr>` values a local `name` is assigned in `where`, when every
        assignment to it is one; else []."""
        if isinstance(where, ast.Lambda) or not hasattr(where, "body"):
            return []
        values = [node.value for node in walk_own(where.body) if isinstance(node, ast.Assign)
                  and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)]
        if values and all(isinstance(v, ast.Attribute) and isinstance(v.value, ast.Name) and v.value.id == "self"
                          for v in values):
            return values  # type: ignore[return-value]
        return []

    def called_attribute_class(self, func: ast.expr, where: Scope) -> FunctionNode | None:
        """`self.block(x)` where `self.block = Block(...)`: Block's `call` / `__call__`."""
        if not (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == "self"
        ):
            return None
        cls = self.owner_class(where)
        if cls is None:
            return None
        target = self.attribute_classes(cls).get(func.attr)
        if target is None:
            return None
        if target.name in self.keras_classes:
            return self.method(target, "call")
        return self.method(target, "__call__")


# Builtins that turn configuration into configuration.
_CONFIG_BUILTINS = frozenset({"int", "float", "bool", "str", "tuple", "list", "len", "min", "max", "abs",
                              "round", "sum", "sorted"})


def _is_config_value(node: ast.AST, params: set[str]) -> bool:
    """A literal, one of `params`, or plain Python arithmetic / containers / builtins of those."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id in params
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return all(_is_config_value(e, params) for e in node.elts)
    if isinstance(node, ast.BinOp):
        return _is_config_value(node.left, params) and _is_config_value(node.right, params)
    if isinstance(node, ast.UnaryOp):
        return _is_config_value(node.operand, params)
    if isinstance(node, (ast.BoolOp, ast.Compare)):
        parts = node.values if isinstance(node, ast.BoolOp) else [node.left, *node.comparators]
        return all(_is_config_value(p, params) for p in parts)
    if isinstance(node, ast.IfExp):
        return all(_is_config_value(p, params) for p in (node.test, node.body, node.orelse))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _CONFIG_BUILTINS:
        return all(_is_config_value(a, params) for a in [*node.args, *(k.value for k in node.keywords)])
    return False


def _self_attribute_assignments(method: FunctionNode) -> Iterable[tuple[str, ast.AST | None]]:
    """(attribute, value) for each `self.attr = value` (augmented: value None) in `method`."""
    for node in walk_own(method.body):
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign):
            targets, value = [node.target], node.value
        elif isinstance(node, ast.AugAssign):
            targets, value = [node.target], None
        else:
            continue
        for target in targets:
            for element in (target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]):
                if (
                    isinstance(element, ast.Attribute)
                    and isinstance(element.value, ast.Name)
                    and element.value.id == "self"
                ):
                    # Unpacking gives no single value to judge.
                    yield element.attr, value if element is target else None


def positional_params(function: FunctionNode | ast.Lambda) -> list[ast.arg]:
    args = function.args
    return [*args.posonlyargs, *args.args]


def params_without_default(function: FunctionNode | ast.Lambda) -> list[str]:
    args = function.args
    positional = positional_params(function)
    required = positional[: len(positional) - len(args.defaults)]
    names = [a.arg for a in required]
    names += [a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is None]
    return names


def tf_function_decorator(function: FunctionNode, imports: ImportTable) -> ast.expr | None:
    """The `@tf.function` decorator of `function`, in any spelling, or None."""
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if imports.resolve_canonical(target) in _TF_FUNCTION:
            return decorator
    return None


def never_converted(function: FunctionNode, imports: ImportTable) -> bool:
    """Decorated with `tf.autograph.experimental.do_not_convert`."""
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if imports.resolve_canonical(target) in _DO_NOT_CONVERT:
            return True
    return False


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


def _tf_function_options(call: ast.Call | None) -> tuple[bool, int | None]:
    """(autograph, number of input_signature specs) from a `tf.function(...)` call."""
    if call is None:
        return True, None
    autograph = True
    value = _keyword(call, "autograph")
    if isinstance(value, ast.Constant) and value.value is False:
        autograph = False
    signature = _keyword(call, "input_signature")
    if signature is None and len(call.args) >= 2:
        signature = call.args[1]
    count = len(signature.elts) if isinstance(signature, (ast.List, ast.Tuple)) else None
    return autograph, count


class RootFinder:
    """Finds the root contexts of a module."""

    def __init__(self, index: ModuleIndex) -> None:
        self.index = index
        self.imports = index.imports

    def roots(self) -> list[Context]:
        pipeline = self._pipeline_functions()
        found: list[Context] = []
        for function in self.index.functions:
            decorator = tf_function_decorator(function, self.imports)
            if decorator is not None and function.name not in pipeline and not self._trains(function):
                call = decorator if isinstance(decorator, ast.Call) else None
                found.append(self._tf_function_context(function, call))
        for holder, calls in self.index.calls.items():
            for call in calls:
                # `tf.function(f)`; in a class body, `__call__ = tf.function(_impl, ...)` names a method.
                found.extend(self._wrapped(call, holder, pipeline))  # type: ignore[arg-type]
        for name in sorted(self.index.keras_classes):
            cls = self.index.classes[name]
            call = self.index.method(cls, "call")
            own = call is not None and self.index.class_of.get(call) is cls
            if call is not None and own and not self._trains(call):
                # Keras converts only array arguments to tensors: the first one is the layer's
                # input, the others are whatever the caller passes (`dim=256`, a flag, a mask).
                inputs = [p for p in params_without_default(call)[1:] if p != "training"][:1]
                found.append(Context(call, TRACED, False, frozenset(inputs), "Keras call", cls,
                                     frozenset(inputs)))
        for name in sorted(self.index.keras_classes | self.index.module_classes):
            cls = self.index.classes[name]
            for statement in cls.body:
                if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and statement.name in (
                    "__init__", "build"
                ):
                    found.append(Context(statement, SETUP, False, frozenset(), "layer setup", cls))
        for scope in self._builders():
            found.append(Context(scope, BUILDER, False, frozenset(), "model builder",
                                 self.index.owner_class(scope) if not isinstance(scope, ast.Module) else None))
        return found

    def _tf_function_context(self, function: FunctionNode, call: ast.Call | None) -> Context:
        autograph, count = _tf_function_options(call)
        required = params_without_default(function)
        cls = self.index.class_of.get(function)
        if cls is not None and required and required[0] in ("self", "cls"):
            required = required[1:]
        if count is not None:
            positional = [a.arg for a in positional_params(function)]
            if cls is not None and positional and positional[0] in ("self", "cls"):
                positional = positional[1:]
            required = positional[:count]
        if never_converted(function, self.imports):
            autograph = False
        return Context(function, TRACED, autograph, frozenset(required), "tf.function", self.index.owner_class(function))

    def _wrapped(self, call: ast.Call, where: Scope | ast.ClassDef, pipeline: set[str]) -> list[Context]:
        """`tf.function(f, ...)` and `tf.function(...)(f)`."""
        options: ast.Call | None
        if self.imports.resolve_canonical(call.func) in _TF_FUNCTION and call.args:
            target, options = call.args[0], call
        elif (
            isinstance(call.func, ast.Call)
            and self.imports.resolve_canonical(call.func.func) in _TF_FUNCTION
            and call.args
        ):
            target, options = call.args[0], call.func
        else:
            return []
        function: FunctionNode | None = None
        if isinstance(where, ast.ClassDef):
            if isinstance(target, ast.Name):
                function = self.index.method(where, target.id) or self.index.module_functions.get(target.id)
        elif isinstance(target, (ast.Name, ast.Attribute)):
            resolved = self.index.resolve_callee(target, where)
            function = resolved[0] if resolved else None
        if function is None:
            return []
        if function.name in pipeline or self._trains(function):
            return []
        return [self._tf_function_context(function, options)]

    def _trains(self, function: FunctionNode) -> bool:
        for node in self.index.calls.get(function, ()):
            name = self.imports.resolve_canonical(node.func)
            if name in _TRAINING_CALLS or (name or "").startswith("tf.data."):
                return True
            if isinstance(node.func, ast.Attribute) and node.func.attr in _TRAINING_METHODS:
                return True
        return False

    def _pipeline_functions(self) -> set[str]:
        """Names of functions handed to `Dataset.map` and friends, or to `tf.data.*`."""
        names: set[str] = set()
        for calls in self.index.calls.values():
            for node in calls:
                method = node.func.attr if isinstance(node.func, ast.Attribute) else None
                if method in _PIPELINE_METHODS or (self.imports.resolve_canonical(node.func) or "").startswith(
                    "tf.data."
                ):
                    for argument in [*node.args, *(k.value for k in node.keywords)]:
                        if isinstance(argument, ast.Name):
                            names.add(argument.id)
        return names

    def _builders(self) -> list[Scope]:
        scopes: list[Scope] = []
        for holder, calls in self.index.calls.items():
            if not isinstance(holder, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if any(self.imports.resolve_canonical(c.func) in _MODEL_BUILDERS for c in calls):
                scopes.append(holder)
        return scopes
