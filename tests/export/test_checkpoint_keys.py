"""Checkpoint keys read without unpickling, and whether they fit a class's state-dict names as
found statically (issue 13 item 9: lenses only for checkpoints that fit)."""

from __future__ import annotations

import json
import os
import pickle
import struct
import zipfile
from pathlib import Path

import pytest

from litert_lsp.models import checkpoint_keys as keys_module
from litert_lsp.models.checkpoint_keys import checkpoint_keys, fits
from litert_lsp.models.classes import find_model_classes

torch = pytest.importorskip("torch")

SOURCE = '''\
import torch
from torch import nn


class Base(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3)


class Net(Base):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])
        self.register_buffer("scale", torch.ones(1))
        self._build()

    def _build(self):
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(x)


class Dynamic(nn.Module):
    def __init__(self, names):
        super().__init__()
        for name in names:
            setattr(self, name, nn.Linear(2, 2))


class Wrapped(nn.Sequential):
    pass
'''


class Net(torch.nn.Module):
    """The same layout as SOURCE's Net, to make real checkpoints of it."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = torch.nn.Conv2d(3, 4, 3)
        self.blocks = torch.nn.ModuleList([torch.nn.Linear(4, 4) for _ in range(2)])
        self.register_buffer("scale", torch.ones(1))
        self.head = torch.nn.Linear(4, 2)


class Other(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = torch.nn.Linear(4, 4)


class _Touch:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return (Path.touch, (self.path,))


def names() -> dict[str, frozenset[str] | None]:
    return {m.name: m.state_names for m in find_model_classes(SOURCE)}


def test_state_names_come_from_the_class_and_its_bases_in_the_file() -> None:
    found = names()
    assert found["Net"] == {"stem", "blocks", "scale", "head"}
    assert found["Base"] == {"stem"}
    assert found["Dynamic"] is None  # setattr(self, name, ...): not knowable without running it
    assert found["Wrapped"] is None  # an nn.Sequential's children are numbered at run time


def test_keys_of_each_format_without_unpickling(tmp_path: Path) -> None:
    state = Net().state_dict()
    torch.save(state, tmp_path / "plain.pt")
    torch.save({"model": state, "model_ema": state, "epoch": 7,
                "optimizer": torch.optim.SGD(Net().parameters(), lr=0.1).state_dict()}, tmp_path / "train.pth")
    torch.save({f"module.{k}": v for k, v in state.items()}, tmp_path / "dp.pt")
    torch.save(state, tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)
    torch.save(Other().state_dict(), tmp_path / "other.pt")
    header = json.dumps({"__metadata__": {"format": "pt"},
                         "stem.weight": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    (tmp_path / "w.safetensors").write_bytes(struct.pack("<Q", len(header)) + header + b"\0\0\0\0")

    # A pickle that runs code when loaded: reading its keys must not run it.
    marker = tmp_path / "ran"
    with zipfile.ZipFile(tmp_path / "evil.pt", "w") as archive:
        archive.writestr("evil/data.pkl", pickle.dumps({"head.weight": _Touch(marker)}, protocol=2))

    # Dotted names only: a pickle's bare strings ("scale", "storage", "cpu") cannot be told apart.
    expected = {k for k in state if "." in k}
    assert checkpoint_keys(tmp_path / "plain.pt") >= expected
    assert checkpoint_keys(tmp_path / "train.pth") >= expected
    assert checkpoint_keys(tmp_path / "legacy.pt") >= expected
    assert checkpoint_keys(tmp_path / "w.safetensors") == {"stem.weight"}
    assert checkpoint_keys(tmp_path / "evil.pt") == {"head.weight"} and not marker.exists()
    assert "torch._utils" not in checkpoint_keys(tmp_path / "plain.pt")  # a module name, not a key
    net = names()["Net"]
    assert net is not None
    for name in ("plain.pt", "train.pth", "dp.pt", "legacy.pt", "w.safetensors"):
        assert fits(checkpoint_keys(tmp_path / name), net), name
    assert not fits(checkpoint_keys(tmp_path / "other.pt"), net)
    assert not fits(checkpoint_keys(tmp_path / "plain.pt"), frozenset({"encoder"}))


def test_keys_are_cached_by_path_mtime_and_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.pt"
    torch.save(Net().state_dict(), path)
    reads: list[Path] = []
    real = keys_module._read
    monkeypatch.setattr(keys_module, "_read", lambda p: reads.append(p) or real(p))
    first = checkpoint_keys(path)
    assert checkpoint_keys(path) == first and len(reads) == 1
    torch.save(Other().state_dict(), path)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert checkpoint_keys(path) != first and len(reads) == 2


def test_unreadable_files_have_no_keys(tmp_path: Path) -> None:
    (tmp_path / "junk.pt").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "empty.safetensors").write_bytes(b"")
    assert checkpoint_keys(tmp_path / "junk.pt") is None
    assert checkpoint_keys(tmp_path / "empty.safetensors") is None
    assert checkpoint_keys(tmp_path / "missing.pt") is None
    assert not fits(frozenset(), frozenset({"a"}))
