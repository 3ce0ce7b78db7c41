"""Checkpoint discovery and classification by content (no code from the files is run)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from litert_lsp.models.checkpoints import classify, find_checkpoints  # noqa: E402 - after the skip
from tests.export.models_src import TINY  # noqa: E402


@pytest.fixture(scope="module")
def tiny_module(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("ckpt-ws")
    (root / "tiny.py").write_text(TINY)
    sys.path.insert(0, str(root))
    sys.modules.pop("tiny", None)
    try:
        yield importlib.import_module("tiny"), root
    finally:
        sys.path.remove(str(root))
        sys.modules.pop("tiny", None)


def test_each_format_is_recognised_by_content(tiny_module) -> None:
    module, root = tiny_module
    net = module.TinyNet().eval()
    example = (torch.randn(1, 3, 8, 8),)
    files = root / "files"
    files.mkdir()
    torch.save(net.state_dict(), files / "plain.pt")
    torch.save({"epoch": 2, "model_state_dict": net.state_dict()}, files / "train.tar")
    torch.save(net.state_dict(), files / "legacy.pth", _use_new_zipfile_serialization=False)
    torch.save(net, files / "whole.pt")
    torch.jit.save(torch.jit.trace(net, example), files / "script.pt")
    torch.export.save(torch.export.export(net, example), files / "prog.pt2")
    from safetensors.torch import save_file

    save_file(net.state_dict(), files / "w.safetensors")
    (files / "notes.pt").write_text("not a checkpoint")
    (files / "cut.pt").write_bytes((files / "plain.pt").read_bytes()[:200])

    kinds = {p.name: (c.kind if (c := classify(p)) else None) for p in files.iterdir()}
    assert kinds == {
        "plain.pt": "state_dict", "train.tar": "state_dict", "legacy.pth": "state_dict",
        "whole.pt": "whole_model", "script.pt": "torchscript", "prog.pt2": "exported",
        "w.safetensors": "safetensors", "notes.pt": None, "cut.pt": None,
    }
    assert classify(files / "whole.pt").detail == "tiny.TinyNet"


def test_renamed_file_is_judged_by_content_not_extension(tiny_module, tmp_path: Path) -> None:
    module, _ = tiny_module
    from safetensors.torch import save_file

    save_file(module.TinyNet().state_dict(), tmp_path / "weights.bin")
    assert classify(tmp_path / "weights.bin").kind == "safetensors"


def test_discovery_lists_nearest_first(tiny_module, tmp_path: Path) -> None:
    module, _ = tiny_module
    state = module.TinyNet().state_dict()
    (tmp_path / "models" / "ckpt").mkdir(parents=True)
    (tmp_path / "far" / "away").mkdir(parents=True)
    (tmp_path / ".venv").mkdir()
    torch.save(state, tmp_path / "far" / "away" / "a.pt")
    torch.save(state, tmp_path / "models" / "ckpt" / "epoch7.pth")
    torch.save(state, tmp_path / "models" / "last.ckpt")
    torch.save(state, tmp_path / ".venv" / "hidden.pt")
    saved_model = tmp_path / "far" / "exported"
    (saved_model / "variables").mkdir(parents=True)
    (saved_model / "saved_model.pb").write_bytes(b"\x08\x01")
    found = find_checkpoints(tmp_path, near=tmp_path / "models" / "net.py")
    names = [c.path.name for c in found]
    # models/ itself, then one folder down, then far/ (2 steps), then far/away/ (3 steps).
    assert names == ["last.ckpt", "epoch7.pth", "exported", "a.pt"]
    assert found[2].kind == "saved_model"
