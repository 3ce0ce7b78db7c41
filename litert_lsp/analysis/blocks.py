"""Split a module's text into top-level blocks that parse on their own.

A block starts at a line that begins at column 0 outside any bracket, string or line
continuation (a top-level statement), together with its decorators and with the
`else`/`elif`/`except`/`finally` clauses that continue it. For valid Python this is exactly
the module's top-level statements; for half-typed code it keeps a syntax error inside one
block, so every other block still parses. Blocks are the unit of the incremental cache.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

# One scan over the text finds what matters for block boundaries: strings and comments
# (skipped whole, so brackets and newlines inside them do not count), brackets, escaped
# newlines, and newlines followed by a line that starts at column 0.
_SCAN = re.compile(
    r'"""(?:[^"\\]|\\[\s\S]|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\[\s\S]|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\[\s\S])*"'
    r"|'(?:[^'\\\n]|\\[\s\S])*'"
    r"|\#[^\n]*"
    r"|\\\n"
    r"|(?P<open>[(\[{])"
    r"|(?P<close>[)\]}])"
    r"|(?P<line>\n)(?=[^\s#])"
)
# A column-0 line that cannot be inside brackets in any valid file: an unclosed bracket
# before it is a typing error, and the block must end there.
_RESET = re.compile(r"(?:def|class|async|import|from)\b|@")
# Clauses that continue the previous top-level statement.
_CONTINUATION = re.compile(r"(?:else|elif|except|finally)\b")


# The same scan inside a class block, for the lines that start its methods: `def`,
# `async def` or a decorator, at the class body's indentation.
_MEMBER_SCAN = re.compile(
    _SCAN.pattern.rsplit("|", 1)[0] + r"|(?P<line>\n)(?=(?P<indent>[ \t]+)(?:def\b|async\b|@))"
)
_CLASS_START = re.compile(r"(?:@.*\n(?:[ \t)\]}].*\n)*)*class\b")


@dataclass(frozen=True)
class Block:
    """A slice of the document: `line` is the 0-based index of its first line."""

    line: int
    text: str


def normalize_newlines(source: str) -> str:
    """`\\r\\n` and `\\r` become `\\n`; columns do not move (ast and LSP agree on these)."""
    if "\r" not in source:
        return source
    return source.replace("\r\n", "\n").replace("\r", "\n")


def split_blocks(source: str) -> list[Block]:
    """The top-level blocks of `source` (already newline-normalized), in order."""
    cuts = [0]
    depth = 0
    decorator_pending = source.startswith("@")
    for match in _SCAN.finditer(source):
        kind = match.lastgroup
        if kind is None:
            continue
        if kind == "open":
            depth += 1
        elif kind == "close":
            if depth:
                depth -= 1
        else:
            start = match.end()
            if depth:
                if not _RESET.match(source, start):
                    continue
                depth = 0
            if _CONTINUATION.match(source, start):
                continue
            if decorator_pending:
                # Decorators stay with the def/class they decorate.
                decorator_pending = source.startswith("@", start)
                continue
            decorator_pending = source.startswith("@", start)
            cuts.append(start)
    blocks: list[Block] = []
    line = 0
    cuts.append(len(source))
    for begin, end in itertools.pairwise(cuts):
        if end <= begin:
            continue
        text = source[begin:end]
        blocks.append(Block(line, text))
        line += text.count("\n")
    return blocks


def split_members(text: str) -> list[tuple[int, str]] | None:
    """A class block cut before each method: [(line offset, text), ...], the class header
    (decorators, `class` line, docstring, attributes) first. None for other blocks, or a
    class without methods. Used so that an edit inside one method re-parses only it."""
    if not _CLASS_START.match(text):
        return None
    cuts: list[int] = []
    indent: str | None = None
    depth = 0
    decorator_pending = False
    for match in _MEMBER_SCAN.finditer(text):
        kind = match.lastgroup
        if kind is None:
            continue
        if kind == "open":
            depth += 1
        elif kind == "close":
            if depth:
                depth -= 1
        elif kind == "indent" and not depth:
            found = match.group("indent")
            if indent is None:
                indent = found
            elif found != indent:
                continue  # a nested def, deeper than the class body
            start = match.end("line")
            at_decorator = text.startswith("@", start + len(found))
            if decorator_pending:
                decorator_pending = at_decorator
                continue
            decorator_pending = at_decorator
            cuts.append(start)
    if not cuts:
        return None
    pieces: list[tuple[int, str]] = []
    line = 0
    for begin, end in itertools.pairwise([0, *cuts, len(text)]):
        piece = text[begin:end]
        pieces.append((line, piece))
        line += piece.count("\n")
    return pieces


def body_indent(members: list[tuple[int, str]]) -> str:
    """The indentation of a class body, from its first method piece."""
    first = members[1][1] if len(members) > 1 else ""
    return first[: len(first) - len(first.lstrip(" \t"))] or "    "
