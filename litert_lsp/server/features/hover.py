"""Hover: what the measured knowledge base says about the op under the cursor.

The name under the cursor is resolved through the module's imports (`F.grid_sample` ->
`torch.nn.functional.grid_sample`); a finding at the cursor names its op directly, which also
covers tensor methods (`x.unique()` -> `torch.Tensor.unique`). Other features add paragraphs
through their `hover_parts` hook (the background check: why a class was not checked).
"""

from __future__ import annotations

import ast
import re
import textwrap
from typing import TYPE_CHECKING

from lsprotocol import types

from litert_lsp.core.text import column_from_client, column_to_client, split_lines
from litert_lsp.server.app import Feature, LitertServer, is_python_document

if TYPE_CHECKING:
    from litert_lsp import kb
    from litert_lsp.analysis.names import ImportTable
    from litert_lsp.core.findings import Finding

# A dotted name, allowing spaces around the dots (`torch . unique` is legal Python).
_DOTTED = re.compile(r"[^\W\d]\w*(?:\s*\.\s*[^\W\d]\w*)*")
_IMPORT_LINE = re.compile(r"^\s*(?:import|from)\s")
# Above this many characters, imports are read line by line instead of parsing the module.
LARGE_SOURCE = 400_000

# Plain words for where a conversion breaks.
LAYER_WORDS = {
    "export": "torch.export cannot trace it, so the model never reaches the converter",
    "lowering": "the converter cannot turn it into LiteRT ops",
    "runtime": "it converts, but the LiteRT runtime cannot run the result",
    "numerics": "it converts and runs, but LiteRT computes different numbers than the framework",
}
STATUS_WORDS = {
    "supported": "works in LiteRT",
    "builtin": "converts to LiteRT built-in ops",
    "conditional": "works for some arguments, shapes or dtypes and fails for others",
    "export_fails": "fails at torch.export",
    "no_lowering": "has no LiteRT lowering",
    "lowering_fails": "fails while lowering to LiteRT",
    "runtime_fails": "converts, but fails in the LiteRT runtime",
    "wrong_numbers": "converts and runs, with wrong results",
    "select_tf_ops": "needs Select TF ops (the larger Flex runtime)",
    "unsupported": "converts neither to built-ins nor with Select TF ops",
}
ADVICE = {
    "conditional": "Call it only in the forms measured to work (see the variants above), or write "
                   "the same math with ops that convert.",
    "export_fails": "Keep it out of `forward`: compute it in `__init__`, or do this step before or "
                    "after the exported model.",
    "no_lowering": "Write the same math with ops that convert, or run this step outside the model.",
    "lowering_fails": "Write the same math with ops that convert, or run this step outside the model.",
    "runtime_fails": "Write the same math with ops that convert, or run this step outside the model.",
    "wrong_numbers": "Use another formulation, and compare the exported model against the framework "
                     "(the export command does) before shipping it.",
    "select_tf_ops": "Either allow Select TF ops (`export.allow-select-tf-ops`) and ship the Flex "
                     "runtime, or replace the op with built-in ones.",
    "unsupported": "Replace the op, or run this step outside the model.",
}


class ImportCache:
    """The import table of each open document, rebuilt only when its version changes."""

    def __init__(self) -> None:
        self._tables: dict[str, tuple[int | None, ImportTable]] = {}

    def table(self, uri: str, version: int | None, source: str) -> ImportTable:
        cached = self._tables.get(uri)
        if cached is not None and cached[0] == version:
            return cached[1]
        table = imports_of(source)
        if len(self._tables) > 64:  # documents come and go; keep the cache small
            self._tables.clear()
        self._tables[uri] = (version, table)
        return table


def imports_of(source: str) -> ImportTable:
    """The import table of `source`; of its import lines alone while it does not parse, or
    when it is too large to parse on the event loop."""
    from litert_lsp.analysis.names import ImportTable

    if len(source) < LARGE_SOURCE:
        try:
            return ImportTable.from_tree(ast.parse(source))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass
    table = ImportTable()
    for line in split_lines(source):
        if _IMPORT_LINE.match(line):
            try:
                table.add_imports(ast.walk(ast.parse(textwrap.dedent(line))))
            except (SyntaxError, ValueError):
                continue
    return table


def name_at(line: str, column: int) -> tuple[str, int, int] | None:
    """The dotted name under `column` of `line`, cut after the part the cursor is on, with its
    start and end columns (`torch.nn.functional.relu` with the cursor on `functional` gives
    `torch.nn.functional`)."""
    for match in _DOTTED.finditer(line):
        if match.start() <= column <= match.end():
            text = match.group()
            offset = column - match.start()
            cut = len(text)
            next_dot = text.find(".", offset)
            if next_dot >= 0:
                cut = next_dot
            name = re.sub(r"\s+", "", text[:cut]).rstrip(".")
            return name, match.start(), match.start() + len(text[:cut].rstrip())
        if match.start() > column:
            break
    return None


def resolve(name: str, imports: ImportTable) -> list[str]:
    """Knowledge-base names `name` may stand for, most likely first."""
    from litert_lsp.analysis.names import canonical_name

    head, _, rest = name.partition(".")
    candidates = []
    qualified = imports.names.get(head)
    if qualified:
        candidates.append(canonical_name(qualified + ("." + rest if rest else "")))
    if rest and imports.imports_any("torch"):
        # `x.unique` on a local value: if x is a tensor, this is the tensor method.
        candidates.append("torch.Tensor." + name.rsplit(".", 1)[-1])
    return candidates


def describe(entry: kb.Entry, markdown: bool) -> str:
    """The hover text for one knowledge-base entry."""
    from litert_lsp.core.codes import TF_STATUS_CODES, TORCH_STATUS_CODES

    status = entry.status
    code = TORCH_STATUS_CODES.get(status) or TF_STATUS_CODES.get(status)
    lines = [f"**{entry.name}** {STATUS_WORDS.get(status, status)}" + (f" ({code})" if code else "")]
    layer = entry.get("layer")
    if layer in LAYER_WORDS:
        lines.append(f"Why: {LAYER_WORDS[layer]}.")
    if entry.get("reason"):
        lines.append(f"Cause: {entry.get('reason')}.")
    if status == "conditional" and entry.get("condition"):
        lines.append(f"Depends on: {entry.get('condition')}.")
    lines.extend(_lowered_to(entry))
    if status != "supported":
        lines.extend(_variants(entry))
    if entry.get("error") and not entry.ok:
        lines.append(f"Converter said: `{str(entry.get('error'))[:200]}`")
    rewrite = entry.rewrite
    if rewrite:
        lines.append(f"Instead: {rewrite.get('description') or 'use the verified rewrite'}")
        if rewrite.get("code"):
            lines.append(f"```python\n{rewrite['code']}\n```" if markdown else str(rewrite["code"]))
    elif status in ADVICE:
        lines.append(f"Instead: {ADVICE[status]}")
    lines.extend(_measured_with(entry))
    text = "\n\n".join(lines)
    return text if markdown else text.replace("**", "").replace("`", "")


def _lowered_to(entry: kb.Entry) -> list[str]:
    tflite_ops = entry.get("tflite_ops") or []
    return ["Becomes in LiteRT: " + ", ".join(f"`{op}`" for op in tflite_ops[:12])] if tflite_ops else []


def _variants(entry: kb.Entry) -> list[str]:
    shown = [f"- {v.get('label') or v.get('args') or 'variant'}: {STATUS_WORDS.get(v.get('status'), v.get('status'))}"
             for v in (entry.variants or [])[:8]]
    return ["Measured variants:\n" + "\n".join(shown)] if shown else []


def _measured_with(entry: kb.Entry) -> list[str]:
    versions = entry.get("versions") or {}
    return ["Measured with " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())) + "."] if versions else []


def describe_findings(findings: list[Finding], entry: kb.Entry | None, markdown: bool,
                      docs_url: str | None = None) -> str:
    """The hover for diagnostics under the cursor: each one's code and message, once, then the
    knowledge base's measured details when they are about the same code (never a second
    verdict that disagrees with the diagnostic). Links go under `docs_url` when set."""
    from litert_lsp.core.codes import CODES, TF_STATUS_CODES, TORCH_STATUS_CODES
    from litert_lsp.core.settings import Settings

    links = Settings(docs_url=docs_url)

    lines, seen = [], set()
    for finding in findings:
        if (finding.code, finding.message) in seen:
            continue
        seen.add((finding.code, finding.message))
        known = CODES.get(finding.code)
        title = f"**{finding.code}** {known.name}" if known else f"**{finding.code}**"
        link = f" ([docs]({links.docs_link(finding.code)}))" if known and markdown else ""
        lines.append(f"{title}: {finding.message}{link}")
    codes_here = {f.code for f in findings}
    if entry is not None:
        code = TORCH_STATUS_CODES.get(entry.status) or TF_STATUS_CODES.get(entry.status)
        if code in codes_here:
            lines.extend(_lowered_to(entry) + _variants(entry))
            rewrite = entry.rewrite
            if rewrite and rewrite.get("code") and not any("Instead" in f.message for f in findings):
                lines.append(f"```python\n{rewrite['code']}\n```" if markdown else str(rewrite["code"]))
            lines.extend(_measured_with(entry))
    text = "\n\n".join(lines)
    return text if markdown else text.replace("**", "").replace("`", "")


def _unmeasured_call(name: str, line: str, end: int, imports: ImportTable) -> str | None:
    """The public framework name called at the cursor when the knowledge base has no entry
    for it (no probe was written): only for a name reached through the module's imports
    (`torch.xxx(`), never a guess about a local value's method, and only for a call."""
    from litert_lsp.analysis.names import canonical_name
    from litert_lsp.kb.public_names import unmeasured

    if not line[end:].lstrip().startswith("("):
        return None
    head, _, rest = name.partition(".")
    qualified = imports.names.get(head)
    if not qualified:
        return None
    full = qualified + ("." + rest if rest else "")
    for candidate in dict.fromkeys((canonical_name(full), full)):
        if unmeasured(candidate):
            return candidate
    return None


def describe_unmeasured(name: str, markdown: bool) -> str:
    """The hover for a public name no probe measured: silence is not support."""
    text = (f"**{name}** not measured: litert-lsp has no probe for `{name}`; the background "
            "conversion check (or `litert-lsp check --convert`) will tell whether it converts.")
    return text if markdown else text.replace("**", "").replace("`", "")


def _findings_at(findings: list[Finding], line: int, column: int) -> list[Finding]:
    """Findings whose span covers (1-based line, 0-based column)."""
    found = []
    for finding in findings:
        if not finding.op:
            continue
        after_start = (line, column) >= (finding.line, finding.column)
        before_end = (line, column) <= (finding.end_line, finding.end_column)
        if after_start and before_end:
            found.append(finding)
    return found


def hover_at(server: LitertServer, cache: ImportCache, uri: str, position: types.Position) -> types.Hover | None:
    document = server.open_document(uri)
    if document is None or not is_python_document(document):
        return None
    source = document.source
    lines = split_lines(source)
    if not 0 <= position.line < len(lines):
        return None
    encoding = server.position_encoding()
    text = lines[position.line]
    column = column_from_client(text, position.character, encoding)
    markdown = _supports_markdown(server)
    parts = [part for offered in server.each("hover_parts", uri, position, markdown) for part in offered]
    found = name_at(text, column)
    if found is None:
        return _hover(parts, markdown) if parts else None
    name, start, end = found
    here = _findings_at(server.analysis_for(uri), position.line + 1, column)
    candidates = [f.op for f in here if f.op]
    candidates += resolve(name, cache.table(uri, document.version, source))
    from litert_lsp import kb

    entry = next((e for e in (kb.lookup(c) for c in candidates) if e is not None), None)
    if entry is None and not here:
        unknown = _unmeasured_call(name, text, end, cache.table(uri, document.version, source))
        if unknown is None and not parts:
            return None
        value = describe_unmeasured(unknown, markdown) if unknown else None
    else:
        # Where a diagnostic covers the cursor, the hover says what the diagnostic says (its
        # code, its message) and adds only the measured details; the table alone speaks elsewhere.
        docs_url = server.settings_for(uri).docs_url
        value = describe_findings(here, entry, markdown, docs_url) if here else describe(entry, markdown)
    where = types.Range(
        start=types.Position(line=position.line, character=column_to_client(text, start, encoding)),
        end=types.Position(line=position.line, character=column_to_client(text, end, encoding)),
    )
    return _hover(([value] if value else []) + parts, markdown, where)


def _hover(parts: list[str], markdown: bool, where: types.Range | None = None) -> types.Hover:
    # A rule between what the op table says and what other features add.
    value = ("\n\n---\n\n" if markdown else "\n\n").join(parts)
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown if markdown else types.MarkupKind.PlainText,
                                     value=value),
        range=where,
    )


def _supports_markdown(server: LitertServer) -> bool:
    capabilities = server.client_capabilities.text_document
    hover = capabilities.hover if capabilities else None
    formats = hover.content_format if hover else None
    return not formats or types.MarkupKind.Markdown in formats


def _register(server: LitertServer) -> None:
    cache = ImportCache()

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: LitertServer, params: types.HoverParams) -> types.Hover | None:
        try:
            return hover_at(ls, cache, params.text_document.uri, params.position)
        except Exception:
            ls.log.exception("hover failed at %s:%s", params.text_document.uri, params.position.line + 1)
            return None


class HoverFeature(Feature):
    """textDocument/hover: what the knowledge base says about the op under the cursor."""

    def register(self) -> None:
        _register(self.server)
