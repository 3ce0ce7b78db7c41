"""Model code the export tests write into their temporary workspaces."""

TINY = '''\
import torch
from torch import nn


class TinyNet(nn.Module):
    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, num_classes)

    def forward(self, x):
        x = torch.relu(self.bn(self.conv(x)))
        return self.fc(self.pool(x).flatten(1))


class Wide(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc = nn.Linear(6, width)

    def forward(self, x):
        return torch.tanh(self.fc(x))


class SvdNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        y = self.fc(x)
        return torch.linalg.svdvals(y)


class Tokens(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(50, 8)
        self.head = nn.Linear(8, 3)

    def forward(self, ids):
        return self.head(self.embed(ids).mean(dim=1))


class WithExamples(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(5, 2)

    def forward(self, a, b):
        return self.fc(a) + b

    def example_inputs(self):
        return (torch.randn(2, 5), torch.randn(2, 2))


class NoHint(nn.Module):
    def forward(self, x):
        return x * 2


class PoolIndices(nn.Module):
    def forward(self, x):
        values, indices = torch.nn.functional.max_pool2d(x, 2, return_indices=True)
        return indices.float()
'''

# A second file that builds Wide with a literal argument: where the planner finds `width`.
USES_WIDE = '''\
from tiny import Wide

model = Wide(12)
'''
