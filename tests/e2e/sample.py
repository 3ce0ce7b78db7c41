"""The little project the editor tests open: one file with an op LiteRT cannot take (torch.unique: no lowering) and
one small convolutional net that converts, plus (made on demand) a checkpoint of that net."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

MODEL_SOURCE = textwrap.dedent(
    '''\
    import torch
    from torch import nn


    class TinyNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3, padding=1)
            self.head = nn.Linear(8, 4)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = torch.relu(self.conv(x)).mean(dim=(2, 3))
            return self.head(y)


    class Vocabulary(nn.Module):
        def forward(self, tokens: torch.Tensor) -> torch.Tensor:
            words = torch.unique(tokens)
            return words.float().mean()
    '''
)
# Where the unsupported call sits (1-based line, and the text on it).
UNSUPPORTED_OP = "torch.unique"
UNSUPPORTED_LINE = 1 + MODEL_SOURCE.splitlines().index("        words = torch.unique(tokens)")
PYPROJECT = textwrap.dedent(
    """\
    [project]
    name = "e2e-sample"
    version = "0"

    [tool.litert-lsp.models.TinyNet]
    input-shape = [1, 3, 16, 16]
    """
)


def make_project(root: Path) -> Path:
    """Writes the project into `root`; returns the model file."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    model = root / "model.py"
    model.write_text(MODEL_SOURCE)
    return model


def make_checkpoint(root: Path, python: str = sys.executable) -> Path:
    """A state dict of TinyNet saved by real torch (in a child process: tests stay light)."""
    target = root / "tiny_net.pt"
    code = (
        "import sys, torch; sys.path.insert(0, sys.argv[1]); torch.manual_seed(0);"
        "from model import TinyNet; torch.save(TinyNet().state_dict(), sys.argv[2])"
    )
    subprocess.run([python, "-c", code, str(root), str(target)], check=True, timeout=300)
    return target
