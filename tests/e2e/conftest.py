"""Fixtures of the real-editor tests: installs what they need (once, under a file lock)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.e2e.install.installer import InstallError, Tools, install

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"


def _install(*components: str) -> Tools:
    try:
        return install(components)
    except InstallError as error:
        # Loud on purpose: a CI machine that cannot install the editors must not pass quietly.
        pytest.fail(f"cannot set up the real-editor tests: {error}", pytrace=False)


@pytest.fixture(scope="session")
def nvim_tools() -> Tools:
    return _install("apt", "nvim011")


@pytest.fixture(scope="session")
def vscode_tools() -> Tools:
    return _install("apt", "code-server", "playwright", "vsix")


@pytest.fixture(scope="session")
def server_env() -> dict[str, str]:
    """The environment editors start the server in: this interpreter's `litert-lsp` first on PATH."""
    bin_dir = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
