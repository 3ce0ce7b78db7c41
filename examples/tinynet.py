"""A small image classifier, and an experimental variant that LiteRT cannot take.

`litert-lsp check examples/tinynet.py` flags the variant's problems; `TinyNet` itself
exports cleanly (see run_example.py).
"""

import torch
from torch import nn


class TinyNet(nn.Module):
    """Conv -> BatchNorm -> ReLU, twice, then global pooling and a linear head."""

    def __init__(self, num_classes: int = 10, width: int = 16):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1),
            nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1),
            nn.BatchNorm2d(2 * width),
            nn.ReLU(),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(2 * width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        return self.head(self.pool(x).flatten(1))


class TinyNetExperimental(TinyNet):
    """An experiment that will not convert: the analyzer points at each line."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        scale = x.abs().mean().item()  # leaves the graph: torch.export cannot trace it
        spectrum = torch.linalg.svdvals(x.flatten(2))  # no LiteRT lowering
        return self.head(self.pool(x).flatten(1)) * scale + spectrum.mean()
