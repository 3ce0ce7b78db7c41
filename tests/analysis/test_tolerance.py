"""Half-typed code never breaks the analyzer, and the incremental analyzer always agrees
with a fresh one."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from litert_lsp.analysis import DocumentAnalyzer
from litert_lsp.analysis.blocks import split_blocks

FIXTURES = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "torch").glob("*.py"))
TEXTS = [p.read_text(encoding="utf-8") for p in FIXTURES]
# Fragments people type mid-edit.
SNIPPETS = ["(", ")", "[", "]", "{", "}", ":", '"""', "'", '"', "\\", "\n", "    ", "\t", "if ", "x.",
            "def ", "class ", "@", "else:", "#", "é", "x.item()", "torch.unique(x)", "\x00", "\r\n",
            "lambda", "return", "*", "await ", "\ufeff", "    if x.sum() > 0:\n        x = -x\n"]
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def analyze(source: str):
    """A fresh analysis that lets internal errors out (the public one swallows them)."""
    return DocumentAnalyzer("model.py", strict=True).analyze(source)


def assert_in_document(source: str, findings) -> None:
    lines = _LINE_BREAK.split(source)
    for f in findings:
        assert 1 <= f.line <= f.end_line <= len(lines), (f, len(lines))
        assert 0 <= f.column <= len(lines[f.line - 1]), f
        assert 0 <= f.end_column <= len(lines[f.end_line - 1]), f
        assert (f.line, f.column) <= (f.end_line, f.end_column), f


def edit(text: str, position: float, length: int, insert: str) -> str:
    start = int(position * len(text))
    return text[:start] + insert + text[start + length:]


edits = st.tuples(st.floats(0, 1), st.integers(0, 30), st.sampled_from(SNIPPETS) | st.text(max_size=8))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(TEXTS), st.floats(0, 1))
def test_truncated_files_never_raise(text, fraction):
    source = text[: int(len(text) * fraction)]
    findings = analyze(source)
    assert_in_document(source, findings)
    assert sum(f.code == "LRT001" for f in findings) <= 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(TEXTS), st.lists(edits, min_size=1, max_size=4))
def test_edited_files_never_raise(text, changes):
    for change in changes:
        text = edit(text, *change)
    findings = analyze(text)
    assert_in_document(text, findings)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(TEXTS), st.lists(edits, min_size=1, max_size=8))
def test_incremental_equals_fresh_after_each_edit(text, changes):
    analyzer = DocumentAnalyzer("model.py", strict=True)
    assert analyzer.analyze(text) == analyze(text)
    for change in changes:
        text = edit(text, *change)
        incremental = analyzer.analyze(text)
        fresh = analyze(text)
        assert incremental == fresh
        assert [f.message for f in incremental] == [f.message for f in fresh]


def test_syntax_error_reports_once_and_the_rest_is_analyzed():
    source = (
        "import torch\nfrom torch import nn\n\n"
        "def broken(:\n    pass\n\n"
        "class M(nn.Module):\n    def forward(self, x):\n        return x.tolist()\n\n"
        "def also_broken(\n"
    )
    findings = analyze(source)
    assert [(f.line, f.code) for f in findings] == [(4, "LRT001"), (9, "LRT202")]
    assert findings[0].message.startswith("Syntax error")


def test_unclosed_bracket_stays_in_its_block():
    source = (
        "import torch\nfrom torch import nn\n\nx = foo(1, 2\n\n"
        "class M(nn.Module):\n    def forward(self, x):\n        return x.tolist()\n"
    )
    assert [(f.line, f.code) for f in analyze(source)] == [(4, "LRT001"), (8, "LRT202")]


def test_blocks_are_the_top_level_statements_of_valid_files():
    tricky = (
        '"""Module docstring\nwith column-0 text\n"""\nimport torch\n\n@decorator\n@other(\n  1)\n'
        "def f(a,\nb):\n    return (a +\nb)\n\ntry:\n    pass\nexcept Exception:\n    pass\nelse:\n    pass\n"
        "finally:\n    pass\n\nif a:\n    pass\nelif b:\n    pass\nelse:\n    pass\n"
        "s = '''x\n# not a comment\n'''\nt = 'a\\\nb'\nu = 1 + \\\n2\n# trailing comment\n"
    )
    for text in [*TEXTS, tricky]:
        blocks = split_blocks(text)
        tree = ast.parse(text)
        assert len(blocks) == len(tree.body)
        for block, node in zip(blocks, tree.body):
            first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            assert block.line + 1 == first
            ast.parse(block.text)
        assert "".join(b.text for b in blocks) == text


def test_incremental_reuses_unchanged_blocks():
    text = TEXTS[0]
    analyzer = DocumentAnalyzer()
    analyzer.analyze(text)
    before = dict(analyzer._blocks)
    edited = text + "\n\ndef extra():\n    return 1\n"
    analyzer.analyze(edited)
    reused = [t for t, info in analyzer._blocks.items() if before.get(t) is info]
    # every block but the last (whose trailing blank lines changed) keeps its parse
    assert len(reused) == len(before) - 1


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(TEXTS), st.lists(edits, min_size=1, max_size=6))
def test_block_split_reuse_equals_a_fresh_split(text, changes):
    from litert_lsp.analysis.blocks import split_blocks_reusing

    previous = split_blocks(text)
    for change in changes:
        edited = edit(text, *change).replace("\r", "")
        reused = split_blocks_reusing(edited, text, previous)
        assert reused == split_blocks(edited)
        text, previous = edited, reused


def test_valid_classes_never_get_a_syntax_finding_from_being_cut():
    source = '''\
import sys
import torch
from torch import nn


class Odd(nn.Module):
    """Doc with a column-4 line:
    def not_a_method(self):
    """
    if sys.version_info >= (3, 11):
        def helper(self, x):
            return x
    else:
        def helper(self, x):
            return x + 0
    try:
        import numpy
    except ImportError:
        numpy = None

    @staticmethod
    @torch.no_grad()
    def forward(x,
    y=(1,
2)):
        return x.tolist()

    async def later(self):
        pass
    value = 3
'''
    findings = analyze(source)
    assert [f.code for f in findings] == ["LRT202"]


BIG_CLASS = '''\
@register
class Big(nn.Module):
    """A class with many methods, to edit in the middle."""
    size = 3

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    @property
    def width(self):
        return (1 +
2)

    def _one(self, x):
        s = """text
    def not_a_method(self):
"""
        return x * 2

    @staticmethod
    @other(1,
           2)
    def _two(x, y=[1,
    2]):
        def inner(z):
            return z
        return inner(x)

    async def _three(self):
        return \\
            3

    def forward(self, x):
        return self._one(x).tolist()
'''


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.floats(0.25, 1), st.integers(0, 30), st.sampled_from(SNIPPETS) | st.text(max_size=8)),
                min_size=1, max_size=6))
def test_member_split_reuse_equals_a_fresh_split(changes):
    from litert_lsp.analysis.blocks import split_members, split_members_reusing

    block = BIG_CLASS
    previous = split_members(block)
    assert previous is not None and len(previous) == 7
    for change in changes:
        edited = edit(block, *change).replace("\r", "")
        reused = split_members_reusing(edited, previous)
        assert reused == split_members(edited)
        block, previous = edited, reused


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.floats(0.25, 1), st.integers(0, 30), st.sampled_from(SNIPPETS) | st.text(max_size=8)),
                min_size=1, max_size=6))
def test_incremental_equals_fresh_when_editing_methods(changes):
    text = "import torch\nfrom torch import nn\n\n\n" + BIG_CLASS
    analyzer = DocumentAnalyzer("model.py", strict=True)
    analyzer.analyze(text)
    for change in changes:
        text = edit(text, *change)
        assert analyzer.analyze(text) == analyze(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.floats(0.25, 1), st.integers(0, 30), st.sampled_from(SNIPPETS) | st.text(max_size=8)),
                min_size=1, max_size=6))
def test_block_split_reuse_inside_a_class_equals_a_fresh_split(changes):
    from litert_lsp.analysis.blocks import piece_offsets, split_blocks_reusing, split_members

    def inner_cuts(block_text):
        return piece_offsets(split_members(block_text))

    text = "import torch\n\n\n" + BIG_CLASS + "\n\ndef tail():\n    return 1\n"
    previous = split_blocks(text)
    for change in changes:
        edited = edit(text, *change).replace("\r", "")
        reused = split_blocks_reusing(edited, text, previous, inner_cuts=inner_cuts)
        assert reused == split_blocks(edited)
        text, previous = edited, reused
