"""The incremental analyzer agrees with a fresh analysis while quotes, comments and
backslashes are typed and deleted: unbalanced `\"\"\"` and `'''` change how every later
block tokenizes, so the block cache must never keep a block whose start moved into (or
out of) a string."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from litert_lsp.analysis import DocumentAnalyzer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TEXTS = [p.read_text(encoding="utf-8")
         for p in sorted([*(FIXTURES / "torch").glob("*.py"), *(FIXTURES / "tensorflow").glob("*.py")])]
# What changes the tokenizer state across lines.
TOKENS = ['"""', "'''", "'", '"', "#", "\\", "\\\n", '"""\n', "'''\n"]
_QUOTE_CHARS = "\"'#\\"


def fresh(source: str) -> list[tuple]:
    return described(DocumentAnalyzer("model.py", strict=True).analyze(source))


def described(findings) -> list[tuple]:
    """Everything a user sees of a finding: code, range, severity, message."""
    return [(f.code, f.line, f.column, f.end_line, f.end_column, f.severity, f.message) for f in findings]


def where(text: str, choice: float, near_quote: bool) -> int:
    """An edit point: anywhere, or right at an existing quote/comment/backslash character
    (so that edits land inside strings and on their delimiters)."""
    if near_quote:
        spots = [i for i, c in enumerate(text) if c in _QUOTE_CHARS]
        if spots:
            return spots[min(int(choice * len(spots)), len(spots) - 1)]
    return min(int(choice * len(text)), len(text))


def apply(text: str, change: tuple) -> str:
    kind, choice, near_quote, token = change
    start = where(text, choice, near_quote)
    if kind == "insert":
        return text[:start] + token + text[start:]
    # Delete the token where it occurs at or after the edit point (else one character).
    found = text.find(token, start)
    if found < 0:
        return text[:start] + text[start + 1:]
    return text[:found] + text[found + len(token):]


changes = st.tuples(st.sampled_from(["insert", "delete"]), st.floats(0, 1), st.booleans(), st.sampled_from(TOKENS))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(TEXTS), st.lists(changes, min_size=1, max_size=10))
def test_incremental_equals_fresh_while_typing_quotes(text, edits):
    analyzer = DocumentAnalyzer("model.py", strict=True)
    assert described(analyzer.analyze(text)) == fresh(text)
    for change in edits:
        text = apply(text, change)
        assert described(analyzer.analyze(text)) == fresh(text), change


def test_reopening_a_docstring_re_splits_the_blocks_after_it():
    # Deleting the closing quotes of a docstring puts the rest of the file inside it; putting
    # them back must restore every block, with the findings a fresh analysis gives.
    text = next(t for t in TEXTS if '"""' in t and "torch" in t)
    analyzer = DocumentAnalyzer("model.py", strict=True)
    analyzer.analyze(text)
    first = text.index('"""')
    close = text.index('"""', first + 3)
    opened = text[:close] + text[close + 3:]
    assert described(analyzer.analyze(opened)) == fresh(opened)
    assert described(analyzer.analyze(text)) == fresh(text)
