"""Suppression comments.

    x = torch.unique(x)  # litert: ignore                 every finding on this line
    x = torch.unique(x)  # litert: ignore[LRT102]         only these codes (or code prefixes,
    y = x.item()         # litert: ignore[LRT202, LRT1]    so LRT1 covers LRT101..LRT106)
    # litert: ignore-file                                  the whole file (anywhere, own line)

A comment counts on the first or the last line of a finding's span, so a call spread over
several lines can be silenced on its closing line too.
"""

from __future__ import annotations

import re

from litert_lsp.core.findings import Finding

_DIRECTIVE = re.compile(r"#\s*litert:\s*ignore(?P<file>-file)?\b(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)

# None in the map means "every code".
Suppressions = dict[int, "frozenset[str] | None"]


def parse_suppressions(source: str) -> tuple[Suppressions, bool]:
    """Line number (1-based) -> suppressed codes, and whether the whole file is ignored."""
    by_line: Suppressions = {}
    whole_file = False
    if "litert:" not in source and "LITERT:" not in source.upper():
        return by_line, whole_file
    for number, line in enumerate(source.splitlines(), start=1):
        if "#" not in line:
            continue
        for match in _DIRECTIVE.finditer(line):
            if _inside_string(line, match.start()):
                continue
            if match.group("file"):
                if not line[: match.start()].strip():  # only as a comment on its own line
                    whole_file = True
                continue
            codes = match.group("codes")
            if codes is None:
                by_line[number] = None
                continue
            wanted = frozenset(c.strip().upper() for c in codes.split(",") if c.strip())
            previous = by_line.get(number, frozenset())
            if previous is None:
                continue
            by_line[number] = previous | wanted
    return by_line, whole_file


def apply_suppressions(findings: list[Finding], source: str) -> list[Finding]:
    """The findings that no `# litert: ignore` comment silences."""
    if not findings:
        return findings
    by_line, whole_file = parse_suppressions(source)
    if whole_file:
        return []
    if not by_line:
        return findings
    return [f for f in findings if not _silenced(f, by_line)]


def _silenced(finding: Finding, by_line: Suppressions) -> bool:
    for line in {finding.line, finding.end_line}:
        if line not in by_line:
            continue
        codes = by_line[line]
        if codes is None or any(finding.code.startswith(c) for c in codes):
            return True
    return False


def _inside_string(line: str, position: int) -> bool:
    """Whether `position` sits inside a string literal opened earlier on the line (a cheap
    check: the directive must be a real comment, not text in a string)."""
    quote: str | None = None
    index = 0
    while index < position:
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
            return False  # an earlier comment: everything after it is comment text
        elif char in "\"'":
            quote = line[index : index + 3] if line[index : index + 3] in ('"""', "'''") else char
            index += len(quote)
            continue
        index += 1
    return quote is not None
