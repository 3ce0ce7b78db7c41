"""`litert-lsp check --fix / --diff`: the knowledge base's verified rewrites, as the quick fix."""

from __future__ import annotations

import subprocess
import sys

MODEL = """\
import torch
from torch import nn


class Net(nn.Module):
    def forward(self, x, y):
        return torch.copysign(x, y) + 1
"""


def test_diff_shows_the_rewrite_and_changes_nothing(cli, project):
    root = project({"net.py": MODEL})
    run = cli("check", "--diff", "net.py", cwd=root)
    assert run.code == 1
    assert "-        return torch.copysign(x, y) + 1" in run.stdout
    assert "+        return torch.abs(x) * torch.where(y >= 0, 1.0, -1.0) + 1" in run.stdout
    assert (root / "net.py").read_text() == MODEL


def test_fix_writes_the_rewrite_and_reports_what_remains(cli, project):
    root = project({"net.py": MODEL})
    run = cli("check", "--fix", "--format", "json", "net.py", cwd=root)
    assert run.code == 0 and run.stdout.strip() == "[]"
    assert "torch.abs(x) * torch.where(y >= 0, 1.0, -1.0) + 1" in (root / "net.py").read_text()
    assert "fixed 1 finding in 1 file" in run.stderr
    assert cli("check", "--diff", "net.py", cwd=root).code == 0  # nothing left to fix


def test_fix_from_stdin_prints_the_fixed_source(project):
    root = project({})
    done = subprocess.run([sys.executable, "-m", "litert_lsp", "check", "--fix", "-q", "-"], input=MODEL,
                          cwd=root, capture_output=True, text=True, timeout=120, check=False)
    assert done.stdout == MODEL.replace("torch.copysign(x, y)", "torch.abs(x) * torch.where(y >= 0, 1.0, -1.0)")
