"""The incremental analyzer agrees with a fresh analysis while quotes, comments and
backslashes are typed and deleted. An unbalanced `\"\"\"` or `'''` is the one tokenizer state
that crosses block boundaries: the same quote typed anywhere later (even inside another
string or a comment) closes it, and every block in between changes."""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from litert_lsp.analysis import DocumentAnalyzer
from litert_lsp.analysis.blocks import (
    split_blocks,
    split_blocks_reusing,
    split_members,
    split_members_reusing,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TEXTS = [p.read_text(encoding="utf-8")
         for p in sorted([*(FIXTURES / "torch").glob("*.py"), *(FIXTURES / "tensorflow").glob("*.py")])]
# What changes the tokenizer state across lines.
TOKENS = ['"""', "'''", "'", '"', "#", "\\", "\\\n", '"""\n', "'''\n"]
_QUOTE_CHARS = "\"'#\\"


def offsets_inside_strings_and_comments(text: str) -> list[int]:
    """Offsets strictly inside the string literals and comments of a valid file."""
    line_starts = [0, *(i + 1 for i, c in enumerate(text) if c == "\n")]
    inside: list[int] = []
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type in (tokenize.STRING, tokenize.COMMENT):
            begin = line_starts[token.start[0] - 1] + token.start[1]
            stop = line_starts[token.end[0] - 1] + token.end[1]
            inside.extend(range(begin + 1, stop - (token.type == tokenize.STRING)))
    return inside


INSIDE = {text: offsets_inside_strings_and_comments(text) for text in TEXTS}


def fresh(source: str) -> list[tuple]:
    return described(DocumentAnalyzer("model.py", strict=True).analyze(source))


def agrees(analyzer: DocumentAnalyzer, source: str) -> bool:
    """The incremental analysis of `source` equals a fresh one: the findings, and the
    blocks they come from (a finer check: a wrong block need not change a finding)."""
    findings = described(analyzer.analyze(source))
    return findings == fresh(source) and analyzer._split[1] == split_blocks(source.replace("\r", ""))


def described(findings) -> list[tuple]:
    """Everything a user sees of a finding: code, range, severity, message."""
    return [(f.code, f.line, f.column, f.end_line, f.end_column, f.severity, f.message) for f in findings]


def where(text: str, choice: int, near_quote: bool) -> int:
    """An edit point: anywhere, or right at an existing quote/comment/backslash character
    (so that edits land inside strings and on their delimiters). `choice` is taken modulo
    the candidates: spread evenly, where floats would cluster at the ends."""
    if near_quote:
        spots = [i for i, c in enumerate(text) if c in _QUOTE_CHARS]
        if spots:
            # Just before the character or just after it (into the string or comment).
            return spots[choice % len(spots)] + (choice // len(spots)) % 2
    return choice % (len(text) + 1)


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


points = st.integers(0, 2**20)
changes = st.tuples(st.sampled_from(["insert", "delete"]), points, st.booleans(), st.sampled_from(TOKENS))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(TEXTS), st.lists(changes, min_size=1, max_size=10))
def test_incremental_equals_fresh_while_typing_quotes(text, edits):
    analyzer = DocumentAnalyzer("model.py", strict=True)
    assert agrees(analyzer, text)
    for change in edits:
        text = apply(text, change)
        assert agrees(analyzer, text), change


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(TEXTS), st.sampled_from(['"""', "'''"]), points, points, st.lists(changes, max_size=4))
def test_incremental_equals_fresh_when_a_far_edit_closes_an_open_triple_quote(text, quote, opener, closer, edits):
    original = text
    # The shape behind the disagreements seen in the field: a triple quote typed on a line of
    # its own stays open (it pairs with nothing after it), then the same quote is typed
    # later in the file inside a string or a comment, where the edited stretch alone looks
    # clean, but the open string now ends there and every block in between changes.
    analyzer = DocumentAnalyzer("model.py", strict=True)
    analyzer.analyze(text)
    line_starts = [0, *(i + 1 for i, c in enumerate(text) if c == "\n")]
    at = line_starts[opener % (len(line_starts) // 2 + 1)]  # in the first half: room for the closer
    text = text[:at] + quote + "\n" + text[at:]
    assert agrees(analyzer, text)
    inside = [i for i in INSIDE[original] if i > at]  # offsets in `original`, all after `at`
    if inside:
        shift = len(quote) + 1
        at = inside[closer % len(inside)] + shift
        text = text[:at] + quote + text[at:]
        assert agrees(analyzer, text)
    for change in edits:
        text = apply(text, change)
        assert agrees(analyzer, text), change


# A triple quote left open near the top; the edits below type the same quote further down,
# inside a string or a comment, where a scan of the edited stretch alone sees nothing.
OPEN_QUOTE = (
    "import torch\nfrom torch import nn\n'''\n\n\n"
    "class M(nn.Module):\n    def __init__(self):\n        super().__init__()\n\n"
    "    def forward(self, x):\n        print(\"tracing\", x)\n        return x.tolist()\n\n\n"
    "def f(x):\n    return x.item()\n"
)


def test_quote_closed_inside_a_string_of_a_later_method():
    analyzer = DocumentAnalyzer("model.py", strict=True)
    analyzer.analyze(OPEN_QUOTE)
    edited = OPEN_QUOTE.replace('"tracing"', '"tracing\'\'\'"')
    assert agrees(analyzer, edited)
    assert agrees(analyzer, OPEN_QUOTE)  # and typed away again


def test_quote_closed_inside_a_comment_of_a_later_block():
    analyzer = DocumentAnalyzer("model.py", strict=True)
    analyzer.analyze(OPEN_QUOTE)
    edited = OPEN_QUOTE.replace("return x.item()", "return x.item()  # '''")
    assert agrees(analyzer, edited)


def test_block_split_reuse_sees_the_open_quote_close():
    edited = OPEN_QUOTE.replace("return x.item()", "return x.item()  # '''")
    assert split_blocks_reusing(edited, OPEN_QUOTE, split_blocks(OPEN_QUOTE)) == split_blocks(edited)


def test_member_split_reuse_sees_the_open_quote_close():
    # The quote is left open in the class header; a later method closes it.
    cls = ("class M(nn.Module):\n    '''\n    def a(self):\n        pass\n\n    def b(self):\n        pass\n\n"
           "    def c(self, x):\n        print(\"t\", x)\n        return x\n")
    edited = cls.replace('"t"', '"t\'\'\'"')
    assert split_members_reusing(edited, split_members(cls)) == split_members(edited)


def test_reopening_a_docstring_re_splits_the_blocks_after_it():
    # Deleting the closing quotes of a docstring puts the rest of the file inside it; putting
    # them back must restore every block, with the findings a fresh analysis gives.
    text = next(t for t in TEXTS if '"""' in t and "torch" in t)
    analyzer = DocumentAnalyzer("model.py", strict=True)
    analyzer.analyze(text)
    first = text.index('"""')
    close = text.index('"""', first + 3)
    opened = text[:close] + text[close + 3:]
    assert agrees(analyzer, opened)
    assert agrees(analyzer, text)
