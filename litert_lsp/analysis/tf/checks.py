"""The rules applied inside one traced scope, and the scopes it reaches.

Constructs that cannot become a LiteRT graph at all (LRT305), all measured with
TensorFlow 2.21 / Keras 3:
  * `.numpy()`, `bool()` / `int()` / `float()` of a tensor and NumPy functions on a tensor need
    its value while tracing: tracing fails, in `tf.function` and in Keras `call` alike;
  * `assert` on a tensor fails while tracing (AutoGraph does not convert it);
  * Python `if` / `while` / `x if c else y` / `and` / `or` / `for` on a tensor: AutoGraph turns
    them into graph control flow inside a `tf.function` (those convert to builtins), but Keras
    3 never applies AutoGraph to `call` (nor to a Lambda layer's function), and
    `tf.function(autograph=False)` does not either, so there tracing fails; `range(tensor)` too;
  * in a functional model builder, a `tf.*` function given a Keras symbolic tensor: Keras 3
    refuses it, so the model cannot even be built.
Calls whose inputs are all constants are folded by the converter and never reach LiteRT;
code under `if training:` or on the eager side of `if tf.executing_eagerly():` is not traced.
Python `print(tensor)` is left alone on purpose: it runs once while tracing, shows the
symbolic tensor and adds nothing to the graph (measured: such a model converts to builtins).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from litert_lsp.analysis.names import ImportTable
from litert_lsp.analysis.syntax_walk import children
from litert_lsp.analysis.tf.ops import PY_FUNCTIONS, make, op_findings
from litert_lsp.analysis.tf.ragged import ragged_method, ragged_names
from litert_lsp.analysis.tf.rules import lrt305_untraceable_python as lrt305
from litert_lsp.analysis.tf.scope import (
    BUILDER,
    NESTED,
    SETUP,
    TRACED,
    Context,
    FunctionNode,
    ModuleIndex,
    body_of,
    never_converted,
    params_without_default,
    positional_params,
    tf_function_decorator,
    walk_own,
)
from litert_lsp.analysis.tf.values import TensorValues
from litert_lsp.core.findings import Finding

# TensorArray constructors: judged by how the array is used, not by their (static) arguments.
TENSOR_ARRAYS = frozenset({"tf.TensorArray"})

_LAMBDA_LAYERS = frozenset({"keras.layers.Lambda", "keras.layers.core.Lambda"})
_VALUE_BUILTINS = frozenset({"bool", "int", "float", "complex"})
_TO_NUMPY = frozenset({"keras.ops.convert_to_numpy"})

_NO_AUTOGRAPH = {
    "Keras call": "Keras does not apply AutoGraph to `call`",
    "Keras Lambda": "Keras runs a Lambda layer's function without AutoGraph",
    "tf.function": "this tf.function has autograph=False",
    "do_not_convert": "this function is marked do_not_convert",
}


_TRAINING_FLAGS = frozenset({"training", "is_training"})


def _is_training_flag(test: ast.AST) -> bool:
    """`training`, `self.training`, `training is True`, `training == True`."""
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Is, ast.Eq)):
        right = test.comparators[0]
        if isinstance(right, ast.Constant) and right.value is True:
            test = test.left
    if isinstance(test, ast.Name):
        return test.id in _TRAINING_FLAGS
    return isinstance(test, ast.Attribute) and test.attr in _TRAINING_FLAGS


def _walk_inference(body: list[ast.stmt], eager_test: Callable[[ast.AST], bool | None]) -> Iterable[ast.AST]:
    """Like `walk_own`, but skipping what never runs while the exported graph is traced: the
    body of `if training:` (tracing is done with training off, so dropout or noise there never
    reaches LiteRT) and the eager-only side of `if tf.executing_eagerly():`."""
    stack: list[ast.AST] = [n for n in body if not isinstance(n, NESTED)]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and _is_training_flag(node.test):
            kids: list[ast.AST] = [node.test, *node.orelse]
        elif isinstance(node, ast.If) and eager_test(node.test) is not None:
            # `if tf.executing_eagerly():` never runs while tracing (and `if not ...:` only does).
            kids = [*node.orelse] if eager_test(node.test) else [*node.body]
        else:
            kids = children(node)
        stack.extend(child for child in kids if not isinstance(child, NESTED))


@dataclass
class ScopeResult:
    findings: list[Finding] = field(default_factory=list)
    reached: list[Context] = field(default_factory=list)


class ScopeChecker:
    """Applies the rules of one context's kind to its scope."""

    def __init__(self, index: ModuleIndex, context: Context) -> None:
        self.index = index
        self.imports: ImportTable = index.imports
        self.context = context
        cls = context.cls if context.cls is not None else (
            index.owner_class(context.scope) if not isinstance(context.scope, ast.Module) else None)
        self.values = TensorValues(self.imports, context.tensor_params, context.structured_params,
                                   callee=lambda call, values: returns_tensor(index, context.scope, call, values),
                                   symbolic=context.kind == BUILDER,
                                   fixed_attributes=index.config_attributes(cls) if cls is not None else (),
                                   fixed_globals=index.fixed_globals())
        self.result = ScopeResult()
        self.ragged = ragged_names(walk_own(body_of(context.scope)), self.imports)
        self._assigned: set[str] | None = None

    def run(self) -> ScopeResult:
        body = body_of(self.context.scope)
        if self.context.kind != SETUP:
            self.values.learn(body, scope_parameters(self.context.scope))
        for node in _walk_inference(body, self._eager_test):
            if isinstance(node, ast.Call):
                self._call(node)
            elif self.context.kind == TRACED:
                self._statement(node)
        self._lambdas(body)
        return self.result

    # ---- calls ---------------------------------------------------------------------

    def _call(self, call: ast.Call) -> None:
        kind = self.context.kind
        name = None if self._local_variable(call.func) else self.imports.resolve_canonical(call.func)
        if name is not None:
            if kind == BUILDER and name.startswith("tf.") and self._symbolic_argument(call):
                self._add(call.func, lrt305.symbolic_argument_message(name))
            elif name in TENSOR_ARRAYS:
                if kind == TRACED and self._written_in_python_loop(call):
                    self.result.findings.extend(op_findings(call, name))
            elif self._judged(call, name) and not self._folded(call, name):
                self.result.findings.extend(op_findings(call, name))
            if kind == TRACED:
                self._value_call(call, name)
            if name not in PY_FUNCTIONS:  # their callbacks run in Python at run time, untraced
                self._function_arguments(call)
            return
        method = ragged_method(call, self.ragged) if kind != SETUP else None
        if method is not None:
            self.result.findings.extend(op_findings(call, method))
        if kind == TRACED:
            self._value_call(call, None)
        if kind != SETUP:
            self._local_call(call)

    def _local_variable(self, func: ast.expr) -> bool:
        """A bare name this function assigns itself (`op = self.op`): it shadows an import of
        the same name made elsewhere in the module (`from kernels import op` in a method)."""
        if not isinstance(func, ast.Name):
            return False
        if self._assigned is None:
            self._assigned = {t.id for node in walk_own(body_of(self.context.scope)) if isinstance(node, ast.Assign)
                              for t in node.targets if isinstance(t, ast.Name)}
        return func.id in self._assigned

    def _judged(self, call: ast.Call, name: str) -> bool:
        """Whether this resolved call is part of the model graph in this context."""
        kind = self.context.kind
        is_layer = name.startswith("keras.layers.") and name.rsplit(".", 1)[-1][:1].isupper()
        if kind == SETUP:
            return is_layer
        if kind == BUILDER:
            arguments = [*call.args, *(k.value for k in call.keywords)]
            return is_layer or any(self.values.is_tensor(a) for a in arguments)
        return name.startswith(("tf.", "keras."))

    def _symbolic_argument(self, call: ast.Call) -> bool:
        arguments = [*call.args, *(k.value for k in call.keywords)]
        return any(self.values.is_tensor(a.value if isinstance(a, ast.Starred) else a) for a in arguments)

    def _eager_test(self, test: ast.AST) -> bool | None:
        """True for `tf.executing_eagerly()` (or `not tf.inside_function()`), False for its
        negation, None otherwise."""
        negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
        inner = test.operand if negated else test  # type: ignore[attr-defined]
        if isinstance(inner, ast.Call):
            name = self.imports.resolve_canonical(inner.func)
            if name == "tf.executing_eagerly":
                return not negated
            if name == "tf.inside_function":  # true exactly when not eager
                return negated
        return None

    def _written_in_python_loop(self, call: ast.Call) -> bool:
        """Whether the TensorArray `call` makes is assigned to a name that a Python `for` or
        `while` of the same function uses (`out = out.write(t, ...)`, or passes to a step
        function). Measured: that graph fails to convert ("operand #0 does not dominate this
        use"), while a TensorArray written inside `tf.while_loop`, or only unstacked and read,
        converts with builtins; so only the Python-loop use is judged."""
        body = body_of(self.context.scope)
        names = {target.id for node in walk_own(body) if isinstance(node, ast.Assign) and node.value is call
                 for target in node.targets if isinstance(target, ast.Name)}
        if not names:
            return False
        for loop in walk_own(body):
            if isinstance(loop, (ast.For, ast.While)):
                for node in walk_own(loop.body):
                    if isinstance(node, ast.Name) and node.id in names:
                        return True
        return False

    def _folded(self, call: ast.Call, name: str) -> bool:
        """Whether the converter folds this call into a constant, so LiteRT never sees the op.

        Measured: `tf.range(3)`, `tf.linalg.svd` of a literal matrix and `tf.math.cumprod` of a
        literal list all convert with builtins, although the ops themselves do not; the same
        holds for `keras.ops` on values known while tracing (Gemma3n's `ops.erfinv` of a config
        float converts with builtins). A Keras layer is a graph part whatever its options.
        """
        if name.startswith("keras.") and name.rsplit(".", 1)[-1][:1].isupper():
            return False
        if "random" in name:
            return False
        arguments = [*call.args, *(k.value for k in call.keywords)]
        return bool(arguments) and all(self.values.kind(a).is_fixed for a in arguments)

    def _value_call(self, call: ast.Call, name: str | None) -> None:
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr == "numpy" and not call.args:
            self._add(call, lrt305.numpy_message())
            return
        arguments = [a for a in call.args if not isinstance(a, ast.Starred)]
        tensor_argument = any(self.values.is_tensor(a) for a in arguments)
        if not tensor_argument:
            return
        if name is None and isinstance(func, ast.Name) and func.id == "range" and not self.context.autograph:
            why = _NO_AUTOGRAPH.get(self.context.origin, "this code is traced without AutoGraph")
            self._add(call, lrt305.range_message(why))
        elif name is None and isinstance(func, ast.Name) and func.id in _VALUE_BUILTINS:
            self._add(call, lrt305.value_builtin_message(func.id))
        elif name in _TO_NUMPY:
            self._add(call, lrt305.to_numpy_message(name))
        elif name is not None and name.startswith("numpy."):
            short = "np." + name.split(".", 1)[1]
            self._add(call, lrt305.numpy_function_message(short))

    def _local_call(self, call: ast.Call) -> None:
        resolved = self.index.resolve_callee(call.func, self.context.scope)
        bound = False
        callee: FunctionNode | None = None
        if resolved is not None:
            callee, bound = resolved
        else:
            callee = self.index.called_attribute_class(call.func, self.context.scope)
            bound = callee is not None
        if callee is None:
            return
        tensors, structured = bind_arguments(call, callee, bound, self.values)
        self._reach(callee, tensors, structured)

    def _function_arguments(self, call: ast.Call) -> None:
        """Local functions handed to TensorFlow (`tf.map_fn(f, x)`, `tf.cond(p, f, g)`) or to a
        Keras `Lambda` layer are traced."""
        lambda_layer = self.imports.resolve_canonical(call.func) in _LAMBDA_LAYERS
        if self.context.kind != TRACED and not lambda_layer:
            return
        for argument in [*call.args, *(k.value for k in call.keywords)]:
            if isinstance(argument, (ast.Name, ast.Attribute)):
                resolved = self.index.resolve_callee(argument, self.context.scope)
                if resolved is not None:
                    function, bound = resolved
                    names = params_without_default(function)
                    if bound and names and not is_static(function):
                        names = names[1:]
                    if lambda_layer:
                        # Keras calls a Lambda layer's function without AutoGraph.
                        self.result.reached.append(Context(function, TRACED, False, frozenset(names[:1]),
                                                           "Keras Lambda", self.index.owner_class(function)))
                    else:
                        self._reach(function, frozenset(names), frozenset())

    def _reach(self, function: FunctionNode, tensors: frozenset[str], structured: frozenset[str]) -> None:
        context = self.context
        if context.kind == TRACED:
            autograph = context.autograph
            if tf_function_decorator(function, self.imports) is not None:
                autograph = True  # a nested tf.function is converted on its own terms
            origin = context.origin
            if never_converted(function, self.imports):
                autograph, origin = False, "do_not_convert"
            self.result.reached.append(Context(function, TRACED, autograph, tensors, origin,
                                               self.index.owner_class(function), structured))
        elif context.kind == BUILDER:
            # A helper that builds part of the model (a block of layers) is a builder too.
            self.result.reached.append(Context(function, BUILDER, False, tensors, context.origin,
                                               self.index.owner_class(function), structured))

    def _lambdas(self, body: list[ast.stmt]) -> None:
        """Lambdas in model code (Keras `Lambda` layers, `tf.map_fn`) are traced, params as tensors."""
        if self.context.kind == SETUP:
            return
        for node in _walk_inference(body, self._eager_test):
            if isinstance(node, ast.Call) and self.imports.resolve_canonical(node.func) in PY_FUNCTIONS:
                continue
            for child in children(node):
                if isinstance(child, ast.Lambda):
                    params = frozenset(params_without_default(child))
                    # Keras runs a Lambda layer's function without AutoGraph.
                    traced = self.context.kind == TRACED
                    autograph = self.context.autograph if traced else False
                    origin = self.context.origin if traced else "Keras Lambda"
                    self.result.reached.append(Context(child, TRACED, autograph, params, origin, self.context.cls))

    # ---- statements ----------------------------------------------------------------

    def _statement(self, node: ast.AST) -> None:
        if isinstance(node, ast.Assert) and self.values.is_sure_tensor(node.test):
            self._add(node.test, lrt305.assert_message())
            return
        if self.context.autograph:
            return
        why = _NO_AUTOGRAPH.get(self.context.origin, "this code is traced without AutoGraph")
        if isinstance(node, (ast.If, ast.While, ast.IfExp)) and self.values.is_sure_tensor(node.test):
            word = {ast.If: "if", ast.While: "while", ast.IfExp: "x if c else y"}[type(node)]
            fix = "tf.while_loop" if isinstance(node, ast.While) else "tf.cond or tf.where"
            self._add(node.test, lrt305.branch_message(word, why, fix))
        elif isinstance(node, ast.BoolOp):
            for operand in node.values[:-1]:
                if self.values.is_sure_tensor(operand):
                    word = "and" if isinstance(node.op, ast.And) else "or"
                    self._add(operand, lrt305.bool_operator_message(word, why))
                    break
        elif isinstance(node, (ast.For, ast.comprehension)) and self.values.is_sure_tensor(node.iter):
            self._add(node.iter, lrt305.loop_message(why))

    def _add(self, node: ast.AST, message: str) -> None:
        self.result.findings.append(make(node, lrt305.CODE.code, message))


def scope_parameters(scope: ast.AST) -> list[str]:
    """Every parameter name of a function or lambda (none for a module)."""
    if not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        return []
    args = scope.args
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    every += [a for a in (args.vararg, args.kwarg) if a is not None]
    return [a.arg for a in every]


def is_static(function: FunctionNode) -> bool:
    """A `@staticmethod` keeps its first parameter when called through `self.`."""
    return any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in function.decorator_list)


def bind_arguments(call: ast.Call, callee: FunctionNode, bound: bool,
                   values: TensorValues) -> tuple[frozenset[str], frozenset[str]]:
    """The callee's parameters that receive tensors at this call, and which of those may be
    lists of tensors (the argument was itself such a parameter)."""
    positional = [a.arg for a in positional_params(callee)]
    if bound and positional and not is_static(callee):
        positional = positional[1:]
    tensors: set[str] = set()
    structured: set[str] = set()

    def take(parameter: str, argument: ast.AST) -> None:
        if values.is_tensor(argument):
            tensors.add(parameter)
            if isinstance(argument, ast.Name) and argument.id in values.structured:
                structured.add(parameter)

    for position, argument in enumerate(call.args):
        if isinstance(argument, ast.Starred):
            break
        if position < len(positional):
            take(positional[position], argument)
    for keyword in call.keywords:
        if keyword.arg:
            take(keyword.arg, keyword.value)
    return frozenset(tensors), frozenset(structured)


def returns_tensor(index: ModuleIndex, scope: ast.AST, call: ast.Call, values: TensorValues) -> bool | None:
    """Whether the file's own function that `call` reaches returns a tensor, given which of
    its arguments are tensors; None when `call` does not reach a function of this file."""
    resolved = index.resolve_callee(call.func, scope)  # type: ignore[arg-type]
    if resolved is None:
        return None
    function, bound = resolved
    tensors, structured = bind_arguments(call, function, bound, values)
    key = (id(function), tensors, values.symbolic)
    if key in index.return_memo:
        return index.return_memo[key]
    index.return_memo[key] = False  # a recursive call sees "no" while this one is worked out
    inner = TensorValues(index.imports, tensors, structured,
                         callee=lambda c, v: returns_tensor(index, function, c, v), symbolic=values.symbolic)
    inner.learn(function.body)
    result = any(
        isinstance(node, ast.Return) and inner.is_tensor(node.value) for node in walk_own(function.body)
    )
    index.return_memo[key] = result
    return result
