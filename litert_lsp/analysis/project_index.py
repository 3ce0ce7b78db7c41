"""Reach into other files: what the classes and functions a model imports do where they are defined.

A model file often only assembles parts defined elsewhere: `self.block = ConvBlock()` after
`from .blocks import ConvBlock`, `class Model(LibraryBase)`, `y = helpers.fused(x)`. The
analyzer checks each file on its own, so the problem in `ConvBlock.forward` shows in
blocks.py, and the file a user actually converts shows nothing. This module gives the use
site a finding that names the other file and line:

    ConvBlock.forward (blocks.py:12) calls torch.histc: <the finding there>

How, without running anything: the import statements are resolved to files by path (relative
imports from the importing file's package; absolute ones under the importing file's project
root, its own folder, then the `sys.path` folders); the other file is read and analyzed as text
(never imported), and its PyTorch findings inside the imported class (its methods and its
same-file bases) or function are carried to the use site, following the classes and functions
that code builds or calls in its own file and, one file further, in the files it imports.

Severity, so a problem counts once: a file of the user's project (found through a relative
import, the project root or the importing file's folder) is checked itself (the editor's
workspace, `litert-lsp check` on the folder), so there the finding keeps its severity and the
use site gets an Information pointing at it (`data["related"]`); an installed library file is
never checked by the user, so the use site is the only place its problem shows, and it keeps
the severity of the finding in the library.

Bounded: at most `MAX_DEPTH` files away, `MAX_FILES` other files per analysis, files above
`MAX_BYTES` skipped; each file's summary is cached by its content hash (a file is re-read only
when its size or modification time changed). Frameworks (torch, tensorflow, ...) and the standard
library are never followed: the knowledge base speaks for them. Pure Python and `ast`.
"""

from __future__ import annotations

import ast
import bisect
import contextlib
import contextvars
import hashlib
import os
import re
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from litert_lsp.analysis.module_index import Unit
from litert_lsp.analysis.syntax_walk import children, walk
from litert_lsp.core.findings import Finding, Severity

MAX_DEPTH = 2  # the model's imports, and the files those import
MAX_FILES = 24  # other files one analysis may read
MAX_BYTES = 1_000_000  # generated or vendored giants are not model code
MAX_PER_SITE = 3  # distinct problems carried to one use site
MAX_SYMBOLS = 64  # classes and functions visited for one use site
_CACHE_SIZE = 256
# Never followed: the knowledge base speaks for the frameworks, and the toolchains are not model code.
FRAMEWORKS = frozenset({
    "torch", "torchvision", "torchaudio", "tensorflow", "tf_keras", "keras", "jax", "flax", "numpy",
    "litert_torch", "ai_edge_torch", "ai_edge_litert", "tflite_runtime", "litert_lsp",
})
_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ()))
# Inside an analysis started by this module: the nested one does not reach again (bounded, and no
# finding is carried twice).
_ACTIVE: contextvars.ContextVar[bool] = contextvars.ContextVar("litert_reach_active", default=False)
# Inside `recording_reads()`: the other files the analyses read are added here.
_READS: contextvars.ContextVar[set[Path] | None] = contextvars.ContextVar("litert_reach_reads", default=None)


@dataclass(frozen=True)
class _Import:
    module: str  # dotted, "" for `from . import x`
    level: int  # leading dots
    name: str | None  # the imported name; None for `import a.b` / `import a.b as m`


@dataclass
class _Symbol:
    """A class or function of a summarized file."""

    name: str
    kind: str  # "class" | "function"
    start: int
    end: int
    methods: dict[str, tuple[int, int]] = field(default_factory=dict)
    bases: list[ast.expr] = field(default_factory=list)
    calls: list[ast.Call] = field(default_factory=list)  # the calls in its body (what it builds or calls)
    params: tuple[str, ...] = ()  # a function's positional parameters, in order


@dataclass
class _Summary:
    """One other file, analyzed as text: its symbols, imports and PyTorch findings."""

    path: Path
    symbols: dict[str, _Symbol]
    imports: dict[str, _Import]
    findings: tuple[Finding, ...]
    text: str = ""
    # (function, its tensor parameters) -> its findings when traced with them (`_traced`).
    traced: dict[tuple[str, frozenset[str]], tuple[Finding, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Resolved:
    path: Path
    symbol: str
    library: bool


@dataclass(frozen=True)
class _Reached:
    finding: Finding
    path: Path
    who: str  # "ConvBlock.forward"
    library: bool
    chain: tuple[str, ...]  # the symbols in between, for the message


class _Budget:
    def __init__(self) -> None:
        self.files = 0
        self.touched: set[Path] = set()  # the files a reach read: what its memo depends on


# ---- the entry point ---------------------------------------------------------------------------


_LOCK = threading.RLock()


def reach_findings(path: str, units: list[Unit], overridden: dict[str, set[str]] | None = None,
                   project_files: bool = True) -> list[Finding]:
    """Findings at the use sites in `units` (the analyzed document) of imported classes and
    functions whose code, in another file, has a PyTorch finding. `overridden`: class name ->
    the methods the document's class defines itself (a subclass's own `forward` replaces the
    base's). `project_files=False` follows installed libraries only: `check` over a folder checks
    the project's other files themselves, so a pointer to them would say each problem twice
    (and read every file twice). Never raises: a file that cannot be read or parsed is simply
    not followed."""
    if _ACTIVE.get() or not path or path.startswith("<"):
        return []
    try:
        importer = Path(path).resolve()
    except (OSError, RuntimeError):
        return []
    if not importer.is_file():
        return []
    # Module-level imports, as each block's summary already lists them; only those that name a
    # file (frameworks and the standard library never do) make a unit worth walking.
    statements = [node for unit in units if unit.info.tree is not None for node in unit.info.imports]
    imports = {name: imported for name, imported in _imports_of(statements).items()
               if (project_files or not imported.level) and _names_a_file(imported, importer)}
    if not imports:
        return []
    with _LOCK:  # the caches below are shared by every analysis of the process
        return _findings_at_sites(units, imports, importer, overridden or {}, project_files)


def _findings_at_sites(units: list[Unit], imports: dict, importer: Path,
                       overridden: dict[str, set[str]], project_files: bool) -> list[Finding]:
    budget = _Budget()
    found: list[Finding] = []
    for unit in units:
        tree = unit.info.tree
        if tree is None or not any(name in unit.info.text for name in imports):
            continue
        shift = unit.line + unit.info.line_shift
        for node, resolved, skip, traced in _unit_sites(unit, imports, importer, overridden):
            if not project_files and not resolved.library:
                continue
            found.extend(_site_findings(node, shift, unit.info.lines, resolved, skip, traced, budget))
    reads = _READS.get()
    if reads is not None:
        reads |= budget.touched
    return found


@contextlib.contextmanager
def recording_reads() -> Iterator[set[Path]]:
    """The other files that the analyses run inside the block read to find their reach
    findings: what a stored result depends on besides its own text (`check`'s cache)."""
    reads: set[Path] = set()
    token = _READS.set(reads)
    try:
        yield reads
    finally:
        _READS.reset(token)


def reach_findings_in(path: str, source: str) -> list[Finding]:
    """`reach_findings` for a whole source text (one unit): the CLI's and the tests' entry."""
    from litert_lsp.analysis.module_index import parse_block

    return reach_findings(path, [Unit(0, parse_block(source))])


# ---- use sites in the analyzed document --------------------------------------------------------


# A unit's use sites, by its text and what its imports resolve to: an edit re-walks only the
# units it changed.
_sites: OrderedDict[tuple, list[tuple[ast.expr, _Resolved, frozenset[str], bool]]] = OrderedDict()


def _unit_sites(unit: Unit, imports: dict[str, _Import], importer: Path,
                overridden: dict[str, set[str]]) -> list[tuple[ast.expr, _Resolved, frozenset[str], bool]]:
    # The first line too: a unit of the one-shot path numbers its tree as the module does.
    first = unit.info.tree.body[0].lineno if unit.info.tree is not None and unit.info.tree.body else 0
    key = (unit.info.text, first, importer, tuple(sorted(imports.items(), key=lambda item: item[0])),
           tuple(sorted((name, tuple(sorted(methods))) for name, methods in overridden.items())))
    known = _sites.get(key)
    if known is None:
        known = list(_use_sites(unit.info.tree, unit.info.lines, imports, importer, overridden))
        _sites[key] = known
        while len(_sites) > _CACHE_SIZE * 4:
            _sites.popitem(last=False)
    else:
        _sites.move_to_end(key)
    return known


def _use_sites(tree: ast.Module, lines_of: list[str], imports: dict[str, _Import], importer: Path,
               overridden: dict[str, set[str]]) -> Iterator[tuple[ast.expr, _Resolved, frozenset[str], bool]]:
    """(node, what it refers to, methods not to carry, whether it runs in a forward) for each base
    class and each call of an imported class or function. Only the statements spanning a line that
    names an import are entered: most of a model file never mentions one, and walking all of it
    on every keystroke would cost as much as parsing it."""
    if not tree.body:
        return
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(imports))) + r")\b")
    # The unit's own lines, numbered as its tree numbers them (a unit of the one-shot path sees
    # the module's lines, with module line numbers).
    first = min([tree.body[0].lineno, *(d.lineno for d in getattr(tree.body[0], "decorator_list", ()))])
    last = min(max(s.end_lineno or s.lineno for s in tree.body), len(lines_of))
    lines = [number for number in range(first, last + 1) if pattern.search(lines_of[number - 1])]
    if not lines:
        return

    def mentioned(node: ast.AST) -> bool:
        first = getattr(node, "lineno", None)
        if first is None:
            return True
        index = bisect.bisect_left(lines, first)
        return index < len(lines) and lines[index] <= (getattr(node, "end_lineno", None) or first)

    pending: list[tuple[ast.AST, bool]] = [(tree, False)]
    while pending:
        node, in_forward = pending.pop()
        if isinstance(node, ast.ClassDef):
            own = frozenset(overridden.get(node.name, ()))
            own |= {s.name for s in node.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
            for base in node.bases:
                resolved = _resolve_expr(base, imports, importer)
                if resolved is not None:
                    yield base, resolved, own, False
        elif isinstance(node, ast.Call):
            resolved = _resolve_expr(node.func, imports, importer)
            if resolved is not None:
                yield node, resolved, frozenset(), in_forward
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == "forward":
            in_forward = True
        kids = [child for child in children(node) if mentioned(child)]
        pending.extend((child, in_forward) for child in reversed(kids))  # in source order


def _site_findings(node: ast.expr, shift: int, lines: list[str], resolved: _Resolved, skip: frozenset[str],
                   traced: bool, budget: _Budget) -> list[Finding]:
    reached = _memo_reach(resolved, skip, node if isinstance(node, ast.Call) else None, traced, budget)
    found: list[Finding] = []
    seen: set[tuple[str, str | None]] = set()
    for item in reached:
        key = (item.finding.code, item.finding.op)
        if key in seen:
            continue
        seen.add(key)
        found.append(_at_site(node, shift, lines, item))
        if len(found) >= MAX_PER_SITE:
            break
    return found


def _at_site(node: ast.expr, shift: int, lines: list[str], item: _Reached) -> Finding:
    from litert_lsp.analysis.columns import char_column

    underlying = item.finding
    line, end_line = node.lineno, node.end_lineno or node.lineno
    column = char_column(lines, line, node.col_offset)
    end_column = char_column(lines, end_line, node.end_col_offset or node.col_offset)
    where = f"{item.path.name}:{underlying.line}"
    through = f" (through {' -> '.join(item.chain)})" if item.chain else ""
    said = underlying.message
    if underlying.op and said.startswith(f"`{underlying.op}` "):
        # "`torch.histc` fails at lowering ..." -> "calls `torch.histc`, which fails at lowering ..."
        said = f"calls `{underlying.op}`, which {said[len(underlying.op) + 3:]}"
    elif underlying.op:
        said = f"calls `{underlying.op}`: {said}"
    message = f"{item.who} ({where}){through} {said}"
    related = {"path": str(item.path), "line": underlying.line, "column": underlying.column,
               "end_line": underlying.end_line, "end_column": underlying.end_column,
               "message": f"{underlying.code}: {underlying.message}"}
    severity = underlying.severity if item.library else Severity.INFORMATION
    return Finding(line + shift, column, end_line + shift, end_column, severity, underlying.code, message,
                   op=underlying.op, status=underlying.status,
                   data={"related": [related], "reach": {"library": item.library, "symbol": item.who}})


# ---- following symbols across files ------------------------------------------------------------

# What a use site reaches, kept while none of the files it read changed (checked by their stat):
# a keystroke re-walks the document, not the graph of the files it imports.
_memo: OrderedDict[tuple, tuple[list[_Reached], dict[Path, tuple[int, int]]]] = OrderedDict()


def _memo_reach(resolved: _Resolved, skip: frozenset[str], call: ast.Call | None, traced: bool,
                budget: _Budget) -> list[_Reached]:
    key = (resolved, skip, traced, _call_shape(call))
    known = _memo.get(key)
    if known is not None and all(_stat(path) == stamp for path, stamp in known[1].items()):
        _memo.move_to_end(key)
        budget.touched |= known[1].keys()  # read before, and still what the result depends on
        return known[0]
    touched, budget.touched = budget.touched, set()
    try:
        reached = _reach(resolved, skip, 1, budget, set(), (), call, traced)
        stamps = {path: _stat(path) for path in budget.touched}
    finally:
        budget.touched = touched | budget.touched
    _memo[key] = (reached, stamps)
    while len(_memo) > _CACHE_SIZE * 4:
        _memo.popitem(last=False)
    return reached


def _call_shape(call: ast.Call | None) -> tuple | None:
    """What of a call decides the reach: which arguments are literals (see `_tensor_params`)."""
    if call is None:
        return None
    return (tuple(_literal(a) if not isinstance(a, ast.Starred) else None for a in call.args),
            tuple((k.arg, _literal(k.value)) for k in call.keywords))


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _reach(resolved: _Resolved, skip: frozenset[str], depth: int, budget: _Budget,
           visited: set[tuple[Path, str]], chain: tuple[str, ...], call: ast.Call | None = None,
           from_forward: bool = False) -> list[_Reached]:
    """The findings `resolved`'s code has, in its file and (within the bounds) beyond. `call`:
    the call that reached a function, whose arguments say which parameters get tensors;
    `from_forward`: that call runs in traced code (a forward, or a function a forward calls)."""
    if (resolved.path, resolved.symbol) in visited or len(visited) >= MAX_SYMBOLS:
        return []
    visited.add((resolved.path, resolved.symbol))
    summary = _summary(resolved.path, budget)
    if summary is None:
        return []
    symbol, summary = _definition(summary, resolved.symbol, budget)
    if symbol is None or summary is None:
        return []
    found: list[_Reached] = []
    spans = list(_spans(summary, symbol, skip))
    for name, (start, end), owner in spans:
        for finding in summary.findings:
            if start <= finding.line <= end:
                found.append(_Reached(finding, summary.path, f"{owner}.{name}" if name else owner,
                                      resolved.library, chain))
    if symbol.kind == "function" and not found and from_forward and call is not None:
        # Its own file never calls it from a forward, so its analysis did not trace it: trace it
        # now, as the model's forward calls it.
        for finding in _traced(summary, symbol, _tensor_params(symbol, call)):
            found.append(_Reached(finding, summary.path, symbol.name, resolved.library, chain))
    # What its code builds or calls: classes and functions of the same file, then imported ones.
    # A subclass with its own forward decides what runs: the parts the base builds are not followed.
    followed = [span for name, span, _ in spans if not ("forward" in skip and name == "__init__")]
    traced = [span for name, span, _ in spans if name == "forward" or (symbol.kind == "function" and from_forward)]
    for inner in _callees(summary, symbol):
        if not any(start <= inner.lineno <= end for start, end in followed):
            continue
        in_forward = any(start <= inner.lineno <= end for start, end in traced)
        local = _local_name(inner.func)
        if local is not None and local in summary.symbols and local != symbol.name:
            found += _reach(_Resolved(summary.path, local, resolved.library), frozenset(), depth, budget,
                            visited, (*chain, symbol.name), inner, in_forward)
        elif depth < MAX_DEPTH:
            target = _resolve_expr(inner.func, summary.imports, summary.path)
            if target is not None:
                library = resolved.library or target.library
                found += _reach(replace(target, library=library), frozenset(), depth + 1, budget, visited,
                                (*chain, symbol.name), inner, in_forward)
    return found


def _tensor_params(symbol: _Symbol, call: ast.Call | None) -> frozenset[str]:
    """The parameters a call gives tensors: every one, except those bound to a literal (`dim=1`,
    `"mean"`, `(1, 2)`, `None`), which are static Python values; all of them when the call is not
    known. Cheap on purpose: the caller's own value kinds live in another file's walk."""
    params = list(symbol.params)
    if call is None:
        return frozenset(params)
    static: set[str] = set()
    for index, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):
            break
        if index < len(params) and _literal(arg):
            static.add(params[index])
    static |= {k.arg for k in call.keywords if k.arg and _literal(k.value)}
    return frozenset(p for p in params if p not in static)


def _literal(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(_literal(e) for e in node.elts)
    return isinstance(node, ast.UnaryOp) and _literal(node.operand)


def _traced(summary: _Summary, symbol: _Symbol, params: frozenset[str]) -> tuple[Finding, ...]:
    key = (symbol.name, params)
    if key not in summary.traced:
        summary.traced[key] = _trace_function(summary.text, symbol.name, params)
    return summary.traced[key]


def _spans(summary: _Summary, symbol: _Symbol, skip: frozenset[str]) -> Iterator[tuple[str, tuple[int, int], str]]:
    """(method, line span, owner) of the code a use of `symbol` runs: a function's body; a class's
    methods and those of its same-file bases (minus the methods the user's subclass overrides)."""
    if symbol.kind == "function":
        yield "", (symbol.start, symbol.end), symbol.name
        return
    done: set[str] = set(skip)
    for cls in _local_mro(summary, symbol):
        for method, span in cls.methods.items():
            if method not in done:
                done.add(method)
                yield method, span, cls.name


def _local_mro(summary: _Summary, symbol: _Symbol) -> list[_Symbol]:
    order: list[_Symbol] = []
    pending = [symbol]
    while pending and len(order) < MAX_SYMBOLS:
        current = pending.pop(0)
        if current in order:
            continue
        order.append(current)
        for base in current.bases:
            name = _local_name(base)
            if name and name in summary.symbols and summary.symbols[name].kind == "class":
                pending.append(summary.symbols[name])
    return order


def _callees(summary: _Summary, symbol: _Symbol) -> Iterator[ast.Call]:
    for cls in _local_mro(summary, symbol) if symbol.kind == "class" else [symbol]:
        yield from cls.calls


def _definition(summary: _Summary, name: str, budget: _Budget, hops: int = 0) -> tuple[_Symbol | None, _Summary | None]:
    """The class or function `name` of a file, following re-exports (`from .conv import ConvBlock`
    in a package's __init__.py)."""
    if name in summary.symbols:
        return summary.symbols[name], summary
    imported = summary.imports.get(name)
    if imported is None or hops >= 4:
        return None, None
    target = _resolve_import(imported, summary.path)
    if target is None:
        return None, None
    other = _summary(target.path, budget)
    return _definition(other, target.symbol, budget, hops + 1) if other else (None, None)


# ---- import resolution (by path; nothing is imported) ------------------------------------------


def _names_a_file(imported: _Import, importer: Path) -> bool:
    """Whether the import may lead to a file this module follows (cached a few seconds: the
    server asks on every keystroke, and a new file is seen soon enough)."""
    parts = imported.module.split(".") if imported.module else []
    if not imported.level and (not parts or parts[0] in FRAMEWORKS or parts[0] in _STDLIB):
        return False
    key = (importer.parent, imported.module, imported.level, imported.name)
    now = time.monotonic()
    known = _file_seen.get(key)
    if known is not None and now - known[0] < _RESOLVE_SECONDS:
        return known[1]
    if imported.name is None:  # `import pkg.mod as m`: the module's own file
        last = parts[-1:] or [""]
        found = _resolve_import(_Import(".".join(parts[:-1]), 0, last[0]), importer) is not None or \
            any(_module_file(root, parts) for root, _ in _roots(importer))
    else:
        found = _resolve_import(imported, importer) is not None
    if len(_file_seen) > 4096:
        _file_seen.clear()
    _file_seen[key] = (now, found)
    return found


_RESOLVE_SECONDS = 5.0
_file_seen: dict[tuple, tuple[float, bool]] = {}


def _imports_of(trees: Iterable[ast.AST]) -> dict[str, _Import]:
    found: dict[str, _Import] = {}
    for tree in trees:
        for node in walk(tree):
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if alias.name != "*":
                        found[alias.asname or alias.name] = _Import(node.module or "", node.level, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        found[alias.asname] = _Import(alias.name, 0, None)
                    else:
                        found.setdefault(alias.name.split(".", 1)[0], _Import(alias.name.split(".", 1)[0], 0, None))
    return found


def _resolve_expr(node: ast.expr, imports: dict[str, _Import], importer: Path) -> _Resolved | None:
    """`ConvBlock` / `blocks.ConvBlock` / `pkg.blocks.ConvBlock` -> the file and name it refers to."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.insert(0, node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in imports:
        return None
    imported = imports[node.id]
    if imported.name is None:  # `import a.b as m; m.X` or `import a; a.b.X`
        if not parts:
            return None
        dotted = imported.module.split(".") + parts[:-1]
        if imported.module == node.id:  # `import a` binds `a`: the attribute path starts at it
            dotted = [node.id, *parts[:-1]]
        return _resolve_import(_Import(".".join(dotted), 0, parts[-1]), importer)
    if parts:  # `from pkg import blocks; blocks.ConvBlock`: the imported name is a module
        module = ".".join(p for p in (imported.module, imported.name, *parts[:-1]) if p)
        return _resolve_import(_Import(module, imported.level, parts[-1]), importer)
    return _resolve_import(imported, importer)


def _resolve_import(imported: _Import, importer: Path) -> _Resolved | None:
    if imported.name is None:
        return None
    parts = [p for p in imported.module.split(".") if p]
    if imported.level:
        found = _module_file(_relative_base(importer, imported.level), parts)
        # The same package as the importer: checked with it, never "a library" to it.
        return _Resolved(found, imported.name, False) if found else None
    if not parts or parts[0] in FRAMEWORKS or parts[0] in _STDLIB:
        return None
    for root, library in _roots(importer):
        found = _module_file(root, parts)
        if found is not None:
            return _Resolved(found, imported.name, library)
    return None


def _relative_base(importer: Path, level: int) -> Path:
    """The package folder `from .`, `from ..`, ... start from."""
    base = importer.parent
    for _ in range(level - 1):
        base = base.parent
    return base


def _module_file(base: Path, parts: list[str]) -> Path | None:
    folder = base.joinpath(*parts)
    for candidate in (folder.with_suffix(".py") if parts else None, folder / "__init__.py"):
        if candidate is not None and candidate.is_file():
            return candidate
    return None


def _roots(importer: Path) -> Iterator[tuple[Path, bool]]:
    """Where absolute imports are looked for, with whether a file found there is a library's:
    the importing file's project (the folder above its top package, and its own folder), then
    `sys.path` (read now: a test or a configured interpreter may change it)."""
    top = importer.parent
    while (top / "__init__.py").is_file() and top.parent != top:
        top = top.parent
    yield top, False
    if top != importer.parent:
        yield importer.parent, False
    for entry in sys.path:
        if entry and os.path.isdir(entry) and Path(entry).resolve() != top:
            yield Path(entry), True


def _local_name(node: ast.expr) -> str | None:
    return node.id if isinstance(node, ast.Name) else None


# ---- the project files a file imports, transitively ---------------------------------------------

MAX_IMPORTED_FILES = 64


def imported_project_files(path: Path, text: str, extra_root: Path | None = None,
                           limit: int = MAX_IMPORTED_FILES) -> list[Path]:
    """The files of the user's project that `text` (the file at `path`) imports, directly or
    through each other, found as the reach above finds them (relative imports, the project
    root, `extra_root`; `from . import blocks` names the submodule's file too). Installed
    libraries, frameworks and the standard library are not followed. For what running the
    file's code depends on (the background conversion's result cache); bounded by `limit`."""
    start = path.resolve()
    found: dict[Path, None] = {}
    pending: list[tuple[Path, str]] = [(start, text)]
    while pending and len(found) < limit:
        importer, source = pending.pop(0)
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for imported in _every_import(tree):
            for target in _project_targets(imported, importer, extra_root):
                if target == start or target in found or len(found) >= limit:
                    continue
                found[target] = None
                with contextlib.suppress(OSError, UnicodeDecodeError):
                    if target.stat().st_size <= MAX_BYTES:
                        pending.append((target, target.read_text(encoding="utf-8")))
    return list(found)


def _every_import(tree: ast.AST) -> Iterator[_Import]:
    """Each import of the tree, function-local ones too (they run as well)."""
    for node in walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                yield _Import(node.module or "", node.level, None if alias.name == "*" else alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield _Import(alias.name, 0, None)


def _project_targets(imported: _Import, importer: Path, extra_root: Path | None) -> list[Path]:
    """The project files an import loads: the module's file and, for `from m import name`,
    the submodule `m/name` when there is one."""
    parts = [p for p in imported.module.split(".") if p]
    if imported.level:
        bases = [_relative_base(importer, imported.level)]
    else:
        if not parts or parts[0] in FRAMEWORKS or parts[0] in _STDLIB:
            return []
        bases = [root for root, library in _roots(importer) if not library]
        if extra_root is not None and extra_root not in bases:
            bases.append(extra_root)
    for base in bases:
        # `from . import x` loads the package itself (its `__init__`) before `x`.
        targets = [file for file in (_module_file(base, parts),
                                     _module_file(base, [*parts, imported.name]) if imported.name else None)
                   if file is not None]
        # A package's `__init__` runs before any of its submodules.
        for depth in range(1, len(parts)):
            init = base.joinpath(*parts[:depth]) / "__init__.py"
            if init.is_file():
                targets.append(init)
        if targets:
            return [t.resolve() for t in targets]
    return []


# ---- per-file summaries, cached by content -----------------------------------------------------

_by_stat: dict[Path, tuple[int, int, str]] = {}
_by_digest: OrderedDict[str, _Summary] = OrderedDict()


def _summary(path: Path, budget: _Budget) -> _Summary | None:
    budget.touched.add(path)
    try:
        stat = path.stat()
    except OSError:
        return None
    if stat.st_size > MAX_BYTES:
        return None
    known = _by_stat.get(path)
    if known is not None and known[:2] == (stat.st_mtime_ns, stat.st_size) and known[2] in _by_digest:
        _by_digest.move_to_end(known[2])
        return _by_digest[known[2]]
    if budget.files >= MAX_FILES:
        return None
    budget.files += 1
    try:
        data = path.read_bytes()
    except OSError:
        return None
    digest = hashlib.sha1(data).hexdigest()
    _by_stat[path] = (stat.st_mtime_ns, stat.st_size, digest)
    cached = _by_digest.get(digest)
    if cached is not None and cached.path == path:
        _by_digest.move_to_end(digest)
        return cached
    summary = _summarize(path, data.decode("utf-8", errors="replace"))
    _by_digest[digest] = summary
    while len(_by_digest) > _CACHE_SIZE:
        _by_digest.popitem(last=False)
    return summary


def _summarize(path: Path, text: str) -> _Summary:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return _Summary(path, {}, {}, ())
    symbols: dict[str, _Symbol] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            methods = {s.name: (s.lineno, s.end_lineno or s.lineno) for s in node.body
                       if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
            symbols[node.name] = _Symbol(node.name, "class", node.lineno, node.end_lineno or node.lineno,
                                         methods, list(node.bases), _calls_in(node))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            positional = [a.arg for a in node.args.posonlyargs + node.args.args]
            symbols[node.name] = _Symbol(node.name, "function", node.lineno, node.end_lineno or node.lineno,
                                         calls=_calls_in(node), params=tuple(positional + [
                                             a.arg for a in node.args.kwonlyargs]))
    return _Summary(path, symbols, _imports_of([tree]), _torch_findings(text, str(path)), text)


def _calls_in(node: ast.AST) -> list[ast.Call]:
    return [inner for inner in walk(node) if isinstance(inner, ast.Call)]


def _trace_function(text: str, name: str, params: frozenset[str]) -> tuple[Finding, ...]:
    """A module-level function's PyTorch findings when a forward calls it with tensors for `params`."""
    from litert_lsp.analysis.module_index import build_context, parse_block
    from litert_lsp.analysis.torch import walker

    units = [Unit(0, parse_block(text))]
    ctx = build_context(units)
    if not ctx.imports.imports_any("torch"):
        return ()
    function = ctx.function_nodes.get(name)
    if function is None:
        return ()
    found = [finding for _index, finding in walker.Program().run([units[0].info], ctx, {name: params})]
    start, end = function.lineno, function.end_lineno or function.lineno
    # Only the ops that fail whatever their operands (LRT1xx): the guessed parameter kinds are
    # too coarse for the rules that depend on values (LRT2xx).
    return tuple(f for f in found if start <= f.line <= end and f.code[3:4] == "1"
                 and f.severity <= Severity.WARNING)


# How another file is analyzed: document.py's one-shot `analyze`, given by document.py itself
# (this module is below it: importing it here would make a cycle).
_file_analyzer: dict[str, Callable[..., list[Finding]]] = {}


def use_file_analyzer(analyze: Callable[..., list[Finding]]) -> None:
    """Set the function that analyzes another file (`analyze(text, path=...)`)."""
    _file_analyzer["analyze"] = analyze


def _torch_findings(text: str, path: str) -> tuple[Finding, ...]:
    """The file's own PyTorch errors and warnings (LRT1xx, LRT2xx), analyzed as the CLI would."""
    analyze = _file_analyzer.get("analyze")
    if analyze is None:
        return ()
    token = _ACTIVE.set(True)
    try:
        findings = analyze(text, path=path)
    finally:
        _ACTIVE.reset(token)
    return tuple(f for f in findings
                 if f.code[3:4] in ("1", "2") and f.severity <= Severity.WARNING and "reach" not in f.data)


def clear_cache() -> None:
    """Forget every summary (tests; a server never needs it: entries are keyed by content)."""
    _by_stat.clear()
    _by_digest.clear()
    _file_seen.clear()
    _memo.clear()
    _sites.clear()
