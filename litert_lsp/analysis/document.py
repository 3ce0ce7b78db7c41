"""The analyzer itself: blocks, caches, both rule sets, suppressions (see the package docstring)."""

from __future__ import annotations

import ast
import itertools
import re
import warnings

from litert_lsp.analysis import project_index
from litert_lsp.analysis.blocks import (
    Block,
    body_indent,
    normalize_newlines,
    piece_offsets,
    split_blocks,
    split_blocks_reusing,
    split_members,
    split_members_reusing,
)
from litert_lsp.analysis.module_index import (
    BlockInfo,
    Unit,
    build_context,
    parse_block,
    parse_header,
    parse_member,
    summarize,
)
from litert_lsp.analysis.names import ImportTable
from litert_lsp.analysis.prefilter import may_import_a_framework
from litert_lsp.analysis.suppress import apply_suppressions
from litert_lsp.analysis.torch import walker
from litert_lsp.core import codes
from litert_lsp.core.findings import Finding, Severity

_TF_TOP_LEVELS = ("tensorflow", "tf", "keras", "tf_keras")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class DocumentAnalyzer:
    """Keeps what it learned about one document so the next version costs less."""

    def __init__(self, path: str = "<string>", *, strict: bool = False, batch: bool = False) -> None:
        self.path = path
        # strict: let internal errors propagate (tests); otherwise an internal error costs
        # this version's findings, never the editor session.
        self.strict = strict
        # batch: one version only (the CLI). The module is parsed once, whole; only a file
        # that does not parse is cut into blocks (to keep its syntax error local). The
        # blocks and their caches exist for the next version, which a batch never has.
        self.batch = batch
        self._blocks: dict[tuple[str, str], BlockInfo] = {}
        self._members: dict[str, list[tuple[int, str]] | None] = {}
        self._split: tuple[str, list[Block]] | None = None
        self._functions: dict = {}
        self._context_key: tuple | None = None
        self._tf: tuple[str, list[Finding]] | None = None

    def analyze(self, source: str) -> list[Finding]:
        """Every LiteRT problem in `source`, suppressions applied; never raises."""
        try:
            findings = self._findings(source)
            return apply_suppressions(findings, source)
        except Exception:  # the editor must keep working whatever we hit
            if self.strict:
                raise
            return []

    # ---- the pipeline ------------------------------------------------------------------------

    def _findings(self, source: str) -> list[Finding]:
        text = normalize_newlines(source)
        # A byte-order mark is not Python: parse without it, then move line-1 columns back.
        bom = text.startswith("\ufeff")
        if bom:
            text = text[1:]
        whole = _parse_whole(text) if self.batch else None
        if whole is not None and not may_import_a_framework(text):
            return []  # it parses and imports no framework: no rule applies
        units = _statement_units(text, whole) if whole is not None else self._block_units(text)
        infos = [unit.info for unit in units]

        findings: list[Finding] = []
        for unit in units:
            if unit.info.error is not None:
                line, column, end_line, end_column, message = unit.info.error
                findings.append(Finding(
                    line + unit.line, column, end_line + unit.line, end_column, Severity.ERROR,
                    codes.LRT001.code, f"Syntax error: {message}. The rest of the file is still checked.",
                ))
                break  # at most one syntax finding

        ctx = build_context(units)
        if ctx.key != self._context_key:
            self._functions = {}  # results depend on the context: start over when it changes
            self._context_key = ctx.key
        if ctx.imports.imports_any("torch"):
            program = walker.Program(self._functions)
            for index, finding in program.run(infos, ctx):
                unit = units[index]
                findings.append(finding.shifted(unit.line + unit.info.line_shift))
            self._functions = program.used
        else:
            self._functions = {}

        if self.path and not self.path.startswith("<"):
            # Imported classes and functions whose code, in another file, has a finding.
            overridden = {name: set(info.methods) for name, info in ctx.class_info.items()}
            # A batch run (`check` on a folder) checks the project's other files itself.
            findings.extend(project_index.reach_findings(self.path, units, overridden, project_files=not self.batch))

        if ctx.imports.imports_any(*_TF_TOP_LEVELS):
            findings.extend(self._tf_findings(text, whole))
        if not findings:
            return findings
        if bom:
            findings = [_after_bom(f) for f in findings]
        lines = _LINE_BREAK.split(source)
        return _sorted_unique([_clamped(f, lines) for f in findings])

    def _block_units(self, text: str) -> list[Unit]:
        """The document as units parsed one by one: top-level blocks, classes cut before
        each method, each parse cached by its text for the next version."""
        blocks = (split_blocks_reusing(text, *self._split, inner_cuts=self._method_offsets) if self._split
                  else split_blocks(text))
        self._split = (text, blocks)
        parsed: dict[tuple[str, str], BlockInfo] = {}
        members: dict[str, list[tuple[int, str]] | None] = {}
        units: list[Unit] = []
        for block in blocks:
            if block.text not in members:
                members[block.text] = self._split_members(block.text)
            group = self._units(block, members[block.text], parsed)
            for unit in group:
                if unit.header is not None:
                    unit.header += len(units)  # group-relative -> document-wide index
            units.extend(group)
        self._blocks = parsed  # keep only what the current version uses
        self._members = members
        return units

    def _method_offsets(self, text: str) -> list[int] | None:
        """Where the methods of a known class block start (clean points to rescan from)."""
        return piece_offsets(self._members.get(text))

    def _split_members(self, text: str) -> list[tuple[int, str]] | None:
        """A class block's method pieces: cached, or re-split from the previous version of
        the same class (found by its first line), rescanning only the edited methods."""
        if text in self._members:
            return self._members[text]
        head = text.split("\n", 1)[0]
        for previous_text, previous in self._members.items():
            if previous is not None and previous_text.startswith(head) and previous_text[len(head):len(head) + 1] in ("\n", ""):
                return split_members_reusing(text, previous)
        return split_members(text)

    def _parse(self, kind: str, text: str, parsed: dict, parser) -> BlockInfo:
        key = (kind, text)
        info = parsed.get(key) or self._blocks.get(key)
        if info is None:
            info = parser()
        parsed[key] = info
        return info

    def _units(self, block: Block, members: list[tuple[int, str]] | None, parsed: dict) -> list[Unit]:
        """A block as parse units: a class is cut before each method, so that typing in one
        method re-parses only that method."""
        if members is not None:
            indent = body_indent(members)
            header_text = members[0][1]
            units = [Unit(block.line, self._parse("header" + indent, header_text, parsed,
                                                 lambda: parse_header(header_text, indent)), "header")]
            for offset, piece in members[1:]:
                info = self._parse("member", piece, parsed, lambda piece=piece: parse_member(piece))
                units.append(Unit(block.line + offset, info, "member", header=0))
            if not any(_may_be_a_bad_cut(u) for u in units):
                return units
            # A piece that may not parse only because of where the class was cut: keep the
            # pieces only if the whole class does not parse either (the error is real, and
            # the other methods still count).
            whole = self._parse("plain", block.text, parsed, lambda: parse_block(block.text))
            if whole.error is None:
                return [Unit(block.line, whole)]
            return units
        return [Unit(block.line, self._parse("plain", block.text, parsed, lambda: parse_block(block.text)))]

    def _tf_findings(self, text: str, whole: ast.Module | None) -> list[Finding]:
        if self._tf is not None and self._tf[0] == text:
            return self._tf[1]
        found: list[Finding] = []
        try:
            from litert_lsp.analysis.tf import finder as tf_finder

            tree = whole or _whole_tree(text, self._split[1] if self._split else split_blocks(text))
            found = list(tf_finder.find_tf_findings(tree, ImportTable.from_tree(tree), text))
        except Exception:  # noqa: BLE001 - a failing rule set must not hide the others
            found = []
        self._tf = (text, found)
        return found


def _may_be_a_bad_cut(unit: Unit) -> bool:
    """A syntax error in a class piece that cutting (not typing) could cause: any error in
    the header, or an indentation error. An ordinary error inside a method is the user's."""
    error = unit.info.error
    if error is None:
        return False
    return unit.kind == "header" or "indent" in error[4]


def analyze(source: str, path: str = "<string>") -> list[Finding]:
    """Every LiteRT problem in `source`, never raising (one version: the batch path)."""
    return DocumentAnalyzer(path, batch=True).analyze(source)


project_index.use_file_analyzer(analyze)  # other files reached from a model are analyzed the same way


def _parse_whole(text: str) -> ast.Module | None:
    """The module's tree, or None when it does not parse (the blocks will tell where)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # as for blocks: SyntaxWarnings are not ours to print
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _statement_units(text: str, tree: ast.Module) -> list[Unit]:
    """The units the block path would build, cut from one tree: a unit per top-level
    statement (with its decorators; statements sharing a line, `a = 1; b = 2`, are one
    unit, as they are one block). Their line numbers stay the module's (`Unit.line` 0)
    and every unit sees the module's lines, so findings need no shifting."""
    lines = text.split("\n")
    # Where line k (0-based) starts: the lengths before it plus one "\n" each (C-level sums).
    lengths = [0, *itertools.accumulate(map(len, lines))]
    groups: list[list[ast.stmt]] = []
    last_line = 0
    for statement in tree.body:
        first = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", ()))])
        if groups and first <= last_line:
            groups[-1].append(statement)
        else:
            groups.append([statement])
        last_line = statement.end_lineno or statement.lineno
    firsts = [min([g[0].lineno, *(d.lineno for d in getattr(g[0], "decorator_list", ()))]) for g in groups]
    units = []
    for index, group in enumerate(groups):
        begin = 0 if index == 0 else lengths[firsts[index] - 1] + firsts[index] - 1
        end = lengths[firsts[index + 1] - 1] + firsts[index + 1] - 1 if index + 1 < len(groups) else len(text)
        info = summarize(text[begin:end], ast.Module(body=group, type_ignores=[]))
        info._lines = lines  # absolute line numbers index the module's lines
        units.append(Unit(0, info))
    return units


def _whole_tree(text: str, blocks: list[Block]) -> ast.Module:
    """The module's tree: parsed whole when it parses, else the blocks that do, re-parsed
    and moved to their lines (fresh nodes: the cached block trees are never mutated)."""
    whole = _parse_whole(text)
    if whole is not None:
        return whole
    body: list[ast.stmt] = []
    for block in blocks:
        tree = _parse_whole(block.text)
        if tree is None:
            continue
        ast.increment_lineno(tree, block.line)
        body.extend(tree.body)
    return ast.Module(body=body, type_ignores=[])


def _after_bom(finding: Finding) -> Finding:
    column = finding.column + (finding.line == 1)
    end_column = finding.end_column + (finding.end_line == 1)
    return Finding(finding.line, column, finding.end_line, end_column, finding.severity, finding.code,
                   finding.message, finding.op, finding.status, finding.data)


def _clamped(finding: Finding, lines: list[str]) -> Finding:
    """Keep every range inside the document (editors reject ranges past the end)."""
    last = max(len(lines), 1)

    def clamp(line: int, column: int) -> tuple[int, int]:
        if line < 1:
            return 1, 0
        if line > last:
            return last, len(lines[last - 1]) if lines else 0
        return line, max(0, min(column, len(lines[line - 1]) if lines else 0))

    line, column = clamp(finding.line, finding.column)
    end_line, end_column = clamp(finding.end_line, finding.end_column)
    end_line, end_column = max((end_line, end_column), (line, column))
    if (line, column, end_line, end_column) == (finding.line, finding.column, finding.end_line, finding.end_column):
        return finding
    return Finding(line, column, end_line, end_column, finding.severity, finding.code, finding.message,
                   finding.op, finding.status, finding.data)


def _sorted_unique(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple] = set()
    unique = []
    for finding in sorted(findings, key=lambda f: (f.line, f.column, f.end_line, f.end_column, f.code)):
        key = (finding.line, finding.column, finding.end_line, finding.end_column, finding.code)
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return unique


__all__ = ["DocumentAnalyzer", "Finding", "Severity", "analyze"]
