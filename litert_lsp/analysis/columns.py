"""The one column fix-up of the analyzer: `ast` columns are UTF-8 byte offsets, findings
count code points (see core/findings.py), so non-ASCII lines need converting."""

from __future__ import annotations


def char_column(lines: list[str], line: int, byte_column: int) -> int:
    """The code-point column of `byte_column` on 1-based `line` of `lines`."""
    if not 1 <= line <= len(lines):
        return byte_column
    text = lines[line - 1]
    if text.isascii():
        return byte_column
    return len(text.encode("utf-8")[:byte_column].decode("utf-8", errors="ignore"))
