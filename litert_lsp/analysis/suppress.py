"""Suppression comments: the one parser the analyzer, the CLI and the server's quick fix use.

    x = torch.unique(x)  # litert: ignore                 every finding on this line
    x = torch.unique(x)  # litert: ignore[LRT102]         only these codes (or code prefixes,
    y = x.item()         # litert: ignore[LRT202, LRT1]    so LRT1 covers LRT101..LRT106)
    y = x.item()         # noqa: LRT202                    the flake8/ruff spelling, LRT codes only
    # litert: ignore-file                                  the whole file (anywhere, own line)

A comment counts on the first or the last line of a finding's span, so a call spread over
several lines can be silenced on its closing line too. Comments are found with `tokenize`,
so text inside a string literal is never taken for a directive. A bare `# noqa` (no codes)
is left to the linters it belongs to: it does not silence LiteRT findings.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

from litert_lsp.core.findings import Finding

# `ignore [LRT202]` (with a space) is the same as `ignore[LRT202]`: it must not fall back to
# "every code" because of the space.
_LITERT = re.compile(
    r"#\s*litert:\s*ignore(?P<file>-file)?(?![\w-])(?:\s*\[(?P<codes>[^\]]*)\])?", re.IGNORECASE
)
_NOQA = re.compile(r"#\s*noqa\s*:\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*)", re.IGNORECASE)
_CANDIDATE = re.compile(r"litert:|noqa", re.IGNORECASE)
_FILE_CANDIDATE = re.compile(r"litert:\s*ignore-file", re.IGNORECASE)
# Where the quick test in `_may_silence` could differ from the full parse, which then decides:
# line breaks other than "\n" (`tokenize` and `str.splitlines` may number lines apart), and
# the letters that IGNORECASE matches to an ASCII letter of a marker but `str.lower` does not
# turn into it (dotted and dotless i, long s).
_QUICK_TEST_UNSURE = re.compile("[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\u0130\u0131\u017f]")

# None in the map means "every code".
Suppressions = dict[int, "frozenset[str] | None"]


@dataclass(frozen=True)
class Directive:
    """One directive in a comment, with columns on its line (0-based, code points)."""

    kind: str  # "ignore", "ignore-file" or "noqa"
    codes: tuple[str, ...] | None  # None: every code
    start: int
    end: int
    codes_start: int | None = None  # the span of the text between the brackets
    codes_end: int | None = None
    own_line: bool = False  # the comment is alone on its line


def parse_suppressions(source: str) -> tuple[Suppressions, bool]:
    """Line number (1-based) -> suppressed codes, and whether the whole file is ignored."""
    by_line: Suppressions = {}
    whole_file = False
    if not _CANDIDATE.search(source):
        return by_line, whole_file
    for number, directive in _directives(source):
        if directive.kind == "ignore-file":
            whole_file = whole_file or directive.own_line
            continue
        if directive.codes is None:
            by_line[number] = None
            continue
        previous = by_line.get(number, frozenset())
        if previous is not None:
            by_line[number] = previous | frozenset(directive.codes)
    return by_line, whole_file


def line_directives(line: str) -> list[Directive]:
    """The directives in the comment of one line (for editing it), found the same way."""
    comment = _comment_of_line(line)
    return [] if comment is None else _parse_comment(line, comment)


def apply_suppressions(findings: list[Finding], source: str) -> list[Finding]:
    """The findings that no suppression comment silences."""
    if not findings or not _may_silence(findings, source):
        return findings
    by_line, whole_file = parse_suppressions(source)
    if whole_file:
        return []
    if not by_line:
        return findings
    return [f for f in findings if not _silenced(f, by_line)]


def _may_silence(findings: list[Finding], source: str) -> bool:
    """Whether a directive may stand where it would silence one of `findings`: a marker on a
    finding's first or last line, or an `ignore-file` anywhere. Tokenizing (the costly part,
    and only to tell comments from strings) is needed only then; a marker elsewhere in the
    file (model code is full of `# noqa` on imports) silences nothing here."""
    if _QUICK_TEST_UNSURE.search(source):
        return True
    # Markers are ASCII and matched without case: find them in the lower-cased text with
    # str.find (lowering never adds or removes a "\n", so line numbers stay).
    lowered = source.lower()
    lines = {line for f in findings for line in (f.line, f.end_line)}
    for marker in ("litert:", "noqa"):
        line, scanned = 1, 0
        position = lowered.find(marker)
        while position >= 0:
            if marker == "litert:" and _FILE_CANDIDATE.match(lowered, position):
                return True
            line += lowered.count("\n", scanned, position)
            scanned = position
            if line in lines:
                return True
            position = lowered.find(marker, position + 1)
    return False


def _silenced(finding: Finding, by_line: Suppressions) -> bool:
    for line in {finding.line, finding.end_line}:
        if line not in by_line:
            continue
        codes = by_line[line]
        if codes is None or any(finding.code.startswith(c) for c in codes):
            return True
    return False


def _directives(source: str) -> list[tuple[int, Directive]]:
    lines = source.splitlines()
    found: list[tuple[int, Directive]] = []
    try:
        comments = [
            (token.start[0], token.start[1])
            for token in tokenize.generate_tokens(io.StringIO(source).readline)
            if token.type == tokenize.COMMENT and _CANDIDATE.search(token.string)
        ]
    except (tokenize.TokenError, SyntaxError):
        # A file that does not tokenize (being typed): judge each line on its own.
        comments = []
        for number, line in enumerate(lines, start=1):
            column = _comment_of_line(line) if _CANDIDATE.search(line) else None
            if column is not None:
                comments.append((number, column))
    for number, column in comments:
        if number <= len(lines):
            found.extend((number, d) for d in _parse_comment(lines[number - 1], column))
    return found


def _parse_comment(line: str, comment_start: int) -> list[Directive]:
    own_line = not line[:comment_start].strip()
    directives: list[Directive] = []
    # A comment may hold several `#` parts: a noqa for another linter, then a litert ignore.
    for match in _LITERT.finditer(line, comment_start):
        codes_text = match.group("codes")
        codes = None if codes_text is None else _codes(codes_text)
        directives.append(Directive(
            "ignore-file" if match.group("file") else "ignore", codes, match.start(), match.end(),
            match.start("codes") if codes_text is not None else None,
            match.end("codes") if codes_text is not None else None, own_line,
        ))
    for match in _NOQA.finditer(line, comment_start):
        codes = tuple(c for c in _codes(match.group("codes")) if c.startswith("LRT"))
        if codes:
            directives.append(Directive("noqa", codes, match.start(), match.end(),
                                        match.start("codes"), match.end("codes"), own_line))
    return directives


def _codes(text: str) -> tuple[str, ...]:
    return tuple(c.upper() for c in re.split(r"[\s,]+", text) if c)


def _comment_of_line(line: str) -> int | None:
    """Where the comment of a single line starts, or None; tokenizes the line alone and
    falls back to a quote scan when it does not tokenize by itself (a continued string)."""
    if "#" not in line:
        return None
    try:
        for token in tokenize.generate_tokens(io.StringIO(line).readline):
            if token.type == tokenize.COMMENT:
                return token.start[1]
        return None
    except (tokenize.TokenError, SyntaxError):
        pass
    quote: str | None = None
    index = 0
    while index < len(line):
        char = line[index]
        if quote:
            if char == "\\":
                index += 2
                continue
            if line.startswith(quote, index):
                index += len(quote)
                quote = None
                continue
        elif char == "#":
            return index
        elif char in "\"'":
            quote = line[index : index + 3] if line[index : index + 3] in ('"""', "'''") else char
            index += len(quote)
            continue
        index += 1
    return None
