"""Hugging Face `save_pretrained` folders, recognised without importing transformers.

A folder is one when its `config.json` names a `model_type` and a weights file sits beside it
(`model.safetensors`, a sharded `model.safetensors.index.json`, or `pytorch_model.bin`). The
user may point at the folder, at its `config.json`, or at its weights file: all three mean the
folder. transformers 5 is PyTorch-only, so such a folder is exported by the PyTorch worker.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                "pytorch_model.bin.index.json")
MAX_CONFIG_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class HfFolder:
    path: Path
    model_type: str
    architectures: list[str] = field(default_factory=list)
    weights: str = "model.safetensors"


def hf_folder(source: Path) -> HfFolder | None:
    """The Hugging Face folder `source` is or names (the folder, its config.json, or its
    weights file), or None."""
    folder = source if source.is_dir() else source.parent
    if not source.is_dir() and source.name not in ("config.json", *WEIGHT_FILES):
        return None
    config = folder / "config.json"
    try:
        if not config.is_file() or config.stat().st_size > MAX_CONFIG_BYTES:
            return None
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("model_type"), str):
        return None
    weights = next((name for name in WEIGHT_FILES if (folder / name).is_file()), None)
    if weights is None:
        return None
    architectures = [a for a in data.get("architectures") or [] if isinstance(a, str)]
    return HfFolder(folder, data["model_type"], architectures, weights)
