"""`litert-lsp export` says where the constructor arguments came from, what a multi-input model
needs, and which input dtypes the converter narrowed (issue 13 item 7), in a fresh process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.export.provenance_src import NET, PAIR, TOKENS

pytestmark = pytest.mark.slow
pytest.importorskip("torch")
pytest.importorskip("litert_torch")


def cli(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "litert_lsp", "export", *arguments], cwd=cwd,
                          capture_output=True, text=True, timeout=300, check=False)


def test_constructor_provenance_shapes_and_narrowing(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.litert-lsp]\n")
    (tmp_path / "net.py").write_text(NET)
    (tmp_path / "pair.py").write_text(PAIR)
    (tmp_path / "tokens.py").write_text(TOKENS)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_net.py").write_text("from net import Net\n\n\ndef test_small():\n    Net(2)\n")
    (tmp_path / "train.py").write_text("from net import Net\nmodel = Net(8)\n")

    built = cli("net.py", "--check-only", cwd=tmp_path)
    assert built.returncode == 0, built.stdout + built.stderr
    assert ("constructor: Net(8) from train.py:2; 1 other call differs: Net(2) at tests/test_net.py:5"
            in built.stderr)

    pair = cli("pair.py", "--check-only", cwd=tmp_path)
    assert pair.returncode == 1
    assert 'Pair.forward takes 2 tensors (x, mask); give their shapes (your sizes): --input-shape "1,16;1,16"' \
        in pair.stdout
    assert "TypeError" not in pair.stdout

    tokens = cli("tokens.py", "--check-only", cwd=tmp_path)
    assert tokens.returncode == 0, tokens.stdout + tokens.stderr
    assert "input 0: int64 → int32: LiteRT has no int64 inputs here" in tokens.stdout
    assert any(line.split()[:1] == ["input"] and line.endswith("int32") for line in tokens.stdout.splitlines())
