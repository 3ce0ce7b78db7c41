"""How a call's result is used, and what its input's rank is, read from the enclosing function.

Some ops convert or not depending on facts of the call site that no argument literal says:
`torch.topk(x, 3)` with both outputs used lowers to TOPK_V2, with only the values to a sort
the LiteRT runtime cannot run; `F.pad` lowers to `tfl.pad`, which takes at most 5-D. The
knowledge base measures those axes as variants (`outputs_used`, `rank`); this module says
which variant a call site is, or None when the source does not tell (then the verdict is the
one for an unknown use: all outputs used, any probed rank).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

from litert_lsp.analysis.syntax_walk import children, walk

# Named fields of torch's multi-output results, by position.
_FIELDS = {"values": 0, "indices": 1}
_SHAPE_METHODS = frozenset({"reshape", "view", "permute"})
_DEPTH = 8  # how many assignments a rank is followed through


@dataclass(frozen=True)
class CallSite:
    """What the call site tells beyond the call's own arguments (None: not known)."""

    outputs_used: frozenset[int] | None = None
    input_rank: int | None = None


class FunctionUsage:
    """Parent links and assignments of one function, built once per walk, on first use."""

    def __init__(self, function: ast.AST, rank_source: Callable[[ast.Call], ast.expr | None] | None = None) -> None:
        self.function = function
        # For a call whose result has its input's rank (a convolution, `F.pad`, an activation):
        # that input (the walker knows the layers and the imports).
        self.rank_source = rank_source
        self._parents: dict[int, ast.AST] | None = None
        self._loads: dict[str, list[ast.Name]] = {}
        self._assigns: dict[str, list[ast.Assign]] = {}
        self._unpacks: dict[str, list[ast.Assign]] = {}  # `a, b = name.shape`, by name

    def _index(self) -> dict[int, ast.AST]:
        if self._parents is None:
            self._parents = {}
            for node in walk(self.function):
                for child in children(node):
                    self._parents[id(child)] = node
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                    self._loads.setdefault(node.id, []).append(node)
                elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                    target = node.targets[0]
                    if isinstance(target, ast.Name):
                        self._assigns.setdefault(target.id, []).append(node)
                    elif isinstance(target, (ast.Tuple, ast.List)) and not any(
                            isinstance(e, ast.Starred) for e in target.elts):
                        shaped = _shape_of(node.value)
                        if shaped is not None:
                            self._unpacks.setdefault(shaped, []).append(node)
        return self._parents

    def parent(self, node: ast.AST) -> ast.AST | None:
        return self._index().get(id(node))

    def outputs_used(self, call: ast.Call) -> frozenset[int] | None:
        """Which outputs of a multi-output call are read: `f(...)[0]`, `f(...).values`,
        `v, _ = f(...)` (a name never read counts as unused), `r = f(...)` read only as `r[i]` /
        `r.indices`. None when the use is not one of those (returned, passed on, iterated)."""
        parent = self.parent(call)
        picked = _picked(parent, call)
        if picked is not None:
            return frozenset({picked})
        if not isinstance(parent, ast.Assign) or parent.value is not call or len(parent.targets) != 1:
            return None
        target = parent.targets[0]
        if isinstance(target, (ast.Tuple, ast.List)):
            if not all(isinstance(e, ast.Name) for e in target.elts):
                return None
            return frozenset(i for i, e in enumerate(target.elts) if self._is_read(e.id))
        if isinstance(target, ast.Name):
            loads = self._loads.get(target.id, [])
            if not loads:
                return None
            used = set()
            for load in loads:
                index = _picked(self.parent(load), load)
                if index is None:
                    return None  # the whole result is used somewhere
                used.add(index)
            return frozenset(used)
        return None

    def last_value(self, name: str, before: int) -> ast.expr | None:
        """The value of the last plain `name = value` before line `before` (None: none)."""
        self._index()
        earlier = [a for a in self._assigns.get(name, []) if a.lineno < before]
        return max(earlier, key=lambda a: (a.lineno, a.col_offset)).value if earlier else None

    def reads_after(self, name: str, line: int) -> list[ast.Name]:
        """Where `name` is read after line `line`."""
        self._index()
        return [load for load in self._loads.get(name, []) if load.lineno > line]

    def _is_read(self, name: str) -> bool:
        self._index()
        return name != "_" and bool(self._loads.get(name))

    def rank(self, node: ast.expr, before: int, depth: int = 0) -> int | None:
        """The rank of a tensor expression when the source fixes it: the result of a
        `reshape`/`view`/`permute` with a literal number of sizes, a name unpacked by
        `B, C, H, W = x.shape`, carried through the last assignment of a name before line
        `before` and through calls that keep their input's rank (`rank_source`)."""
        if depth > _DEPTH:
            return None
        if isinstance(node, ast.Call):
            fixed = _shape_call_rank(node)
            if fixed is not None or self.rank_source is None:
                return fixed
            source = self.rank_source(node)
            return self.rank(source, before, depth + 1) if source is not None else None
        if isinstance(node, ast.BinOp) and isinstance(node.right, ast.Constant):
            return self.rank(node.left, before, depth + 1)  # `x * 2`: a number broadcasts into any rank
        if isinstance(node, ast.BinOp) and isinstance(node.left, ast.Constant):
            return self.rank(node.right, before, depth + 1)
        if isinstance(node, ast.Name):
            self._index()
            earlier = [a for a in self._assigns.get(node.id, []) if a.lineno < before]
            last = max(earlier, key=lambda a: (a.lineno, a.col_offset)) if earlier else None
            unpacked = self._unpacking(node.id, last.lineno if last else 0, before)
            if unpacked is not None:
                if self._assigned_elsewhere(node.id, unpacked, before):
                    return None
                return len(unpacked.targets[0].elts)  # type: ignore[attr-defined]
            if last is None:
                return None
            if self._assigned_elsewhere(node.id, last, before):
                return None  # another binding (a loop, an augmented or tuple assignment) may win
            return self.rank(last.value, last.lineno, depth + 1)
        return None

    def _unpacking(self, name: str, after: int, before: int) -> ast.Assign | None:
        """The last `a, b, c, d = name.shape` (or `name.size()`) between the two lines: `name`
        has exactly that many dimensions, or Python would have raised."""
        self._index()
        between = [a for a in self._unpacks.get(name, []) if after <= a.lineno < before]
        return max(between, key=lambda a: (a.lineno, a.col_offset)) if between else None

    def _assigned_elsewhere(self, name: str, last: ast.Assign, before: int) -> bool:
        for node in walk(self.function):
            if isinstance(node, (ast.For, ast.AugAssign, ast.NamedExpr, ast.AnnAssign)) or (
                isinstance(node, ast.Assign) and node is not last and not (
                    len(node.targets) == 1 and isinstance(node.targets[0], ast.Name))):
                targets = [node.target] if not isinstance(node, ast.Assign) else node.targets
                for target in targets:
                    for leaf in walk(target):
                        if isinstance(leaf, ast.Name) and leaf.id == name and last.lineno <= leaf.lineno < before:
                            return True
        return False


def _shape_of(node: ast.expr) -> str | None:
    """`name` for `name.shape` and `name.size()`."""
    attribute = "shape"
    if isinstance(node, ast.Call) and not node.args and not node.keywords:
        node, attribute = node.func, "size"
    if isinstance(node, ast.Attribute) and node.attr == attribute and isinstance(node.value, ast.Name):
        return node.value.id
    return None


def _picked(parent: ast.AST | None, value: ast.AST) -> int | None:
    """The output index `parent` takes from `value`: `value[i]` or `value.values/.indices`."""
    if isinstance(parent, ast.Subscript) and parent.value is value:
        index = parent.slice
        if isinstance(index, ast.Constant) and isinstance(index.value, int) and not isinstance(index.value, bool):
            return index.value if index.value >= 0 else None
        return None
    if isinstance(parent, ast.Attribute) and parent.value is value:
        return _FIELDS.get(parent.attr)
    return None


def _shape_call_rank(call: ast.Call) -> int | None:
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in _SHAPE_METHODS or call.keywords:
        return None
    args = list(call.args)
    if isinstance(func.value, ast.Name) and func.value.id == "torch":
        args = args[1:]  # torch.reshape(x, shape) / torch.permute(x, dims)
    if len(args) == 1 and isinstance(args[0], (ast.Tuple, ast.List)):
        args = list(args[0].elts)
    if not args or any(isinstance(a, ast.Starred) for a in args):
        return None
    if len(args) == 1 and not isinstance(args[0], ast.Constant):
        return None  # x.view(shape): a size object of unknown length (or a dtype)
    return len(args)
