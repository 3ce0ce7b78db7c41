"""Quick fixes: silence a code on its line, or apply the knowledge base's verified rewrite.

The comment parsing lives in `analysis.suppress` and the rewrite rendering in
`analysis.rewrites`, shared with `litert-lsp check --fix`; this module turns them into LSP
code actions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

# render_rewrite is re-exported: the server tests and older imports name it here.
from litert_lsp.analysis.rewrites import choose_rewrites, render_rewrite, rewrite_for, rewrite_template
from litert_lsp.analysis.suppress import line_directives
from litert_lsp.core.text import column_to_client, split_lines
from litert_lsp.server.app import Feature, LitertServer, is_python_document
from litert_lsp.server.features.hover import imports_of

__all__ = ["CodeActionsFeature", "actions_for", "render_rewrite", "suppression_edit", "suppression_line"]

if TYPE_CHECKING:
    from litert_lsp.core.findings import Finding


# ---- suppression ---------------------------------------------------------------------------


def suppression_edit(lines: list[str], line_index: int, code: str) -> tuple[int, int, str] | None:
    """(start column, end column, new text) on `lines[line_index]` that silences `code`, or
    None if the line cannot take a comment (it ends in a backslash continuation)."""
    line = lines[line_index]
    for directive in line_directives(line):
        if directive.kind != "ignore":
            continue
        if directive.codes is None:
            return None  # already ignores everything on this line
        existing = [c.strip() for c in line[directive.codes_start : directive.codes_end].split(",") if c.strip()]
        if any(code.upper().startswith(c.upper()) for c in existing):
            return None
        return directive.codes_start, directive.codes_end, ", ".join([*existing, code])
    body = line.rstrip()
    if body.endswith("\\"):
        return None
    return len(body), len(line), f"  # litert: ignore[{code}]"


def suppression_line(lines: list[str], finding: Finding) -> int | None:
    """Where the comment goes: the finding's first line, else its last (suppression counts
    on either)."""
    for number in (finding.line, finding.end_line):
        index = number - 1
        if 0 <= index < len(lines) and not lines[index].rstrip().endswith("\\"):
            return index
    return None


# ---- the handler ---------------------------------------------------------------------------


def actions_for(server: LitertServer, uri: str, selection: types.Range,
                context: types.CodeActionContext) -> list[types.CodeAction]:
    document = server.open_document(uri)
    if document is None or not is_python_document(document):
        return []
    if context.only and not any(str(k).startswith("quickfix") for k in context.only):
        return []
    lines = split_lines(document.source)
    encoding = server.position_encoding()
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
        rewrite = rewrite_for(finding, lines, imports_of(document.source)) if rewrite_template(finding) else None
        if rewrite is not None:
            edit = _edit(lines, encoding, finding.line - 1, finding.column, finding.end_line - 1,
                         finding.end_column, rewrite.text)
            actions.append(types.CodeAction(
                title=f"Rewrite as `{_short(rewrite.text)}` (verified in LiteRT)",
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


FIX_ALL = types.CodeActionKind.SourceFixAll + ".litert"
FIX_ALL_TITLE = "Apply every verified LiteRT rewrite in this file"


def fix_all_edits(server: LitertServer, uri: str) -> list[types.TextEdit]:
    """One edit per verified rewrite the document's findings offer (non-overlapping)."""
    document = server.open_document(uri)
    if document is None or not is_python_document(document):
        return []
    lines = split_lines(document.source)
    imports = imports_of(document.source)
    rewrites = [r for f in server.analysis_for(uri) if rewrite_template(f) and (r := rewrite_for(f, lines, imports))]
    encoding = server.position_encoding()
    return [
        _edit(lines, encoding, r.finding.line - 1, r.finding.column, r.finding.end_line - 1, r.finding.end_column,
              r.text)
        for r in choose_rewrites(rewrites)
    ]


def fix_all_action(server: LitertServer, uri: str, resolve_later: bool) -> types.CodeAction | None:
    """`source.fixAll.litert` (what VS Code runs for `editor.codeActionsOnSave`), or None when
    there is nothing to fix. With `resolve_later`, the edit is computed on codeAction/resolve."""
    edits = fix_all_edits(server, uri)
    if not edits:
        return None
    document = server.open_document(uri)
    if resolve_later:
        return types.CodeAction(title=FIX_ALL_TITLE, kind=FIX_ALL,
                                data={"uri": uri, "version": document.version if document else None})
    return types.CodeAction(title=FIX_ALL_TITLE, kind=FIX_ALL, edit=types.WorkspaceEdit(changes={uri: edits}))


def resolve_action(server: LitertServer, action: types.CodeAction) -> types.CodeAction:
    """Fill in the edit of an action sent without one (only fixAll is sent that way)."""
    data = action.data if isinstance(action.data, dict) else {}
    uri = data.get("uri")
    if action.kind == FIX_ALL and isinstance(uri, str) and action.edit is None:
        action.edit = types.WorkspaceEdit(changes={uri: fix_all_edits(server, uri)})
    return action


def _client_resolves_edits(server: LitertServer) -> bool:
    capabilities = server.client_capabilities.text_document
    code_action = capabilities.code_action if capabilities else None
    support = code_action.resolve_support if code_action else None
    return bool(support and "edit" in support.properties)


def _wanted(kind: str, only: list[str] | None) -> bool:
    return not only or any(kind == str(k) or kind.startswith(f"{k}.") for k in only)


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


def _register(server: LitertServer) -> None:
    # Every feature's kinds, advertised at initialize (all features are added before any registers).
    kinds = list(dict.fromkeys(kind for feature in server.features() for kind in feature.code_action_kinds))

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                    types.CodeActionOptions(code_action_kinds=kinds, resolve_provider=True))
    def code_actions(ls: LitertServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        actions: list[types.CodeAction] = []
        try:
            actions.extend(actions_for(ls, params.text_document.uri, params.range, params.context))
            if _wanted(FIX_ALL, params.context.only):
                fix_all = fix_all_action(ls, params.text_document.uri, _client_resolves_edits(ls))
                if fix_all is not None:
                    actions.append(fix_all)
        except Exception as error:  # noqa: BLE001 - a user request: say it failed, keep serving
            ls.show_error(f"litert-lsp could not compute quick fixes: {error}")
        for offered in ls.each("code_actions", params):
            actions.extend(offered)
        return actions or None

    @server.feature(types.CODE_ACTION_RESOLVE)
    def resolve(ls: LitertServer, action: types.CodeAction) -> types.CodeAction:
        return resolve_action(ls, action)


class CodeActionsFeature(Feature):
    """textDocument/codeAction: quick fixes, then every feature's own actions."""

    code_action_kinds = (types.CodeActionKind.QuickFix, FIX_ALL)

    def register(self) -> None:
        _register(self.server)
