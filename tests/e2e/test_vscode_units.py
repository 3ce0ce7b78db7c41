"""The extension's TypeScript unit tests (`npm test` in vscode-client: node's own test runner on
the parts that import nothing from `vscode`, such as what the status bar item says for each
server state and background conversion check). About a second once `npm ci` has run."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

CLIENT = Path(__file__).resolve().parents[2] / "vscode-client"


def test_typescript_unit_tests_pass() -> None:
    if shutil.which("npm") is None:
        pytest.fail("npm (Node 20) is needed for the extension's unit tests", pytrace=False)
    if not (CLIENT / "node_modules" / "esbuild").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=CLIENT, check=True, capture_output=True,
                       timeout=600)
    done = subprocess.run(["npm", "test"], cwd=CLIENT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout and "# pass " in done.stdout, done.stdout[-2000:]
