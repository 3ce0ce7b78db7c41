"""Quick fixes: silence a code on its line, or apply the knowledge base's verified rewrite.

A rewrite (`finding.data["rewrite"]`, the `code` of a verified knowledge-base rewrite) is an
expression over the op's tensor operands `x`, `y`, `z` that replaces the whole call; the
operands are filled with the call's own argument text. When the call has arguments the
template does not account for, there is no quick fix rather than a guess.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from litert_lsp.core.text import column_to_client, split_lines
from litert_lsp.server.app import is_python_document
from litert_lsp.server.hover import imports_of

if TYPE_CHECKING:
    from litert_lsp.analysis.names import ImportTable
    from litert_lsp.core.findings import Finding
    from litert_lsp.server.app import LitertServer

_DIRECTIVE = re.compile(r"#\s*litert:\s*ignore(?!-file)\b(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)


# ---- suppression ---------------------------------------------------------------------------


def suppression_edit(lines: list[str], line_index: int, code: str) -> tuple[int, int, str] | None:
    """(start column, end column, new text) on `lines[line_index]` that silences `code`, or
    None if the line cannot take a comment (it ends in a backslash continuation)."""
    line = lines[line_index]
    for match in _DIRECTIVE.finditer(line):
        if _in_string(line, match.start()):
            continue
        codes = match.group("codes")
        if codes is None:
            return None  # already ignores everything on this line
        existing = [c.strip() for c in codes.split(",") if c.strip()]
        if any(code.upper().startswith(c.upper()) for c in existing):
            return None
        merged = ", ".join([*existing, code])
        start, end = match.span("codes")
        return start, end, merged
    body = line.rstrip()
    if body.endswith("\\"):
        return None
    return len(body), len(line), f"  # litert: ignore[{code}]"


def _in_string(line: str, position: int) -> bool:
    from litert_lsp.analysis.suppress import _inside_string

    return _inside_string(line, position)


def suppression_line(lines: list[str], finding: Finding) -> int | None:
    """Where the comment goes: the finding's first line, else its last (suppression counts
    on either)."""
    for number in (finding.line, finding.end_line):
        index = number - 1
        if 0 <= index < len(lines) and not lines[index].rstrip().endswith("\\"):
            return index
    return None


# ---- rewrites ------------------------------------------------------------------------------

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
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
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
        for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in values
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


# ---- the handler ---------------------------------------------------------------------------


def actions_for(server: LitertServer, uri: str, selection: types.Range,
                context: types.CodeActionContext) -> list[types.CodeAction]:
    document = server.open_document(uri)
    if document is None or not is_python_document(document):
        return []
    if context.only and not any(str(k).startswith("quickfix") for k in context.only):
        return []
    lines = split_lines(document.source)
    encoding = server.diagnostics.encoding() if server.diagnostics else "utf-16"
    first, last = selection.start.line + 1, selection.end.line + 1
    findings = [f for f in server.analysis_for(uri) if f.line <= last and f.end_line >= first]
    actions: list[types.CodeAction] = []
    seen: set[tuple[int, str]] = set()

    def matching(finding: Finding) -> list[types.Diagnostic]:
        return [
            d for d in context.diagnostics
            if d.code == finding.code and d.range.start.line == finding.line - 1
        ]

    for finding in findings:
        template = rewrite_template(finding)
        call = span_text(lines, finding) if template else None
        if template and call is not None:
            from litert_lsp import kb

            entry = kb.lookup(finding.op) if finding.op else None
            replacement = render_rewrite(
                template, call, method=bool(finding.op and ".Tensor." in finding.op),
                params=entry.get("params") if entry else None, imports=imports_of(document.source),
            )
            if replacement is not None:
                edit = _edit(lines, encoding, finding.line - 1, finding.column, finding.end_line - 1,
                             finding.end_column, replacement)
                actions.append(types.CodeAction(
                    title=f"Rewrite as `{_short(replacement)}` (verified in LiteRT)",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=matching(finding) or None,
                    is_preferred=True,
                    edit=types.WorkspaceEdit(changes={uri: [edit]}),
                ))
        target = suppression_line(lines, finding)
        if target is None or (target, finding.code) in seen:
            continue
        seen.add((target, finding.code))
        change = suppression_edit(lines, target, finding.code)
        if change is None:
            continue
        start, end, text = change
        actions.append(types.CodeAction(
            title=f"Ignore {finding.code} on this line",
            kind=types.CodeActionKind.QuickFix,
            diagnostics=matching(finding) or None,
            edit=types.WorkspaceEdit(changes={uri: [_edit(lines, encoding, target, start, target, end, text)]}),
        ))
    return actions


def _edit(lines: list[str], encoding: str, line: int, column: int, end_line: int, end_column: int,
          text: str) -> types.TextEdit:
    return types.TextEdit(
        range=types.Range(
            start=types.Position(line=line, character=column_to_client(lines[line], column, encoding)),
            end=types.Position(line=end_line, character=column_to_client(lines[end_line], end_column, encoding)),
        ),
        new_text=text,
    )


def _short(code: str) -> str:
    code = " ".join(code.split())
    return code if len(code) <= 60 else code[:57] + "..."


def register(server: LitertServer) -> None:
    kinds = server.code_action_kinds
    if types.CodeActionKind.QuickFix not in kinds:
        kinds.append(types.CodeActionKind.QuickFix)

    # `kinds` is the server's list: providers registered later may add their kinds to it
    # before the client connects.
    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(code_action_kinds=kinds))
    def code_actions(ls: LitertServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        actions: list[types.CodeAction] = []
        try:
            actions.extend(actions_for(ls, params.text_document.uri, params.range, params.context))
        except Exception as error:  # noqa: BLE001 - a user request: say it failed, keep serving
            ls.show_error(f"litert-lsp could not compute quick fixes: {error}")
        for provider in list(ls.code_action_providers):
            try:
                actions.extend(provider(ls, params) or [])
            except Exception:
                ls.log.exception("code action provider %r failed", provider)
        return actions or None
