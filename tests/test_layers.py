"""The package layering of README's "How it is built", checked by import-linter.

The contracts live in pyproject.toml ([tool.importlinter]): the layer order, the worker kept
apart from the server and the CLI, frameworks imported only by the worker, and no import
cycle inside any package.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold() -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is part of the test extra"
    done = subprocess.run([lint_imports, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_a_violation_is_caught(tmp_path: Path) -> None:
    # The contracts must be able to fail: a core module that imports the server breaks them.
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    config = tmp_path / "contracts.toml"
    config.write_text(
        "[tool.importlinter]\nroot_packages = ['litert_lsp']\n"
        "[[tool.importlinter.contracts]]\nname = 'core must not import the server'\ntype = 'forbidden'\n"
        "source_modules = ['litert_lsp.server']\nforbidden_modules = ['litert_lsp.core']\n"
    )
    done = subprocess.run([lint_imports, "--no-cache", "--config", str(config)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode != 0 and "BROKEN" in done.stdout
