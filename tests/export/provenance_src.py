"""Model code the provenance and editor-export tests write into their workspaces."""

NET = '''\
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.stem = nn.Linear(16, width)
        self.head = nn.Linear(width, 2)

    def forward(self, x):
        return self.head(torch.relu(self.stem(x)))
'''
OTHER = '''\
from torch import nn


class Other(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Linear(16, 16)

    def forward(self, x):
        return self.encoder(x)
'''
PAIR = '''\
from torch import nn


class Pair(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 4)

    def forward(self, x, mask):
        return self.fc(x * mask)
'''
META = '''\
from torch import nn


class Tagged(nn.Module):
    def __init__(self):
        super().__init__()
        self.meta = nn.Linear(4, 4)

    def forward(self, x):
        return self.meta(x)
'''
TOKENS = '''\
from torch import nn


class Tokens(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(50, 8)

    def forward(self, ids):
        return self.embed(ids).mean(1)
'''
