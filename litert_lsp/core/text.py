"""Document text with the protocol's line rules and position encodings.

LSP counts only `\\n`, `\\r\\n` and `\\r` as line ends (so does Python's tokenizer), while
`str.splitlines` also breaks on `\\x0c`, `\\x1c`..`\\x1e`, `\\x85`, `\\u2028` and `\\u2029`. pygls
uses `splitlines`, so a document holding one of those characters drifts out of step with the
editor after an incremental edit. These helpers apply edits and convert positions with the
protocol's rules; columns inside the server are code points (what `ast` and `Finding` use).
"""

from __future__ import annotations

import re

_LINE_END = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """The document's lines without their line ends (a final empty line after a trailing
    newline included, as editors show it)."""
    return _LINE_END.split(text)


def units(text: str, encoding: str) -> int:
    """Length of `text` in the client's position units."""
    if encoding == "utf-8":
        return len(text.encode("utf-8", "surrogatepass"))
    if encoding == "utf-32" or text.isascii():
        return len(text)
    # UTF-16: characters beyond the BMP take two units (lone surrogates count one).
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def column_to_client(line: str, column: int, encoding: str) -> int:
    """A code-point column of `line` in client units, clamped to the line."""
    column = max(0, min(column, len(line)))
    if encoding == "utf-32" or line.isascii():
        return column
    return units(line[:column], encoding)


def column_from_client(line: str, character: int, encoding: str) -> int:
    """A client-unit column of `line` as a code-point column, clamped to the line."""
    if character <= 0:
        return 0
    if encoding == "utf-32" or line.isascii():
        return min(character, len(line))
    seen = 0
    for index, ch in enumerate(line):
        if seen >= character:
            return index
        seen += units(ch, encoding)
    return len(line)


def offset_of(text: str, line: int, character: int, encoding: str) -> int:
    """Index into `text` of a client position, clamped into the document."""
    if line < 0:
        return 0
    position = 0
    if "\r" not in text:  # the common case: str.find runs in C
        for _ in range(line):
            found = text.find("\n", position)
            if found < 0:
                return len(text)
            position = found + 1
        end = text.find("\n", position)
    else:
        for _ in range(line):
            match = _LINE_END.search(text, position)
            if match is None:
                return len(text)
            position = match.end()
        match = _LINE_END.search(text, position)
        end = match.start() if match else -1
    line_text = text[position:] if end < 0 else text[position:end]
    return position + column_from_client(line_text, character, encoding)


def apply_change(text: str, start: tuple[int, int], end: tuple[int, int], new_text: str,
                 encoding: str) -> str:
    """`text` with the client range [start, end) replaced by `new_text`."""
    begin = offset_of(text, start[0], start[1], encoding)
    finish = offset_of(text, end[0], end[1], encoding)
    if finish < begin:
        begin, finish = finish, begin
    return text[:begin] + new_text + text[finish:]
