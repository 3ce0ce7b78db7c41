"""Small model sources shared by several test areas."""

from __future__ import annotations

import textwrap

MODEL_WITH_ITEM = textwrap.dedent(
    """\
    import torch
    from torch import nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            scale = x.mean().item()
            return self.fc(x) * scale
    """
)
ITEM_LINE = 11  # 1-based line of the `.item()` call above
