"""The pre-commit hook, run through `pre-commit try-repo` with no network.

try-repo clones a git repository, so the hook repository is a throwaway git copy of this
project's tracked files plus .pre-commit-hooks.yaml (which may not be committed yet).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import ITEM_LINE, MODEL_WITH_ITEM

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, check=True,
                   capture_output=True, timeout=60)


def _hook_repo(target: Path) -> Path:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in {*listed.splitlines(), ".pre-commit-hooks.yaml"}:
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target / name)
    _git("init", "-q", cwd=target)
    _git("add", "-A", cwd=target)
    _git("commit", "-qm", "hooks", cwd=target)
    return target


@pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git")
def test_pre_commit_try_repo_runs_the_hook_offline(tmp_path):
    hooks = _hook_repo(tmp_path / "hooks")
    project = tmp_path / "project"
    (project / ".venv").mkdir(parents=True)
    (project / "net.py").write_text(MODEL_WITH_ITEM, encoding="utf-8")
    (project / ".venv" / "vendored.py").write_text(MODEL_WITH_ITEM, encoding="utf-8")
    _git("init", "-q", cwd=project)
    _git("add", "-f", "net.py", ".venv/vendored.py", cwd=project)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           "PRE_COMMIT_HOME": str(tmp_path / "cache"), "PIP_NO_INDEX": "1"}
    done = subprocess.run([str(BIN / "pre-commit"), "try-repo", str(hooks), "litert-lsp", "--all-files"],
                          cwd=project, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"net.py:{ITEM_LINE}:" in done.stdout and "LRT202" in done.stdout
    assert "vendored.py" not in done.stdout  # --force-exclude: the staged .venv file is skipped

    (project / "net.py").write_text("x = 1\n", encoding="utf-8")
    done = subprocess.run([str(BIN / "pre-commit"), "try-repo", str(hooks), "litert-lsp", "--all-files"],
                          cwd=project, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
