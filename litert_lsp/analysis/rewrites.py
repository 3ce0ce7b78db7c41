"""The knowledge base's verified rewrites, rendered into a call's own text (framework-free).

A rewrite (`finding.data["rewrite"]`, the `code` of a verified knowledge-base rewrite) is an
expression over the op's tensor operands `x`, `y`, `z` that replaces the whole call; the
operands are filled with the call's own argument text. When the call has arguments the
template does not account for, there is no rewrite rather than a guess. Used by the server's
quick fix and by `litert-lsp check --fix`.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from litert_lsp.analysis.syntax_walk import walk

if TYPE_CHECKING:
    from litert_lsp.analysis.names import ImportTable
    from litert_lsp.core.findings import Finding

# The knowledge base writes a rewrite as an expression over the op's tensor operands `x`, `y`,
# `z` (in call order; a tensor method's receiver is `x`), with `torch` and `F`
# (torch.nn.functional) in scope.
SLOTS = ("x", "y", "z")
MODULES = {"torch": "torch", "F": "torch.nn.functional"}


def render_rewrite(template: str, call_source: str, *, method: bool, params: list[str] | None,
                   imports: ImportTable) -> str | None:
    """`template` with its operands replaced by the call's own argument text, and `torch` /
    `F` by the names this module imported them as; None when that cannot be done exactly
    (the call has arguments the template does not use, e.g. a `dim` it hard-codes)."""
    try:
        call = ast.parse(call_source.strip(), mode="eval").body
        tree = ast.parse(template.strip(), mode="eval")
    except (SyntaxError, ValueError):
        return None
    if not isinstance(call, ast.Call):
        return None
    text = call_source.strip()
    operands: list[str] = []
    if method:
        if not isinstance(call.func, ast.Attribute):
            return None
        operands.append(ast.get_source_segment(text, call.func.value) or "")
    if any(isinstance(a, ast.Starred) for a in call.args):
        return None
    operands.extend(ast.get_source_segment(text, a) or "" for a in call.args)
    if call.keywords:
        # Keywords are placed by the op's parameter names, when the knowledge base has them.
        names = [p for p in (params or []) if p != "self"]
        by_position: dict[int, str] = {}
        for keyword in call.keywords:
            if keyword.arg is None or keyword.arg not in names:
                return None
            by_position[names.index(keyword.arg) + (1 if method else 0)] = (
                ast.get_source_segment(text, keyword.value) or ""
            )
        for index in sorted(by_position):
            if index != len(operands):
                return None  # a gap: a keyword skipped a positional parameter
            operands.append(by_position[index])
    template_text = template.strip()
    used = {n.id for n in walk(tree) if isinstance(n, ast.Name)}
    slots = [s for s in SLOTS if s in used]
    if slots != list(SLOTS[: len(slots)]) or len(operands) != len(slots) or "\n" in template_text:
        return None
    values = dict(zip(slots, (_wrap(o) for o in operands)))
    for name, module in MODULES.items():
        if name in used:
            local = next((k for k, v in imports.names.items() if v == module), None)
            if local is None:
                return None
            values[name] = local
    spans = [
        (n.col_offset, n.end_col_offset or n.col_offset, values[n.id])
        for n in walk(tree) if isinstance(n, ast.Name) and n.id in values
    ]
    result = template_text
    for begin, finish, value in sorted(spans, reverse=True):
        result = result[:begin] + value + result[finish:]
    return result


def _wrap(value: str) -> str:
    """Parenthesize compound argument text so it keeps its meaning inside the template."""
    try:
        node = ast.parse(value, mode="eval").body
    except SyntaxError:
        return f"({value})"
    simple = (ast.Name, ast.Attribute, ast.Call, ast.Constant, ast.Subscript, ast.List, ast.Tuple)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and value.lstrip().startswith("-"):
        return f"({value})"
    return value if isinstance(node, simple) else f"({value})"


def rewrite_template(finding: Finding) -> str | None:
    rewrite: Any = finding.data.get("rewrite") if finding.data else None
    if isinstance(rewrite, Mapping):
        rewrite = rewrite.get("code") if rewrite.get("verified", True) else None
    return rewrite if isinstance(rewrite, str) and rewrite.strip() else None


def span_text(lines: list[str], finding: Finding) -> str | None:
    first, last = finding.line - 1, finding.end_line - 1
    if not (0 <= first <= last < len(lines)):
        return None
    if first == last:
        return lines[first][finding.column : finding.end_column]
    parts = [lines[first][finding.column :], *lines[first + 1 : last], lines[last][: finding.end_column]]
    return "\n".join(parts)


@dataclass(frozen=True)
class Rewrite:
    """Replace lines[line-1][column:] .. lines[end_line-1][:end_column] with `text`
    (1-based lines, 0-based code-point columns, like a Finding)."""

    finding: Finding
    text: str


def rewrite_for(finding: Finding, lines: list[str], imports: ImportTable) -> Rewrite | None:
    """The verified rewrite of `finding`'s call, or None when there is none to apply exactly."""
    template = rewrite_template(finding)
    call = span_text(lines, finding) if template else None
    if template is None or call is None:
        return None
    from litert_lsp import kb

    entry = kb.lookup(finding.op) if finding.op else None
    text = render_rewrite(
        template, call, method=bool(finding.op and ".Tensor." in finding.op),
        params=entry.get("params") if entry else None, imports=imports,
    )
    return None if text is None else Rewrite(finding, text)


def choose_rewrites(rewrites: list[Rewrite]) -> list[Rewrite]:
    """The rewrites that can be applied together, in document order: where two overlap, the
    first one wins (the next run of a fix picks up what is left)."""
    chosen: list[Rewrite] = []
    for rewrite in sorted(rewrites, key=lambda r: (r.finding.line, r.finding.column)):
        if chosen and (rewrite.finding.line, rewrite.finding.column) < (
            chosen[-1].finding.end_line, chosen[-1].finding.end_column
        ):
            continue
        chosen.append(rewrite)
    return chosen


def apply_rewrites(lines: list[str], rewrites: list[Rewrite]) -> list[str]:
    """`lines` with the rewrites applied; overlapping ones after the first are skipped."""
    chosen = choose_rewrites(rewrites)
    result = list(lines)
    for rewrite in reversed(chosen):
        f = rewrite.finding
        before = result[f.line - 1][: f.column]
        after = result[f.end_line - 1][f.end_column :]
        result[f.line - 1 : f.end_line] = (before + rewrite.text + after).split("\n")
    return result
