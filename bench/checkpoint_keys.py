"""What it costs the editor to decide which checkpoints fit a class (the code lenses): reading
the keys of each checkpoint without unpickling it, first read and cached, for a
ResNet-50-sized state dict (about 320 tensors, 25M parameters) in each format.

    .venv/bin/python bench/checkpoint_keys.py

Prints milliseconds per file: cold (first read) and warm (the path+mtime+size cache).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from litert_lsp.models import checkpoint_keys as keys_module  # noqa: E402


def state_dict() -> dict:
    import torch

    state = {}
    for stage, (blocks, width) in enumerate(((3, 256), (4, 512), (6, 1024), (3, 2048))):
        for block in range(blocks):
            for conv, (cin, cout, k) in enumerate(((width, width // 4, 1), (width // 4, width // 4, 3),
                                                   (width // 4, width, 1))):
                name = f"layer{stage + 1}.{block}"
                state[f"{name}.conv{conv + 1}.weight"] = torch.zeros(cout, cin, k, k)
                for stat in ("weight", "bias", "running_mean", "running_var"):
                    state[f"{name}.bn{conv + 1}.{stat}"] = torch.zeros(cout)
                state[f"{name}.bn{conv + 1}.num_batches_tracked"] = torch.zeros((), dtype=torch.long)
    state["fc.weight"] = torch.zeros(1000, 2048)
    return state


def main() -> None:
    import torch
    from safetensors.torch import save_file

    state = state_dict()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        torch.save(state, root / "zip.pt")
        torch.save({"model": state, "model_ema": state, "epoch": 90}, root / "training.pth")
        torch.save(state, root / "legacy.pt", _use_new_zipfile_serialization=False)
        save_file(state, root / "weights.safetensors")
        print(f"{len(state)} tensors, {sum(t.numel() for t in state.values()) / 1e6:.1f}M parameters")
        for path in sorted(root.iterdir()):
            keys_module._cache.clear()
            started = time.perf_counter()
            keys = keys_module.checkpoint_keys(path)
            cold = (time.perf_counter() - started) * 1000
            started = time.perf_counter()
            keys_module.checkpoint_keys(path)
            warm = (time.perf_counter() - started) * 1000
            size = path.stat().st_size / 1e6
            print(f"{path.name:<20} {size:7.1f} MB  {len(keys or ()):4d} keys  cold {cold:7.2f} ms  warm {warm:6.3f} ms")


if __name__ == "__main__":
    main()
