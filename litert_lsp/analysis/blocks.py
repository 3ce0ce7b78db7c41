"""Split a module's text into top-level blocks that parse on their own.

A block starts at a line that begins at column 0 outside any bracket, string or line
continuation (a top-level statement), together with its decorators and with the
`else`/`elif`/`except`/`finally` clauses that continue it. For valid Python this is exactly
the module's top-level statements; for half-typed code it keeps a syntax error inside one
block, so every other block still parses. Blocks are the unit of the incremental cache.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

# One scan over the text finds what matters for block boundaries: strings and comments
# (skipped whole, so brackets and newlines inside them do not count), brackets, escaped
# newlines, and newlines followed by a line that starts at column 0.
_SCAN = re.compile(
    r'"""(?:[^"\\]|\\[\s\S]|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\[\s\S]|'(?!''))*'''"
    r'|(?:"""|\'\'\')(?P<quote3>)'  # a triple quote that does not close (in the scanned stretch)
    r'|"(?:[^"\\\n]|\\[\s\S])*"'
    r"|'(?:[^'\\\n]|\\[\s\S])*'"
    r"|\#[^\n]*"
    r"|\\\n"
    # Each alternative starts with a plain character (the groups are empty markers after
    # it), which lets the regex engine skip ahead to candidate characters: 2x faster.
    r"|[(\[{](?P<open>)"
    r"|[)\]}](?P<close>)"
    r"|[\"'](?P<quote>)"  # a quote no string alternative could close: an unterminated string
    r"|\n(?P<line>)(?=[^\s#])"
)
# A column-0 line that cannot be inside brackets in any valid file: an unclosed bracket
# before it is a typing error, and the block must end there.
_RESET = re.compile(r"(?:def|class|async|import|from)\b|@")
# Clauses that continue the previous top-level statement.
_CONTINUATION = re.compile(r"(?:else|elif|except|finally)\b")


# The same scan inside a class block, for the lines that start its methods: `def`,
# `async def` or a decorator, at the class body's indentation.
_MEMBER_SCAN = re.compile(
    _SCAN.pattern.rsplit("|", 1)[0] + r"|\n(?P<line>)(?=(?P<indent>[ \t]+)(?:def\b|async\b|@))"
)
_CLASS_START = re.compile(r"(?:@.*\n(?:[ \t)\]}].*\n)*)*class\b")


_TRIPLE_QUOTES = ('"""', "'''")


@dataclass(frozen=True)
class Block:
    """A slice of the document: `line` is the 0-based index of its first line.

    `open_quotes` holds the triple quotes (`\"\"\"`, `'''`) that open a string in this block
    and close nowhere after it: the one tokenizer state that crosses block boundaries. A
    later edit that types the same quote closes that string, and every block in between
    changes, so the incremental split must rescan from it. Not part of equality: it is
    derived from the text before and in the block."""

    line: int
    text: str
    open_quotes: frozenset[str] = dataclasses.field(default=frozenset(), compare=False)


def normalize_newlines(source: str) -> str:
    """`\\r\\n` and `\\r` become `\\n`; columns do not move (ast and LSP agree on these)."""
    if "\r" not in source:
        return source
    return source.replace("\r\n", "\n").replace("\r", "\n")


def split_blocks(source: str) -> list[Block]:
    """The top-level blocks of `source` (already newline-normalized), in order."""
    blocks, _clean = _scan(source, 0, len(source), 0)
    return blocks


def split_blocks_reusing(source: str, previous_source: str, previous: list[Block],
                         inner_cuts: Callable[[str], list[int] | None] | None = None) -> list[Block]:
    """`split_blocks(source)`, rescanning only what changed since `previous_source` (whose
    blocks are `previous`): the blocks before and after the edit are reused when the scan
    of the edited stretch ends in the state a full scan would have there; otherwise the
    whole text is scanned. The result is always the same as `split_blocks(source)`."""
    if not previous or not previous_source:
        return split_blocks(source)
    # Leading blocks whose text is unchanged; the scan restarts at the last one (its start
    # is a cut in both versions, its end may not be).
    kept, position, line = 0, 0, 0
    while kept < len(previous) and source.startswith(previous[kept].text, position):
        position += len(previous[kept].text)
        line += previous[kept].text.count("\n")
        kept += 1
    if kept == len(previous) and position == len(source):
        return previous
    if kept:
        kept -= 1
        position -= len(previous[kept].text)
        line -= previous[kept].text.count("\n")
    pending = _open_quotes(previous[:kept])
    # Trailing blocks whose text is unchanged, not overlapping the leading ones.
    tail, end = len(previous), len(source)
    while tail - 1 > kept and end - len(previous[tail - 1].text) >= position and source.startswith(
        previous[tail - 1].text, end - len(previous[tail - 1].text)
    ):
        tail -= 1
        end -= len(previous[tail].text)
    if _closes_any(source, position, end, pending):
        return split_blocks(source)  # a string left open before the edit may close in it
    middle = None
    if inner_cuts is not None and tail == kept + 1:  # the first block was edited
        middle = _within_one_block(source, position, end, line, previous[kept], inner_cuts)
    elif inner_cuts is not None and tail == kept + 2:  # one block after an unchanged one
        before = previous[kept]
        inner = _within_one_block(source, position + len(before.text), end,
                                  line + before.text.count("\n"), previous[kept + 1], inner_cuts,
                                  pending | before.open_quotes)
        if inner is not None:
            middle = [_at_line(before, line), *inner]
    clean = True
    if middle is None:
        middle, clean = _scan(source, position, end, line)
    if not clean:
        return split_blocks(source)
    blocks = previous[:kept] + middle
    line += sum(b.text.count("\n") for b in middle)
    for block in previous[tail:]:
        blocks.append(_at_line(block, line))
        line += block.text.count("\n")
    return blocks


def _at_line(block: Block, line: int) -> Block:
    return block if block.line == line else dataclasses.replace(block, line=line)


def _open_quotes(blocks: Iterable[Block]) -> frozenset[str]:
    """The triple quotes left open by any of `blocks`."""
    found: frozenset[str] = frozenset()
    for block in blocks:
        if block.open_quotes:
            found |= block.open_quotes
    return found


def _closes_any(source: str, start: int, end: int, open_quotes: frozenset[str]) -> bool:
    """Whether source[start:end] holds one of the triple quotes left open before it, in
    any token (even inside another string or a comment): the open string would end
    there. Both ends are line starts, so no quote straddles them."""
    return any(source.find(quote, start, end) >= 0 for quote in open_quotes)


def _within_one_block(source: str, start: int, end: int, line: int, old: Block,
                      inner_cuts: Callable[[str], list[int] | None],
                      pending: frozenset[str] = frozenset()) -> list[Block] | None:
    """When one block was edited and its old text has known clean inner cuts (the starts
    of a class's methods), scan only from the last cut before the edit to the first cut
    after it. The block stays one block if that stretch has no top-level cut and ends
    clean; None means: scan the whole block. `pending`: the triple quotes left open
    before the block."""
    offsets = inner_cuts(old.text)
    if not offsets:
        return None
    new_length = end - start
    first = 0
    for offset in offsets:
        if offset <= new_length and source.startswith(old.text[:offset], start):
            first = max(first, offset)
    if not first:
        return None
    last = len(old.text)
    for offset in offsets:
        tail = len(old.text) - offset
        if offset >= first and tail <= new_length - first and source.startswith(old.text[offset:], end - tail):
            last = min(last, offset)
    stop = end - (len(old.text) - last)
    if stop < start + first or source[start + first : start + first + 1] not in (" ", "\t"):
        return None  # the stretch must start inside the class body (a dedent may cut it)
    if _closes_any(source, start + first, stop, pending | old.open_quotes):
        return None  # a quote left open before the stretch would close inside it
    middle, clean = _scan(source, start + first, stop, 0)
    if not clean or len(middle) > 1:
        return None
    # The stretch is clean and closes no open quote, so the quotes left open are the old ones.
    return [Block(line, source[start:end], old.open_quotes)]


def _scan(source: str, start: int, end: int, first_line: int) -> tuple[list[Block], bool]:
    """Blocks of source[start:end], which starts at a block boundary, and whether the scan
    ended in a clean state (outside brackets, strings, continuations and decorators), so
    that `end` is a block boundary too."""
    cuts = [start]
    depth = 0
    unterminated = False
    open_quotes: list[tuple[int, str]] = []  # (offset, quote) of each triple quote that never closes
    decorator_pending = source.startswith("@", start)
    for match in _SCAN.finditer(source, start, end):
        kind = match.lastgroup
        if kind is None:
            continue
        if kind == "open":
            depth += 1
        elif kind == "close":
            if depth:
                depth -= 1
        elif kind in ("quote", "quote3"):
            unterminated = True
            if kind == "quote3":
                open_quotes.append((match.start(), match.group()))
        else:
            cut = match.end()
            if depth:
                if not _RESET.match(source, cut):
                    continue
                depth = 0
            if _CONTINUATION.match(source, cut):
                continue
            if decorator_pending:
                # Decorators stay with the def/class they decorate.
                decorator_pending = source.startswith("@", cut)
                continue
            decorator_pending = source.startswith("@", cut)
            cuts.append(cut)
    clean = not (depth or unterminated or decorator_pending or source.endswith("\\\n", 0, end))
    if end < len(source) and (source[end - 1 : end] != "\n" or _CONTINUATION.match(source, end)):
        clean = False  # the next block must start a line of its own
    blocks: list[Block] = []
    line = first_line
    cuts.append(end)
    for begin, stop in itertools.pairwise(cuts):
        if stop <= begin:
            continue
        text = source[begin:stop]
        inside = frozenset(quote for offset, quote in open_quotes if begin <= offset < stop)
        blocks.append(Block(line, text, inside))
        line += text.count("\n")
    return blocks, clean


def split_members(text: str) -> list[tuple[int, str]] | None:
    """A class block cut before each method: [(line offset, text), ...], the class header
    (decorators, `class` line, docstring, attributes) first. None for other blocks, or a
    class without methods. Used so that an edit inside one method re-parses only it."""
    if not _CLASS_START.match(text):
        return None
    cuts, _indent, _clean = _member_cuts(text, 0, len(text), None)
    if len(cuts) < 2:
        return None
    return _pieces(text, cuts, 0)


def split_members_reusing(text: str, previous: list[tuple[int, str]] | None) -> list[tuple[int, str]] | None:
    """`split_members(text)`, rescanning only the methods that changed since
    the previous text (split as `previous`); the same result, always."""
    if previous is None or len(previous) < 3 or not _CLASS_START.match(text):
        return split_members(text)
    pieces = [piece for _, piece in previous]
    kept, position = 0, 0
    while kept < len(pieces) and text.startswith(pieces[kept], position):
        position += len(pieces[kept])
        kept += 1
    if kept == len(pieces) and position == len(text):
        return previous
    if kept < 3:
        return split_members(text)  # the header or first method changed: the indent may have
    kept -= 1
    position -= len(pieces[kept])
    tail, end = len(pieces), len(text)
    while tail - 1 > kept and end - len(pieces[tail - 1]) >= position and text.startswith(
        pieces[tail - 1], end - len(pieces[tail - 1])
    ):
        tail -= 1
        end -= len(pieces[tail])
    if any(text.find(quote, position, end) >= 0 and _leaves_open(text, 0, position, quote)
           for quote in _TRIPLE_QUOTES):
        return split_members(text)  # a string left open before the edit may close in it
    cuts, _indent, clean = _member_cuts(text, position, end, body_indent(previous))
    if not clean:
        return split_members(text)
    result = previous[:kept]
    line = previous[kept][0]
    middle = _pieces(text, [*cuts, end], line)[:-1] if end < len(text) else _pieces(text, cuts, line)
    result += middle
    line = middle[-1][0] + middle[-1][1].count("\n") if middle else line
    for _old_line, piece in previous[tail:]:
        result.append((line, piece))
        line += piece.count("\n")
    return result


def _leaves_open(text: str, start: int, end: int, quote: str) -> bool:
    """Whether text[start:end] (from a clean point to a clean point) has a triple `quote`
    that closes nowhere in it."""
    if text.find(quote, start, end) < 0:
        return False
    return any(match.lastgroup == "quote3" and match.group() == quote
               for match in _SCAN.finditer(text, start, end))


def _member_cuts(text: str, start: int, end: int, indent: str | None) -> tuple[list[int], str | None, bool]:
    """Method cuts in text[start:end] (`start` is a cut), the body indent, and whether the
    scan ended cleanly at a line start so that `end` is a cut too."""
    cuts = [start]
    depth = 0
    unterminated = False
    decorator_pending = indent is not None and text.startswith("@", start + len(indent))
    for match in _MEMBER_SCAN.finditer(text, start, end):
        kind = match.lastgroup
        if kind is None:
            continue
        if kind == "open":
            depth += 1
        elif kind == "close":
            if depth:
                depth -= 1
        elif kind in ("quote", "quote3"):
            unterminated = True
        elif kind == "indent" and not depth:
            found = match.group("indent")
            if indent is None:
                indent = found
            elif found != indent:
                continue  # a nested def, deeper than the class body
            cut = match.end("line")
            at_decorator = text.startswith("@", cut + len(found))
            if decorator_pending:
                decorator_pending = at_decorator
                continue
            decorator_pending = at_decorator
            cuts.append(cut)
    clean = not (depth or unterminated or decorator_pending or text.endswith("\\\n", 0, end))
    if end < len(text) and text[end - 1 : end] != "\n":
        clean = False
    return cuts, indent, clean


def _pieces(text: str, cuts: list[int], first_line: int) -> list[tuple[int, str]]:
    pieces: list[tuple[int, str]] = []
    line = first_line
    for begin, stop in itertools.pairwise([*cuts, len(text)]):
        if stop <= begin:
            continue
        piece = text[begin:stop]
        pieces.append((line, piece))
        line += piece.count("\n")
    return pieces


def piece_offsets(pieces: list[tuple[int, str]] | None) -> list[int] | None:
    """Where each piece after the first starts in its block's text (clean points to rescan from)."""
    if not pieces:
        return None
    offsets, position = [], 0
    for _line, piece in pieces[:-1]:
        position += len(piece)
        offsets.append(position)
    return offsets


def body_indent(members: list[tuple[int, str]]) -> str:
    """The indentation of a class body, from its first method piece."""
    first = members[1][1] if len(members) > 1 else ""
    return first[: len(first) - len(first.lstrip(" \t"))] or "    "
