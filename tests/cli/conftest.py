"""Helpers for driving the real `litert-lsp` command line."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.samples import ITEM_LINE, MODEL_WITH_ITEM  # noqa: F401 - re-exported to the CLI tests


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli():
    def run(*args: str, cwd: Path) -> Run:
        done = subprocess.run(
            [sys.executable, "-m", "litert_lsp", *args],
            check=False, cwd=cwd, capture_output=True, text=True, timeout=120,
        )
        return Run(done.returncode, done.stdout, done.stderr)

    return run


@pytest.fixture
def project(tmp_path: Path):
    """A folder factory: project({"a.py": "...", "pyproject.toml": "..."})."""

    def make(files: dict[str, str | bytes]) -> Path:
        for name, content in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return tmp_path

    return make
