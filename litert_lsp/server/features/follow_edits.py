"""Converter findings that follow a document's incremental edits.

A converter finding (LRT901/LRT902) names a line of the text that was converted. When the
user edits above it the finding moves with its line; when its own line is edited the
converter's verdict no longer applies to it, so it is dropped (the next check says again).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from lsprotocol import types

from litert_lsp.core.findings import Finding

CONVERTER_CODES = ("LRT901", "LRT902")


def follow(findings: Iterable[Finding], changes: Iterable[types.TextDocumentContentChangeEvent]) -> list[Finding]:
    """`findings` after `changes` (in the order the client sent them); other codes untouched."""
    current = list(findings)
    for change in changes:
        edit_range = getattr(change, "range", None)
        if edit_range is None:  # the whole text was replaced: no line is the same line any more
            current = [f for f in current if f.code not in CONVERTER_CODES]
            continue
        first, last = edit_range.start.line + 1, edit_range.end.line + 1  # 1-based like findings
        delta = change.text.count("\n") - (last - first)
        moved = []
        for finding in current:
            if finding.code not in CONVERTER_CODES or finding.end_line < first:
                moved.append(finding)
            elif finding.line > last:
                moved.append(replace(finding, line=finding.line + delta, end_line=finding.end_line + delta))
            # else: the edit touched the finding's own lines; drop it
        current = moved
    return current
