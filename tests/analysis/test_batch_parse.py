"""The batch path (one parse of the whole module, for `check` and one-shot `analyze`) gives
exactly the findings of the block path (each block parsed alone, as the editor does), on real
library files, on the same files broken in typical ways, and on the layouts where the two
cut a module differently (statements sharing a line, decorators, comments, BOM, CRLF)."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

from litert_lsp.analysis.document import DocumentAnalyzer


def _installed(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    return Path(spec.origin).parent if spec and spec.origin else None


def _real_files(limit: int = 160) -> list[Path]:
    """Every 16th Python file of transformers' models, timm and keras (sorted, so the sample
    is stable): modeling code with torch, TF and Keras, configs, utilities."""
    files: list[Path] = []
    for package, under in (("transformers", "models"), ("timm", ""), ("keras", "src")):
        root = _installed(package)
        if root is not None:
            files += sorted((root / under).rglob("*.py"))[::16]
    return files[:limit]


def _both(source: str) -> tuple[list, list]:
    batch = DocumentAnalyzer("m.py", strict=True, batch=True).analyze(source)
    blocks = DocumentAnalyzer("m.py", strict=True).analyze(source)
    return batch, blocks


def _broken(source: str) -> list[str]:
    """The file as someone mid-edit leaves it: a call left open, a half-typed def, an
    unterminated triple quote, a stray dedent, all about two thirds down."""
    lines = source.split("\n")
    at = 2 * len(lines) // 3
    return [
        "\n".join([*lines[:at], "x = foo(", *lines[at:]]),
        "\n".join([*lines[:at], "    def broken(self, x:", *lines[at:]]),
        "\n".join([*lines[:at], 'text = """never closed', *lines[at:]]),
        "\n".join([*lines[:at], "  y = 1", *lines[at:]]),
    ]


REAL = _real_files()


@pytest.mark.skipif(not REAL, reason="no installed library sources to compare on")
def test_real_files_give_the_same_findings_whole_or_in_blocks() -> None:
    compared = with_findings = 0
    for path in REAL:
        source = path.read_text(encoding="utf-8", errors="replace")
        batch, blocks = _both(source)
        assert batch == blocks, path
        compared += 1
        with_findings += bool(batch)
    assert compared >= 100 and with_findings >= 5  # the sample exercises the rules, not only parsing


@pytest.mark.skipif(not REAL, reason="no installed library sources to compare on")
def test_broken_real_files_fall_back_to_blocks_with_the_same_findings() -> None:
    for path in REAL[::8]:
        for variant in _broken(path.read_text(encoding="utf-8", errors="replace")):
            batch, blocks = _both(variant)
            assert batch == blocks, path
            assert any(f.code == "LRT001" for f in batch) or _parses(variant), path


def _parses(source: str) -> bool:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    return True


MODEL = """\
# leading comment
import torch
from torch import nn
import functools; K = 3


def helper(x): return x.nonzero()


@functools.lru_cache
# a comment between decorator and def
def cached(n):
    return n
# a column-0 comment after a block

class Net(nn.Module):
    @staticmethod
    def scale(x):
        return x * 2

    def forward(self, x):
        a = 1; b = torch.unique(x)
        if x.sum() > 0:
            x = x + 1
        else:
            x = x - 1
        return helper(x) + self.scale(b) + "é".count("e")
try:
    import numpy
except ImportError:
    numpy = None
"""


@pytest.mark.parametrize("source", [
    MODEL,
    "\ufeff" + MODEL,
    MODEL.replace("\n", "\r\n"),
    MODEL.replace("def helper(x)", "def helper(x"),  # a syntax error: the block path
    MODEL + "\0",  # a null byte: ast refuses it with ValueError
    "",
    "# only a comment\n",
])
def test_layouts_where_the_two_paths_cut_differently(source: str) -> None:
    batch, blocks = _both(source)
    assert batch == blocks
    if source == MODEL:
        assert {"LRT201", "LRT103"} & {f.code for f in batch}


def test_a_valid_module_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The point of the batch path: one ast.parse per file, not one per block or method."""
    calls = []
    real = ast.parse

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(ast, "parse", counting)
    DocumentAnalyzer("m.py", strict=True, batch=True).analyze(MODEL)
    assert len(calls) == 1
    calls.clear()
    DocumentAnalyzer("m.py", strict=True).analyze(MODEL)
    assert len(calls) > 5  # the editor's path parses block by block
