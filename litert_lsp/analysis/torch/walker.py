"""PyTorch rules: what in a module's traced code LiteRT cannot take (LRT1xx, LRT2xx).

Model code is found from the classes deriving from torch.nn.Module: their `forward` and
everything it reaches in the file is traced code; their `__init__` (and what it reaches)
builds the layers. Traced too: a function a decorator installs as a class's forward, and a
module-level forward implementation (first parameter a module, then tensors). Callees that
are values (partials, getattr, registries of functions) are resolved by `reach.py`.
One walk per function infers which local names hold tensors and checks each statement as
it goes; calls to other functions of the file become edges, so that the
callee is analyzed with the tensor-ness of its arguments (a small fixpoint in `Program`).

The walker owns the traversal and the value inference (`values.py`: which names hold
tensors, masks, which branches are traced); what to report is decided by the rules in
`analysis/torch/rules/`, one module per code, whose hooks the walker calls at each call,
condition and subscript (knowledge-base verdicts: `rules/lrt10x_kb_status.py`).

Each function's result depends only on its block's text, the module context key, its mode
and the tensor parameters it was reached with, so `Program` caches it under that key and
the incremental analyzer re-walks only functions whose block changed.
"""

from __future__ import annotations

import ast
import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from litert_lsp.analysis.columns import char_column
from litert_lsp.analysis.module_index import (
    BlockInfo,
    ModuleContext,
    build_context,
    parse_block,
)
from litert_lsp.analysis.names import ImportTable, canonical_name
from litert_lsp.analysis.syntax_walk import walk
from litert_lsp.analysis.torch import reach, rules
from litert_lsp.analysis.torch.usage import CallSite, FunctionUsage
from litert_lsp.analysis.torch.values import (
    BOOL_FUNCTIONS,
    BOOL_METHODS,
    CONSTANT_CREATION,
    GUARDS_FALSE_UNTRACED,
    GUARDS_TRUE_UNTRACED,
    MAYBE,
    NON_TENSOR_BUILTINS,
    NON_TENSOR_METHODS,
    NON_TENSOR_TORCH_NAMES,
    NON_TENSOR_TORCH_PREFIXES,
    RANDOM_METHODS,
    RANK_KEEPING_FUNCTIONS,
    RANK_KEEPING_LAYERS,
    RANK_KEEPING_METHODS,
    SEQ,
    SEQ_FUNCTIONS,
    SEQ_METHODS,
    STATIC,
    STATIC_ANNOTATIONS,
    STATIC_ATTRIBUTES,
    STATIC_BUILTINS,
    STATIC_METHODS,
    STATIC_TORCH_NAMES,
    TENSOR,
    TENSOR_ATTRIBUTES,
    TO_PYTHON_BUILTINS,
    TO_PYTHON_METHODS,
    TRAINING_NAMES,
    VALUE_BOOL_FUNCTIONS,
    VALUE_BOOL_METHODS,
    Kind,
)
from litert_lsp.core.codes import default_severity
from litert_lsp.core.findings import Finding, Severity

TRACE = "trace"  # forward and what it reaches: every rule
BUILD = "build"  # __init__ and what it reaches: layer constructors only



@dataclass(frozen=True, slots=True)
class FunctionRef:
    """A module-level function of the file."""

    name: str

    @property
    def qualname(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class MethodRef:
    """A method of a class of the file (`owner` is the class that defines it)."""

    owner: str
    method: str

    @property
    def qualname(self) -> str:
        return f"{self.owner}.{self.method}"


# A function of the file that traced or building code reaches.
Callee = FunctionRef | MethodRef
TensorParams = frozenset

_IS_OPS = (ast.Is, ast.IsNot, ast.In, ast.NotIn)
_REST_UNTRACED = object()  # returned by a statement handler: the rest of the block is not traced
_NOT_REACHED = object()  # call_targets: the callee is no known function
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_VALUE_BUILTINS = frozenset({"bool", "any", "all", *TO_PYTHON_BUILTINS})
_ALWAYS_STATIC_BUILTINS = frozenset({"len", "isinstance", "issubclass", "hasattr", "callable", "id", "type"})
# Expressions that may evaluate to a function (reach.Resolver resolves them).
_CALLEE_SHAPES = (ast.Name, ast.Attribute, ast.Call, ast.Subscript, ast.IfExp, ast.BoolOp)


@dataclass(frozen=True)
class FunctionResult:
    findings: tuple[Finding, ...]  # block-relative lines
    calls: tuple[tuple[Callee, TensorParams], ...]


class Guard(enum.Enum):
    """What a condition tells about tracing: `if self.training:` guards training-only code."""

    BOTH_TRACED = "both"  # an ordinary condition: either branch may run while tracing
    BODY_UNTRACED = "body"  # the body runs only in training / scripting: not traced
    ELSE_UNTRACED = "else"  # the else branch (and code after a returning body) is not traced

    def negated(self) -> Guard:
        """The guard of `not <test>`."""
        if self is Guard.BODY_UNTRACED:
            return Guard.ELSE_UNTRACED
        if self is Guard.ELSE_UNTRACED:
            return Guard.BODY_UNTRACED
        return Guard.BOTH_TRACED


def _is_tensorish(kind: Kind | None) -> bool:
    return kind is not None and kind is not STATIC


def _join(a: Kind | None, b: Kind | None) -> Kind | None:
    """The kind of a value that is `a` or `b` (the branches of `x if c else y`)."""
    if TENSOR in (a, b):
        return TENSOR
    if a == b:
        return a
    if STATIC in (a, b):
        other = b if a is STATIC else a
        return other if _is_tensorish(other) else None  # static or unknown: unknown
    return a or b


def _all_static(kinds: Iterable[Kind | None]) -> bool:
    return all(k is STATIC for k in kinds)


class _Walker:
    """One pass over one function: local tensor inference plus every check."""

    def __init__(self, ctx: ModuleContext, block: BlockInfo, class_name: str | None, mode: str,
                 closure: dict[str, ast.expr] | None = None) -> None:
        self.ctx = ctx
        self.block = block
        self.class_name = class_name
        self.mode = mode
        self.imports: ImportTable = ctx.imports
        self.env: dict[str, Kind] = {}
        self.masks: set[str] = set()
        # Tensors built only from static values (torch.arange(n), ops on them): the converter
        # sees constants. Whether an op on them still fails is measured per op (the knowledge
        # base's `operands` variants), so this only picks a variant; it silences nothing itself.
        self.consts: set[str] = set()
        self.static_arguments = False  # set by tensor_arguments
        self.findings: dict[tuple[int, int, int, int], Finding] = {}
        self.calls: dict[Callee, set[str]] = {}
        self.local_functions: set[str] = set()
        # Callees that are values (partials, getattr, registry lookups): see reach.py.
        self.reach = reach.Resolver(ctx, class_name, closure or {}, lambda: self.env)
        self.via = ""  # appended to messages of a call reached through such a value
        self.usage: FunctionUsage | None = None  # how results are used (usage.py), per function

    # ---- results ---------------------------------------------------------------------------

    def result(self) -> FunctionResult:
        return FunctionResult(
            tuple(self.findings.values()),
            tuple((callee, frozenset(params)) for callee, params in self.calls.items()),
        )

    def report(self, node: ast.AST, code: str, message: str, op: str | None = None,
               status: str | None = None, data: dict | None = None,
               severity: Severity | None = None) -> None:
        line, column = node.lineno, node.col_offset
        end_line, end_column = node.end_lineno or line, node.end_col_offset or column
        if not self.block.ascii:
            lines = self.block.lines
            column = char_column(lines, line, column)
            end_column = char_column(lines, end_line, end_column)
        span = (line, column, end_line, end_column)
        if span in self.findings:
            return  # one finding per span: the first (most specific) check wins
        self.findings[span] = Finding(
            line, column, end_line, end_column, severity or default_severity(code), code, _with_note(message, self.via),
            op=op, status=status, data=data or {},
        )

    def edge(self, callee: Callee, params: Iterable[str]) -> None:
        self.calls.setdefault(callee, set()).update(params)

    # ---- entry points ------------------------------------------------------------------------

    def run_trace(self, function: ast.FunctionDef | ast.AsyncFunctionDef, root: bool,
                  tensor_params: frozenset[str]) -> None:
        arguments = function.args
        positional = arguments.posonlyargs + arguments.args
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(arguments.defaults))
        defaults += arguments.defaults
        params = list(zip(positional, defaults)) + list(zip(arguments.kwonlyargs, arguments.kw_defaults))
        if self.class_name is not None and positional and not _is_static(function):
            params = params[1:]
        for index, (arg, default) in enumerate(params):
            kind = self._param_kind(arg, default, root, tensor_params)
            if root and index == 0 and kind == MAYBE and default is None and arg.annotation is None:
                # forward(self, x): the first input of a model is its input tensor, so
                # `if x > 0:` is a tensor test; later bare inputs may be flags.
                kind = TENSOR
            self.env[arg.arg] = kind
        if arguments.vararg is not None and (root or "*" in tensor_params):
            self.env[arguments.vararg.arg] = SEQ
        self.usage = FunctionUsage(function, self._rank_source)
        try:
            self.statements(function.body)
        finally:
            # The usage holds the tree and now this walker: no cycle may outlive the walk (a
            # tree held by a cycle waits for the collector instead of being freed at once).
            self.usage.rank_source = None

    def _rank_source(self, call: ast.Call) -> ast.expr | None:
        """The input whose rank the call's result keeps: a layer `__init__` builds with a
        rank-keeping class (`self.conv(x)`), a rank-keeping function (`F.pad(x, ...)`) or
        tensor method (`x.float()`); None for anything else (values.RANK_KEEPING_*)."""
        func = call.func
        first = call.args[0] if call.args and not isinstance(call.args[0], ast.Starred) else None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
            builders = self.ctx.layer_builders(self.class_name, func.attr) if self.class_name else None
            if first is not None and builders and all(self._qualified(b) in RANK_KEEPING_LAYERS for b in builders):
                return first
            return None
        name = self.imports.resolve_canonical(func)
        if name is not None:
            return first if name in RANK_KEEPING_FUNCTIONS else None
        if isinstance(func, ast.Attribute) and func.attr in RANK_KEEPING_METHODS:
            return func.value
        return None

    def _qualified(self, dotted: str) -> str | None:
        """`nn.Conv2d` -> `torch.nn.Conv2d` through the module's imports."""
        head, _, rest = dotted.partition(".")
        base = self.imports.names.get(head) if head else None
        if base is None:
            return None
        return canonical_name(f"{base}.{rest}" if rest else base)

    def run_build(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """Layer constructors, and edges to the file's functions that build more of them."""
        for node in walk(function):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
                owner = self.class_name and self.ctx.find_method(self.class_name, func.attr)
                if owner:
                    self.edge(MethodRef(owner, func.attr), ())
                continue
            if isinstance(func, ast.Name) and func.id in self.ctx.functions:
                self.edge(FunctionRef(func.id), ())
                continue
            name = self.imports.resolve(func)
            if name and name.startswith("torch.nn."):
                self.layer(node, name)

    def _param_kind(self, arg: ast.arg, default: ast.expr | None, root: bool,
                    tensor_params: frozenset[str]) -> Kind | None:
        if isinstance(default, ast.Constant) and default.value is not None:
            return STATIC  # a literal default (flag=False, scale=1.0) says what it is
        if arg.annotation is not None:
            if _mentions_tensor(arg.annotation):
                return TENSOR
            return STATIC if _static_annotation(arg.annotation) else None
        if default is None:
            # forward(self, x, output_attentions): unannotated inputs are tensors when used like
            # tensors; a bare `if output_attentions:` is read as a flag, not a tensor test.
            if root:
                return MAYBE
            return _received(arg.arg, tensor_params)
        if isinstance(default, ast.Constant) and default.value is None:
            return MAYBE if root or _received(arg.arg, tensor_params) else None
        return None

    # ---- statements --------------------------------------------------------------------------

    def statements(self, body: list[ast.stmt]) -> None:
        for statement in body:
            handler = _STATEMENTS.get(type(statement))
            if handler is not None and handler(self, statement) is _REST_UNTRACED:
                return

    def s_expr(self, node: ast.Expr) -> None:
        self.ev(node.value)

    def s_assign(self, node: ast.Assign) -> None:
        kind = self.ev(node.value)
        mask = self.is_mask(node.value)
        for target in node.targets:
            self.bind(target, kind, node.value, mask)
        self.bind_callable(node.targets, node.value)

    def s_annassign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            kind = self.ev(node.value)
            self.bind(node.target, kind, node.value, self.is_mask(node.value))
            self.bind_callable([node.target], node.value)

    def s_augassign(self, node: ast.AugAssign) -> None:
        kind = self.ev(node.value)
        target = node.target
        if isinstance(target, ast.Name):
            if _is_tensorish(kind) or _is_tensorish(self.env.get(target.id)):
                self.env[target.id] = TENSOR
            elif kind is not STATIC and self.env.get(target.id) is STATIC:
                self.env.pop(target.id)  # `n += <unknown>`: no longer known to be static
        else:
            self.ev(target)

    def s_if(self, node: ast.If) -> object:
        guard = self.guard(node.test)
        if guard is Guard.BODY_UNTRACED:
            self.statements(node.orelse)
            return
        if guard is Guard.ELSE_UNTRACED:
            self.statements(node.body)
            if node.body and isinstance(node.body[-1], (ast.Return, ast.Raise)):
                # `if not self.training: return ...`: what follows runs only in training.
                return _REST_UNTRACED
            return None
        self.test(node.test, "`if`")
        self.statements(node.body)
        self.statements(node.orelse)

    def s_while(self, node: ast.While) -> None:
        self.test(node.test, "`while`")
        self.statements(node.body)
        self.statements(node.orelse)

    def s_for(self, node: ast.For) -> None:
        iterable = node.iter
        kind = self.ev(iterable)
        self.bind_loop(node.target, iterable, kind)
        self.statements(node.body)
        self.statements(node.orelse)

    def s_with(self, node: ast.With) -> None:
        for item in node.items:
            self.ev(item.context_expr)
            if item.optional_vars is not None:
                self.bind(item.optional_vars, None, None, False)
        self.statements(node.body)

    def s_try(self, node: ast.Try) -> None:
        self.statements(node.body)
        for handler in node.handlers:
            self.statements(handler.body)
        self.statements(node.orelse)
        self.statements(node.finalbody)

    def s_return(self, node: ast.Return) -> None:
        if node.value is not None:
            self.ev(node.value)

    def s_assert(self, node: ast.Assert) -> None:
        self.test(node.test, "`assert`")

    def s_function(self, node: ast.FunctionDef) -> None:
        # A closure inside traced code: walked with the enclosing names visible; its own
        # parameters count as tensors only when annotated so.
        self.local_functions.add(node.name)
        saved = dict(self.env)
        for arg in node.args.posonlyargs + node.args.args + node.args.kwonlyargs:
            self.env[arg.arg] = TENSOR if arg.annotation is not None and _mentions_tensor(arg.annotation) else None
        self.statements(node.body)
        self.env = saved

    def s_import(self, node: ast.stmt) -> None:
        if self.imports is self.ctx.imports:
            self.imports = ImportTable(dict(self.ctx.imports.names))
        self.imports.add_imports([node])

    def s_match(self, node: ast.stmt) -> None:
        self.ev(node.subject)  # type: ignore[attr-defined]
        for case in node.cases:  # type: ignore[attr-defined]
            self.statements(case.body)

    # ---- binding -----------------------------------------------------------------------------

    def bind_callable(self, targets: list[ast.expr], value: ast.expr) -> None:
        """`fn = partial(...)` / `impl = REGISTRY.get(key, default)`: which functions a
        later `fn(x)` calls (a name bound to anything else forgets them)."""
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        if not names:
            return
        found = self.reach.targets(value) if _may_be_callee(value, self.imports) else frozenset()
        for name in names:
            if found:
                self.reach.local[name] = found
            else:
                self.reach.local.pop(name, None)

    def bind(self, target: ast.expr, kind: Kind | None, value: ast.expr | None, mask: bool) -> None:
        if isinstance(target, ast.Name):
            if kind is None:
                self.env.pop(target.id, None)
            else:
                self.env[target.id] = kind
            if mask:
                self.masks.add(target.id)
            else:
                self.masks.discard(target.id)
            if kind is TENSOR and value is not None and self.is_constant(value):
                self.consts.add(target.id)
            else:
                self.consts.discard(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts):
                for element, part in zip(target.elts, value.elts):
                    self.bind(element, self.kind_of_known(part), part, False)
                return
            # A known tuple of tensors (x.chunk(2)) unpacks to tensors; anything else that
            # may be a tensor (a submodule's tuple of outputs, sizes, flags) to "maybe".
            element_kind = TENSOR if kind == SEQ else (MAYBE if _is_tensorish(kind) else None)
            for element in target.elts:
                self.bind(element, element_kind, None, False)
        elif isinstance(target, ast.Starred):
            self.bind(target.value, SEQ if _is_tensorish(kind) else None, None, False)
        elif isinstance(target, ast.Subscript):
            base = self.ev(target.value)
            self.ev(target.slice)
            for hook in rules.ON_SUBSCRIPT:
                hook(self, target, base)
        elif isinstance(target, ast.Attribute):
            self.ev(target.value)

    def function_usage(self) -> FunctionUsage | None:
        """Parents, reads and assignments of the function being walked (usage.py)."""
        return self.usage

    def call_site(self, node: ast.Call, method: bool) -> CallSite:
        """Which outputs of the call are used and its input's rank, when the source says."""
        if self.usage is None:
            return CallSite()
        if method and isinstance(node.func, ast.Attribute):
            first: ast.expr | None = node.func.value
        else:
            first = node.args[0] if node.args and not isinstance(node.args[0], ast.Starred) else None
        rank = self.usage.rank(first, node.lineno) if first is not None else None
        return CallSite(self.usage.outputs_used(node), rank)

    def kind_of_known(self, node: ast.expr) -> Kind | None:
        """Kind of an already-visited element of a tuple literal (no second report)."""
        if isinstance(node, ast.Name):
            return self.env.get(node.id)
        if isinstance(node, ast.Constant):
            return STATIC
        saved_findings, saved_calls = self.findings, self.calls
        self.findings, self.calls = {}, {}
        try:
            return self.ev(node)
        finally:
            self.findings, self.calls = saved_findings, saved_calls

    def bind_loop(self, target: ast.expr, iterable: ast.expr, kind: Kind | None) -> None:
        if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name):
            name = iterable.func.id
            if name == "enumerate" and isinstance(target, ast.Tuple) and len(target.elts) == 2 and iterable.args:
                self.bind(target.elts[0], STATIC, None, False)  # the index is an int
                inner = self.kind_of_known(iterable.args[0])
                self.bind(target.elts[1], _element(inner), None, False)
                return
            if name == "zip" and isinstance(target, ast.Tuple) and len(target.elts) == len(iterable.args):
                for element, argument in zip(target.elts, iterable.args):
                    inner = self.kind_of_known(argument)
                    self.bind(element, _element(inner), None, False)
                return
            if name == "range":
                self.bind(target, STATIC, None, False)  # range() yields ints, whatever its bounds
                return
        self.bind(target, _element(kind), None, False)

    # ---- conditions --------------------------------------------------------------------------

    def guard(self, test: ast.expr) -> Guard:
        """Which branch of a test on `self.training` / scripting flags is not traced."""
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            return self.guard(test.operand).negated()
        if isinstance(test, ast.BoolOp):
            inner = [self.guard(v) for v in test.values]
            if isinstance(test.op, ast.And):
                return Guard.BODY_UNTRACED if Guard.BODY_UNTRACED in inner else Guard.BOTH_TRACED
            return Guard.ELSE_UNTRACED if Guard.ELSE_UNTRACED in inner else Guard.BOTH_TRACED
        if isinstance(test, ast.Attribute):
            return Guard.BODY_UNTRACED if test.attr in TRAINING_NAMES else Guard.BOTH_TRACED
        if isinstance(test, ast.Name):
            return Guard.BODY_UNTRACED if test.id in TRAINING_NAMES else Guard.BOTH_TRACED
        if isinstance(test, ast.Call) and not test.args:
            name = self.imports.resolve(test.func)
            if name in GUARDS_TRUE_UNTRACED:
                return Guard.BODY_UNTRACED
            if name in GUARDS_FALSE_UNTRACED:
                return Guard.ELSE_UNTRACED
        return Guard.BOTH_TRACED

    def test(self, node: ast.expr, construct: str) -> None:
        """`node` is used as a Python truth value."""
        if isinstance(node, ast.BoolOp):
            for value in node.values:
                self.test(value, construct)
            return
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            self.test(node.operand, construct)
            return
        kind = self.ev(node)
        for hook in rules.ON_CONDITION:
            hook(self, node, construct, kind)

    # ---- expressions -------------------------------------------------------------------------

    def ev(self, node: ast.expr | None) -> Kind | None:
        """Visit `node` (running every check inside it) and return what kind of value it is."""
        if node is None:
            return None
        handler = _EXPRESSIONS.get(type(node))
        if handler is None:
            return None
        return handler(self, node)

    def e_name(self, node: ast.Name) -> Kind | None:
        kind = self.env.get(node.id)
        if kind is None and node.id in self.ctx.functions and node.id not in self.local_functions:
            self.edge(FunctionRef(node.id), ())  # passed as a value (e.g. to checkpoint): reached
        return kind

    def e_attribute(self, node: ast.Attribute) -> Kind | None:
        value = node.value
        if isinstance(value, ast.Name) and value.id == "self" and self.class_name:
            if self.ctx.is_tensor_attr(self.class_name, node.attr):
                return TENSOR
            owner = self.ctx.find_method(self.class_name, node.attr)
            if owner:
                self.edge(MethodRef(owner, node.attr), ())
                return None
            # self.config (a model's configuration object) and what __init__ stored from
            # Python values (self.hidden_dim = dim) are static when tracing.
            return STATIC if node.attr == "config" or self.ctx.is_static_attr(self.class_name, node.attr) else None
        if isinstance(value, ast.Name) and value.id not in self.env and (
            value.id == "config" or self.imports.names.get(value.id) == "math"
        ):
            return STATIC  # config.hidden_size, math.pi
        kind = self.ev(value)
        if kind in (TENSOR, MAYBE):
            if node.attr in TENSOR_ATTRIBUTES:
                return TENSOR
            return STATIC if node.attr in STATIC_ATTRIBUTES else None
        return STATIC if kind is STATIC else None

    def e_binop(self, node: ast.BinOp) -> Kind | None:
        left = self.ev(node.left)
        right = self.ev(node.right)
        if TENSOR in (left, right):
            return TENSOR
        if MAYBE in (left, right):
            return MAYBE  # `length - 1` on an unannotated input: still "maybe a tensor"
        if left == SEQ and right == SEQ:
            return SEQ
        if left is STATIC and right is STATIC:
            return STATIC  # arithmetic on sizes: `H // 2`, `[a, b] + list(seq[2:])`
        return None

    def e_unaryop(self, node: ast.UnaryOp) -> Kind | None:
        if isinstance(node.op, ast.Not):
            self.test(node.operand, "`not`")
            return None
        kind = self.ev(node.operand)
        return kind if kind in (TENSOR, MAYBE, STATIC) else None

    def e_boolop(self, node: ast.BoolOp) -> Kind | None:
        values = node.values
        for value in values[:-1]:
            self.test(value, "`and`/`or`")
        return self.ev(values[-1])

    def e_compare(self, node: ast.Compare) -> Kind | None:
        kinds = [self.ev(node.left)] + [self.ev(c) for c in node.comparators]
        if all(isinstance(op, _IS_OPS) for op in node.ops):
            return None
        if TENSOR in kinds:
            return TENSOR
        if MAYBE in kinds:
            return MAYBE
        return STATIC if _all_static(kinds) else None

    def e_ifexp(self, node: ast.IfExp) -> Kind | None:
        guard = self.guard(node.test)
        if guard is Guard.BODY_UNTRACED:
            return self.ev(node.orelse)
        if guard is Guard.ELSE_UNTRACED:
            return self.ev(node.body)
        self.test(node.test, "conditional expression (`a if cond else b`)")
        body = self.ev(node.body)
        orelse = self.ev(node.orelse)
        return _join(body, orelse)

    def e_subscript(self, node: ast.Subscript) -> Kind | None:
        base = self.ev(node.value)
        self.ev(node.slice)
        for hook in rules.ON_SUBSCRIPT:
            hook(self, node, base)
        if base in (TENSOR, MAYBE):
            return base  # an item of a "maybe" (pad_values[3]) is no more a tensor than it
        if base == SEQ:
            return TENSOR
        return STATIC if base is STATIC else None  # feat_shape[0], x.shape[-1]

    def e_sequence(self, node: ast.Tuple) -> Kind | None:
        kinds = [self.ev(e) for e in node.elts]
        if any(_is_tensorish(k) for k in kinds):
            return SEQ
        return STATIC if _all_static(kinds) else None

    def e_dict(self, node: ast.Dict) -> Kind | None:
        for key in node.keys:
            self.ev(key)
        for value in node.values:
            self.ev(value)
        return None

    def e_comprehension(self, node: ast.ListComp) -> Kind | None:
        for generator in node.generators:
            kind = self.ev(generator.iter)
            self.bind_loop(generator.target, generator.iter, kind)
            for condition in generator.ifs:
                self.test(condition, "comprehension `if`")
        if isinstance(node, ast.DictComp):
            self.ev(node.key)
            self.ev(node.value)
            return None
        element = self.ev(node.elt)
        if _is_tensorish(element):
            return SEQ
        return STATIC if element is STATIC else None

    def e_lambda(self, node: ast.Lambda) -> Kind | None:
        saved = dict(self.env)
        for arg in node.args.posonlyargs + node.args.args + node.args.kwonlyargs:
            self.env.pop(arg.arg, None)
        self.ev(node.body)
        self.env = saved
        return None

    def e_joined(self, _node: ast.JoinedStr) -> Kind | None:
        return None  # formatting for messages; never traced into the graph

    def e_starred(self, node: ast.Starred) -> Kind | None:
        return self.ev(node.value)

    def e_named(self, node: ast.NamedExpr) -> Kind | None:
        kind = self.ev(node.value)
        self.bind(node.target, kind, node.value, self.is_mask(node.value))
        return kind

    def e_slice(self, node: ast.Slice) -> Kind | None:
        self.ev(node.lower)
        self.ev(node.upper)
        self.ev(node.step)
        return None

    def e_constant(self, _node: ast.Constant) -> Kind | None:
        return STATIC

    def e_await(self, node: ast.Await) -> Kind | None:
        return self.ev(node.value)

    # ---- calls -------------------------------------------------------------------------------

    def e_call(self, node: ast.Call) -> Kind | None:
        func = node.func
        if isinstance(func, ast.Name):
            return self.call_name(node, func.id)
        if isinstance(func, ast.Attribute):
            return self.call_attribute(node, func)
        if isinstance(func, (ast.Subscript, ast.Call)):
            # FUNCS["sdpa"](q, k, v), getattr(torch, "histc")(x), REGISTRY.get(k)(x)
            self.ev(func)
            reached = self.call_targets(node, self.reach.targets(func))
            if reached is not _NOT_REACHED:
                return reached
        if isinstance(func, ast.Subscript):
            # self.layers[i](x), self.heads[name](x): calling a submodule of a container.
            self.args(node)
            return TENSOR
        if not isinstance(func, ast.Call):
            self.ev(func)
        return TENSOR if self.args(node) else None

    def call_targets(self, node: ast.Call, targets: frozenset) -> object:
        """Check `node` as a call of each function its callee may be (reach.Target); their
        kinds joined. _NOT_REACHED when none is known (the caller's usual handling applies)."""
        known = [t for t in targets if t.certain or t.qualified is None]
        if not known:
            return _NOT_REACHED
        kinds: list[Kind | None] = []
        for target in sorted(known, key=_target_order):
            call = reach.merged_call(node, target)
            if target.qualified is not None:
                saved, self.via = self.via, reach.describe(node, target)
                try:
                    kinds.append(self.library_call(call, target.qualified, None))
                finally:
                    self.via = saved
                continue
            if target.function is not None:
                ref: Callee = FunctionRef(target.function)
                params = self.tensor_arguments(call, _function_node(self.ctx, ref), method=False)
                may_return = self.ctx.returns.get(target.function, True)
                name = target.function
            else:
                owner, name = target.method
                ref = MethodRef(owner, name)
                params = self.tensor_arguments(call, _function_node(self.ctx, ref), method=True)
                may_return = self.ctx.returns.get(f"{owner}.{name}", True)
            self.edge(ref, params)
            kinds.append(_local_result(name, may_return, params))
        if TENSOR in kinds:
            return TENSOR
        return next((k for k in kinds if k is not None), None)

    def all_args(self, node: ast.Call) -> list[Kind | None]:
        """Visit the arguments; every kind (static and unknown included), positional first."""
        kinds = [self.ev(a) for a in node.args]
        kinds += [self.ev(k.value) for k in node.keywords]
        return kinds

    def args(self, node: ast.Call) -> list[Kind | None]:
        """Visit the arguments; their kinds, positional first then keywords."""
        kinds = [self.ev(a) for a in node.args]
        kinds += [self.ev(k.value) for k in node.keywords]
        return [k for k in kinds if _is_tensorish(k)]

    def tensor_arguments(self, node: ast.Call, callee: ast.FunctionDef | ast.AsyncFunctionDef | None,
                         method: bool) -> set[str]:
        """Which parameters of a file-local callee receive tensors at this call."""
        names: list[str] = []
        if callee is not None:
            arguments = callee.args
            names = [a.arg for a in arguments.posonlyargs + arguments.args]
            if method and names and not _is_static(callee):
                names = names[1:]
        params: set[str] = set()
        static = True  # every argument a static value (for pure helpers: a static result)
        for index, argument in enumerate(node.args):
            kind = self.ev(argument)
            static = static and kind is STATIC and not isinstance(argument, ast.Starred)
            if isinstance(argument, ast.Starred):
                if _is_tensorish(kind):
                    params.update(names[index:])
                    params.add("*")
                continue
            if _is_tensorish(kind):
                if index < len(names):
                    params.add(_passed(names[index], kind))
                else:
                    params.add("*")
        for keyword in node.keywords:
            kind = self.ev(keyword.value)
            static = static and kind is STATIC and keyword.arg is not None
            if _is_tensorish(kind) and keyword.arg:
                params.add(_passed(keyword.arg, kind))
        self.static_arguments = static
        return params

    def local_result(self, qualname: str, name: str, params: set[str]) -> Kind | None:
        """What a call of a function of the file gives (after `tensor_arguments`)."""
        if not params and self.static_arguments and qualname in self.ctx.pure:
            return STATIC  # get_padding(k, s) on ints: an int
        return _local_result(name, self.ctx.returns.get(qualname, True), params)

    def call_name(self, node: ast.Call, name: str) -> Kind | None:
        if name in self.reach.local or (
            name not in self.env and (name in self.reach.closure or name in self.ctx.values)
        ):
            reached = self.call_targets(node, self.reach.targets(node.func))
            if reached is not _NOT_REACHED:
                return reached
        kind = self.env.get(name)
        if kind is None and name not in self.local_functions:
            qualified = self.imports.names.get(name)
            if qualified is not None:
                return self.library_call(node, qualified, None)
            if name in self.ctx.functions:
                callee = _function_node(self.ctx, FunctionRef(name))
                params = self.tensor_arguments(node, callee, method=False)
                self.edge(FunctionRef(name), params)
                return self.local_result(name, name, params)
            if name in self.ctx.classes:
                self.args(node)
                return None  # building a module object inside forward
            if name in _VALUE_BUILTINS and node.args:
                # Builtins that read their first argument's value; the rules judge it.
                first = self.ev(node.args[0])
                for hook in rules.ON_BUILTIN_CALL:
                    hook(self, node, name, first)
                rest = [self.ev(extra) for extra in node.args[1:]] if name in TO_PYTHON_BUILTINS else []
                return STATIC if first is STATIC and _all_static(rest) else None  # int(s) of an int
            if name in _ALWAYS_STATIC_BUILTINS:
                self.args(node)
                return STATIC  # len(x) is a size; isinstance/hasattr are decided when tracing
            if name in NON_TENSOR_BUILTINS or name in ("list", "tuple") or name in STATIC_BUILTINS:
                kinds = self.all_args(node)
                if name in ("list", "tuple") and any(_is_tensorish(k) for k in kinds):
                    return SEQ
                if _all_static(kinds) and name in STATIC_BUILTINS:
                    return STATIC  # max(h, 1), list(feat_shape), range(n)
                if name in NON_TENSOR_BUILTINS or name in ("list", "tuple"):
                    return None
                return TENSOR if any(_is_tensorish(k) for k in kinds) else None
        # A local callable value (`layer(x)` in `for layer in self.layers`) or an unknown one.
        tensors = self.args(node)
        return TENSOR if tensors else None

    def call_attribute(self, node: ast.Call, func: ast.Attribute) -> Kind | None:
        receiver = func.value
        method = func.attr
        if isinstance(receiver, ast.Name) and receiver.id == "self" and self.class_name:
            owner = self.ctx.find_method(self.class_name, method)
            if owner is not None:
                callee = _function_node(self.ctx, MethodRef(owner, method))
                params = self.tensor_arguments(node, callee, method=True)
                self.edge(MethodRef(owner, method), params)
                return self.local_result(f"{owner}.{method}", method, params)
            # self.transform = partial(torch.fft.fftn, ...) / = a function, in some method
            reached = self.call_targets(node, self.reach.targets(func))
            if reached is not _NOT_REACHED:
                return reached
            tensors = self.args(node)
            if self.ctx.is_tensor_attr(self.class_name, method):
                return TENSOR
            # A submodule (self.conv(x)) gives a tensor; a stored plain function called on
            # sizes (self.compute_padding(h, k)) does not.
            return TENSOR if tensors else None
        if (
            isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Name)
            and receiver.func.id == "super" and self.class_name
        ):
            owner = self.ctx.find_method(self.class_name, method, skip_first=True)
            if owner is not None:
                callee = _function_node(self.ctx, MethodRef(owner, method))
                self.edge(MethodRef(owner, method), self.tensor_arguments(node, callee, method=True))
            else:
                self.args(node)
            return TENSOR if method != "__init__" else None
        qualified = self.imports.resolve(func) if not _is_local_name(receiver, self.env) else None
        if qualified is not None:
            return self.library_call(node, qualified, None)
        kind = self.ev(receiver)
        if kind in (TENSOR, MAYBE):
            return self.tensor_method(node, method)
        if kind is STATIC:
            # A method of a Python value (feat_shape.index(2), "a,b".split(",")): not a
            # tensor, and nothing for the tensor rules.
            return STATIC if _all_static(self.all_args(node)) else None
        tensors = self.args(node)
        if rules.first_claim(rules.ON_UNTYPED_METHOD, self, node, method, receiver):
            return None  # a Python value taken from it
        if kind == SEQ:
            return TENSOR if method in ("pop", "__getitem__") else None
        return TENSOR if tensors else None

    def tensor_method(self, node: ast.Call, method: str) -> Kind | None:
        self.args(node)
        if method.startswith(("get_", "is_", "has_")):
            return None  # accessors of non-tensor objects passed where a tensor may be
        rules.first_claim(rules.ON_TENSOR_METHOD, self, node, method)
        if method in TO_PYTHON_METHODS:
            return None
        if method in RANDOM_METHODS or method in VALUE_BOOL_METHODS:
            return TENSOR
        if method in STATIC_METHODS:
            return STATIC  # x.size(0), x.dim(): specialized when tracing
        if method in NON_TENSOR_METHODS:
            return None
        if method == "type" and not node.args and not node.keywords:
            return None
        return SEQ if method in SEQ_METHODS else TENSOR

    def library_call(self, node: ast.Call, qualified: str, _unused: None) -> Kind | None:
        if not qualified.startswith("torch"):
            if qualified.startswith("math."):
                return STATIC if _all_static(self.all_args(node)) else None  # math.sqrt(head_dim)
            tensors = self.args(node)
            if qualified.startswith(("numpy.", "builtins.")):
                return None
            # Another library (einops.rearrange(x, ...)): a tensor if used like one.
            return MAYBE if tensors else None
        name = _canonical_torch(qualified)
        if name.startswith("torch.nn.") and name.rsplit(".", 1)[-1][:1].isupper() and name != "torch.nn.Parameter":
            self.layer(node, name)
            self.args(node)
            return None  # a module object built inside forward
        self.args(node)
        rules.first_claim(rules.ON_LIBRARY_CALL, self, node, name)
        if name == "torch.where" and len(node.args) == 1 and not node.keywords:
            return SEQ  # the indices of the true values, one tensor per dimension
        if name in VALUE_BOOL_FUNCTIONS:
            return TENSOR
        if name in STATIC_TORCH_NAMES:
            return STATIC  # torch.finfo(dtype).min, torch.Size([...])
        if name in NON_TENSOR_TORCH_NAMES or name.startswith(NON_TENSOR_TORCH_PREFIXES):
            return None
        if name in SEQ_FUNCTIONS:
            return SEQ
        last = name.rsplit(".", 1)[-1]
        if last[:1].isupper() and not last.endswith("Tensor"):
            return None
        return TENSOR

    def layer(self, node: ast.Call, name: str) -> None:
        """A torch.nn layer constructor, judged by the rules on this line."""
        rules.first_claim(rules.ON_LAYER, self, node, name)

    # ---- constants and operands -------------------------------------------------------------

    def is_constant(self, node: ast.expr) -> bool:
        """Whether `node` is a tensor built only from static values (without visiting it):
        `torch.arange(n)`, `torch.ones(2, 3)`, ops and methods on such tensors."""
        if isinstance(node, ast.Name):
            return node.id in self.consts
        if isinstance(node, ast.Attribute):
            # self.pos (a buffer or parameter __init__ made): a constant of the converted
            # graph, as the probes' constant operands are (they are buffers).
            return (isinstance(node.value, ast.Name) and node.value.id == "self" and self.class_name is not None
                    and self.ctx.is_tensor_attr(self.class_name, node.attr))
        if isinstance(node, ast.Call):
            func = node.func
            arguments = [*node.args, *(k.value for k in node.keywords if k.arg not in _PLACEMENT)]
            if isinstance(func, ast.Attribute) and _is_local_name(func.value, self.env):
                # a method: of a constant receiver, with static or constant arguments
                return self.is_constant(func.value) and all(self._static_or_constant(a) for a in arguments)
            name = self.imports.resolve(func)
            if name is None or not name.startswith("torch."):
                return False
            if name in CONSTANT_CREATION:
                return all(self._static_or_constant(a) for a in arguments)
            return bool(arguments) and all(self._static_or_constant(a) for a in arguments) and any(
                self.is_constant(a) for a in arguments)
        if isinstance(node, ast.BinOp):
            sides = (node.left, node.right)
            return all(self._static_or_constant(e) for e in sides) and any(self.is_constant(e) for e in sides)
        if isinstance(node, ast.UnaryOp):
            return self.is_constant(node.operand)
        if isinstance(node, ast.Subscript):
            return self.is_constant(node.value) and self._is_static_syntax(node.slice)
        return False

    def _static_or_constant(self, node: ast.expr) -> bool:
        return self._is_static_syntax(node) or self.is_constant(node)

    def _is_static_syntax(self, node: ast.expr) -> bool:
        """A cheap syntactic check for "a static Python value" (literals, static names,
        shapes, sizes, config attributes, dtypes)."""
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.Name):
            return self.env.get(node.id) is STATIC
        if isinstance(node, ast.Attribute):
            if node.attr in STATIC_ATTRIBUTES:
                return True
            root = node.value
            if isinstance(root, ast.Name) and root.id == "self" and self.class_name:
                return node.attr == "config" or self.ctx.is_static_attr(self.class_name, node.attr)
            if isinstance(root, ast.Name) and root.id not in self.env:
                resolved = self.imports.resolve(node)
                return resolved is not None and (resolved.startswith("math.") or resolved in _TORCH_DTYPES)
            return self._is_static_syntax(root)
        if isinstance(node, (ast.Tuple, ast.List)):
            return all(self._is_static_syntax(e) for e in node.elts)
        if isinstance(node, ast.BinOp):
            return self._is_static_syntax(node.left) and self._is_static_syntax(node.right)
        if isinstance(node, ast.UnaryOp):
            return self._is_static_syntax(node.operand)
        if isinstance(node, ast.Subscript):
            return self._is_static_syntax(node.value) and self._is_static_syntax(node.slice)
        if isinstance(node, ast.Slice):
            return all(p is None or self._is_static_syntax(p) for p in (node.lower, node.upper, node.step))
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in STATIC_METHODS:
                return True
            if isinstance(func, ast.Name) and func.id in STATIC_BUILTINS and func.id not in self.env:
                return all(self._is_static_syntax(a) for a in node.args)
        return False

    def operand_kind(self, node: ast.expr) -> str | None:
        """What an op's operand is, in the knowledge base's words: "scalar" (a static Python
        number), "const" (a tensor built only from static values), "tensor" (input-dependent
        or of unknown origin), None (unknown)."""
        if isinstance(node, ast.Starred):
            return None
        if isinstance(node, ast.Constant):
            value = node.value
            return "scalar" if isinstance(value, (int, float)) and not isinstance(value, bool) else None
        kind = self.kind_of_known(node)
        if kind is STATIC:
            return "scalar"
        if kind is TENSOR:
            return "const" if self.is_constant(node) else "tensor"
        if kind is MAYBE:
            return "tensor"  # an input of forward used as an operand: read as the tensor it was before
        return None

    # ---- masks -------------------------------------------------------------------------------

    def is_mask(self, node: ast.expr) -> bool:
        """Whether `node` is a boolean tensor (without visiting it again)."""
        if isinstance(node, ast.Name):
            return node.id in self.masks
        if isinstance(node, ast.Compare):
            if all(isinstance(op, _IS_OPS) for op in node.ops):
                return False
            return any(self._tensor_shaped(e) for e in [node.left, *node.comparators])
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Invert):
            return self.is_mask(node.operand)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitAnd, ast.BitOr, ast.BitXor)):
            return self.is_mask(node.left) or self.is_mask(node.right)
        if isinstance(node, ast.Tuple):
            return any(self.is_mask(e) for e in node.elts)
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute):
                resolved = self.imports.resolve(func) if not _is_local_name(func.value, self.env) else None
                if resolved is not None:
                    return resolved in BOOL_FUNCTIONS
                if func.attr in BOOL_METHODS and self._tensor_shaped(func.value):
                    return True
                if func.attr == "to" and any(
                    self.imports.resolve(a) == "torch.bool" for a in [*node.args, *(k.value for k in node.keywords)]
                ):
                    return True
            elif isinstance(func, ast.Name):
                return self.imports.names.get(func.id) in BOOL_FUNCTIONS
        return False

    def _tensor_shaped(self, node: ast.expr) -> bool:
        """A cheap syntactic check for "this operand is a tensor" (used by is_mask)."""
        if isinstance(node, ast.Name):
            return self.env.get(node.id) in (TENSOR, MAYBE)
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id == "self" and self.class_name:
                return self.ctx.is_tensor_attr(self.class_name, node.attr)
            return node.attr in TENSOR_ATTRIBUTES and self._tensor_shaped(node.value)
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute):
                if func.attr in NON_TENSOR_METHODS or func.attr in TO_PYTHON_METHODS:
                    return False
                resolved = self.imports.resolve(func) if not _is_local_name(func.value, self.env) else None
                if resolved is not None:
                    return resolved.startswith("torch.")
                return self._tensor_shaped(func.value)
            return False
        if isinstance(node, ast.BinOp):
            return self._tensor_shaped(node.left) or self._tensor_shaped(node.right)
        if isinstance(node, ast.Subscript):
            return self._tensor_shaped(node.value)
        if isinstance(node, ast.UnaryOp):
            return self._tensor_shaped(node.operand)
        return False


_STATEMENTS: dict[type, Callable] = {
    ast.Expr: _Walker.s_expr,
    ast.Assign: _Walker.s_assign,
    ast.AnnAssign: _Walker.s_annassign,
    ast.AugAssign: _Walker.s_augassign,
    ast.If: _Walker.s_if,
    ast.While: _Walker.s_while,
    ast.For: _Walker.s_for,
    ast.AsyncFor: _Walker.s_for,
    ast.With: _Walker.s_with,
    ast.AsyncWith: _Walker.s_with,
    ast.Try: _Walker.s_try,
    ast.Return: _Walker.s_return,
    ast.Assert: _Walker.s_assert,
    ast.FunctionDef: _Walker.s_function,
    ast.AsyncFunctionDef: _Walker.s_function,
    ast.Import: _Walker.s_import,
    ast.ImportFrom: _Walker.s_import,
}
if hasattr(ast, "TryStar"):
    _STATEMENTS[ast.TryStar] = _Walker.s_try
if hasattr(ast, "Match"):
    _STATEMENTS[ast.Match] = _Walker.s_match

_EXPRESSIONS: dict[type, Callable] = {
    ast.Name: _Walker.e_name,
    ast.Attribute: _Walker.e_attribute,
    ast.Call: _Walker.e_call,
    ast.BinOp: _Walker.e_binop,
    ast.UnaryOp: _Walker.e_unaryop,
    ast.BoolOp: _Walker.e_boolop,
    ast.Compare: _Walker.e_compare,
    ast.IfExp: _Walker.e_ifexp,
    ast.Subscript: _Walker.e_subscript,
    ast.Tuple: _Walker.e_sequence,
    ast.List: _Walker.e_sequence,
    ast.Set: _Walker.e_sequence,
    ast.Dict: _Walker.e_dict,
    ast.ListComp: _Walker.e_comprehension,
    ast.SetComp: _Walker.e_comprehension,
    ast.GeneratorExp: _Walker.e_comprehension,
    ast.DictComp: _Walker.e_comprehension,
    ast.Lambda: _Walker.e_lambda,
    ast.JoinedStr: _Walker.e_joined,
    ast.Starred: _Walker.e_starred,
    ast.NamedExpr: _Walker.e_named,
    ast.Slice: _Walker.e_slice,
    ast.Await: _Walker.e_await,
    ast.Constant: _Walker.e_constant,
}


def _local_result(name: str, may_return_tensor: bool, params: set[str]) -> Kind | None:
    """What a call of a function of the file gives: a tensor when it may return one and got
    a tensor; "maybe" when it got none (a mask builder) or only flag-like inputs."""
    if not may_return_tensor:
        return STATIC  # every return is visibly a Python value (a size, a shape, a flag)
    if name.startswith(("is_", "has_", "should_", "use_")):
        return None
    if any(not p.startswith("?") for p in params):
        return TENSOR
    return MAYBE


def _may_be_callee(value: ast.expr, imports: ImportTable) -> bool:
    """A cheap pre-check before reach.Resolver: most assigned values are op results."""
    if isinstance(value, ast.Call):
        func = value.func
        if isinstance(func, ast.Name):
            return func.id == "getattr" or imports.names.get(func.id) == "functools.partial"
        return isinstance(func, ast.Attribute) and (func.attr in ("partial", "get", "pop") or func.attr.startswith("get_"))
    return isinstance(value, _CALLEE_SHAPES)


def _with_note(message: str, note: str) -> str:
    """`note` (how the call reached the op) placed before the message's "Instead:" advice."""
    if not note:
        return message
    head, sep, advice = message.partition(" Instead:")
    return f"{head.rstrip('.')}{note}.{sep}{advice}" if sep else f"{message}{note}"


def _target_order(target: reach.Target) -> tuple[str, str, str]:
    """A fixed order over a call's targets (findings and edges do not depend on set order)."""
    return (target.qualified or "", target.function or "", ".".join(target.method or ()))


def _passed(param: str, kind: Kind | None) -> str:
    """How a parameter is recorded for the callee: `name` when it receives a tensor,
    `?name` when it receives a "maybe" (a flag-like input passed along)."""
    return f"?{param}" if kind == MAYBE else param


# Keyword arguments that place a tensor, not compute it (torch.arange(n, device=x.device)).
_PLACEMENT = frozenset({"device", "dtype", "layout", "requires_grad", "pin_memory", "memory_format"})
_TORCH_DTYPES = frozenset(f"torch.{name}" for name in (
    "float32", "float", "float16", "half", "bfloat16", "float64", "double", "int8", "int16",
    "int32", "int", "int64", "long", "uint8", "bool", "complex64",
))


def _element(kind: Kind | None) -> Kind | None:
    """The kind of the items of a loop over a value of `kind`."""
    if kind is STATIC:
        return STATIC  # `for s in feat_shape`: ints
    return TENSOR if _is_tensorish(kind) else None


def _static_annotation(annotation: ast.expr) -> bool:
    """`int`, `List[int]`, `Optional[Tuple[int, int]]`, `torch.Size`: a static Python value."""
    for node in walk(annotation):
        if isinstance(node, ast.Name) and node.id not in STATIC_ANNOTATIONS and node.id not in ("typing", "torch"):
            return False
        if isinstance(node, ast.Attribute) and node.attr not in STATIC_ANNOTATIONS:
            return False
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value not in STATIC_ANNOTATIONS:
            return False  # a forward reference to some class
    return True


def _received(param: str, tensor_params: frozenset[str]) -> Kind | None:
    if param in tensor_params:
        return TENSOR
    return MAYBE if f"?{param}" in tensor_params else None


def _is_static(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in function.decorator_list)


def _mentions_tensor(annotation: ast.expr) -> bool:
    for node in walk(annotation):
        if isinstance(node, ast.Name) and "Tensor" in node.id:
            return True
        if isinstance(node, ast.Attribute) and "Tensor" in node.attr:
            return True
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "Tensor" in node.value:
            return True
    return False


def _is_local_name(node: ast.expr, env: dict[str, Kind]) -> bool:
    """Whether the chain's root is a local variable (so it is not an imported module)."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id in env


def _canonical_torch(name: str) -> str:
    """`torch.nn.modules.pooling.AdaptiveMaxPool2d` -> `torch.nn.AdaptiveMaxPool2d`."""
    if name.startswith("torch.nn.modules."):
        return "torch.nn." + name.rsplit(".", 1)[-1]
    if name.startswith("torch._C._nn."):
        return "torch.nn.functional." + name.rsplit(".", 1)[-1]
    return name


def _function_node(ctx: ModuleContext, callee: Callee):
    """The def of a file-local callee, from the context's block summaries."""
    if isinstance(callee, FunctionRef):
        return ctx.function_nodes.get(callee.name)
    info = ctx.class_info.get(callee.owner)
    return info.methods.get(callee.method) if info else None


# ---- the module-wide fixpoint ------------------------------------------------------------------


def _installed_forward_params(block: BlockInfo, qualname: str) -> list[str] | None:
    """The tensor inputs of a function installed as `forward`: every parameter after the
    first (`self`), and `*args`."""
    function = block.function(qualname)
    if function is None:
        return None
    arguments = function.args
    names = [a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs][1:]
    return [*names, "*"]


class Program:
    """Runs the rules over a module given as blocks, caching each function's result."""

    def __init__(self, cache: dict | None = None) -> None:
        self.cache: dict = cache if cache is not None else {}
        self.used: dict = {}

    def run(self, blocks: list[BlockInfo], ctx: ModuleContext,
            entries: dict[str, frozenset[str]] | None = None) -> list[tuple[int, Finding]]:
        """Findings as (unit index, finding relative to that unit's parsed text). `entries`:
        module-level functions traced as if called from a forward, with the parameters given
        tensors (another file's model calls them: analysis/project_index.py)."""
        owner: dict[Callee, int] = {}
        for name, index in ctx.functions.items():
            owner[FunctionRef(name)] = index
        for qualname, index in ctx.trace_roots.items():
            owner.setdefault(FunctionRef(qualname), index)
        for name, index in ctx.classes.items():
            for method in ctx.class_info[name].methods:
                owner[MethodRef(name, method)] = ctx.method_units.get((name, method), index)
        # (callee, mode, root) -> tensor params
        reached: dict[tuple[Callee, str, bool], set[str]] = {}
        pending: list[tuple[Callee, str, bool]] = []
        for name in sorted(ctx.module_classes):
            methods = ctx.class_info[name].methods
            if "forward" in methods:
                reached[(MethodRef(name, "forward"), TRACE, True)] = set()
                pending.append((MethodRef(name, "forward"), TRACE, True))
            if "__init__" in methods:
                reached[(MethodRef(name, "__init__"), BUILD, True)] = set()
                pending.append((MethodRef(name, "__init__"), BUILD, True))
        for qualname in sorted(ctx.trace_roots):
            # A forward installed by a decorator (`cls.forward = fn`): traced like a method,
            # its inputs after `self` (and *args) given tensors.
            params = _installed_forward_params(blocks[owner[FunctionRef(qualname)]], qualname)
            key = (FunctionRef(qualname), TRACE, False)
            if params is not None and key not in reached:
                reached[key] = set(params)
                pending.append(key)
        for qualname, params in sorted((entries or {}).items()):
            key = (FunctionRef(qualname), TRACE, False)
            if FunctionRef(qualname) in owner and key not in reached:
                reached[key] = set(params)
                pending.append(key)
        results: dict[tuple[Callee, str, bool], FunctionResult] = {}
        while pending:
            key = pending.pop()
            callee, mode, root = key
            if callee not in owner:
                continue
            result = self._analyze(blocks[owner[callee]], ctx, callee, mode, root, frozenset(reached[key]))
            results[key] = result
            for target, params in result.calls:
                target_key = (target, mode, False)
                known = reached.get(target_key)
                if known is None:
                    reached[target_key] = set(params)
                    pending.append(target_key)
                elif not params <= known:
                    known.update(params)
                    pending.append(target_key)
        found: list[tuple[int, Finding]] = []
        for (callee, _mode, _root), result in results.items():
            index = owner.get(callee)
            if index is not None:
                found.extend((index, f) for f in result.findings)
        return found

    def _analyze(self, block: BlockInfo, ctx: ModuleContext, callee: Callee, mode: str, root: bool,
                 params: frozenset[str]) -> FunctionResult:
        qualname = callee.qualname
        # The context key is not part of the key: the caller keeps one cache per context key.
        key = (block.text, qualname, mode, root, params)
        result = self.cache.get(key)
        if result is None:
            result = analyze_function(block, ctx, qualname, mode, root, params)
            self.cache[key] = result
        self.used[key] = result
        return result


def analyze_function(block: BlockInfo, ctx: ModuleContext, qualname: str, mode: str, root: bool,
                     params: frozenset[str]) -> FunctionResult:
    """One function's findings and outgoing calls; never raises."""
    function = block.function(qualname)
    if function is None:
        return FunctionResult((), ())
    class_name = qualname.split(".", 1)[0] if "." in qualname else None
    # A nested def (a decorator's forward) sees its enclosing functions' values.
    closure = reach.closure_values(block.enclosing(qualname)[:-1]) if ">" in qualname else None
    walker = _Walker(ctx, block, class_name, mode, closure)
    try:
        if mode == BUILD:
            walker.run_build(function)
        else:
            walker.run_trace(function, root, params)
    except RecursionError:
        pass  # absurdly nested code: keep what was found so far
    # The resolver reads the walker's locals through a closure (a reference cycle that would
    # keep the module's trees alive until the cycle collector runs): break it now.
    walker.reach = None
    return walker.result()


__all__ = ["FunctionResult", "Program", "analyze_function", "build_context", "parse_block"]
