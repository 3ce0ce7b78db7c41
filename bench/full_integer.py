"""Full-integer int8 quantization on two models: size and accuracy against float.

    .venv/bin/python bench/full_integer.py

Exports with `litert-lsp export --quantize full-int8 --calibration DIR --format json` (the CLI
users run) for
- `TinyNet` from examples/tinynet.py (2 convolutions, 32x32 inputs), and
- timm's `mobilenetv3_small_050` (a real mobile network: depthwise convolutions, hard-swish,
  squeeze-excitation; random weights, 96x96 inputs, 10 classes),
each calibrated on 64 samples of smooth random images (sums of low-frequency waves: closer to
natural images than white noise, and made here, since nothing is downloaded). It prints the
float and int8 sizes, the error against float on 16 calibration samples, top-1 agreement, and
the verification error on the export's example input.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

MOBILENET = '''\
import sys
sys.path.insert(0, {root!r})
from bench.real_models.torchvision_shim import install
install()
import timm
import torch


class MobileNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.net = timm.create_model("mobilenetv3_small_050", pretrained=False, num_classes=10)
        # Random weights with untouched BatchNorm statistics give activations no trained net
        # has; re-estimate the statistics on smooth images, as after training.
        self.net.train()
        with torch.no_grad():
            for step in range(8):
                self.net(smooth(torch.Generator().manual_seed(step)))
        self.net.eval()

    def forward(self, x):
        return self.net(x)


def smooth(generator, count=16, size=96):
    y, x = torch.meshgrid(torch.arange(size) / size, torch.arange(size) / size, indexing="ij")
    waves = torch.zeros(count, 3, size, size)
    for _ in range(3):
        f = torch.rand(count, 3, 3, generator=generator) * 3.5 + 0.5
        waves += torch.sin(2 * torch.pi * (f[..., 0, None, None] * y + f[..., 1, None, None] * x)
                           + f[..., 2, None, None] * 1.8)
    return (waves / 1.5).clamp(-2, 2)

'''


def smooth_images(folder: Path, shape: tuple[int, int, int], count: int = 64) -> None:
    """Images made of a few random low-frequency waves per channel, in [-2, 2]."""
    rng = np.random.default_rng(0)
    channels, height, width = shape
    y, x = np.mgrid[0:height, 0:width] / max(height, width)
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        image = np.zeros(shape, np.float32)
        for channel in range(channels):
            for _ in range(3):
                fy, fx, phase = rng.uniform(0.5, 4), rng.uniform(0.5, 4), rng.uniform(0, 6.3)
                image[channel] += np.sin(2 * np.pi * (fy * y + fx * x) + phase).astype(np.float32)
        np.save(folder / f"{index:03d}.npy", (image / 1.5).clip(-2, 2))


def export(source: Path, model: str, shape: str, calibration: Path, output: Path) -> dict:
    command = [sys.executable, "-m", "litert_lsp", "export", str(source), "--model", model, "--input-shape", shape,
               "--quantize", "full-int8", "--calibration", str(calibration), "--output", str(output),
               "--format", "json"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        raise SystemExit(f"export of {model} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}") from None


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="litert-full-int8-") as temp:
        work = Path(temp)
        (work / "mobilenet.py").write_text(MOBILENET.format(root=str(ROOT)), encoding="utf-8")
        cases = [
            ("TinyNet", ROOT / "examples" / "tinynet.py", "1,3,32,32", (3, 32, 32)),
            ("MobileNet", work / "mobilenet.py", "1,3,96,96", (3, 96, 96)),
        ]
        print(f"{'model':<12} {'float':>10} {'int8':>10} {'ratio':>6} {'mean rel':>9} {'worst rel':>9} "
              f"{'top-1':>6} {'verify rel':>10}")
        for name, source, shape, sample_shape in cases:
            calibration = work / f"calib-{name}"
            smooth_images(calibration, sample_shape)
            result = export(source, name, shape, calibration, work / f"{name}.tflite")
            if not result.get("ok"):
                print(f"{name:<12} FAILED at {result.get('stage')}: {result.get('message')}")
                continue
            details = result["details"]
            accuracy = details["calibration_error"]
            plain, size = details["float_size_bytes"], result["size_bytes"]
            top1 = accuracy.get("top1_agreement")
            print(f"{name:<12} {plain:>10,} {size:>10,} {size / plain:>6.0%} {accuracy['mean_rel_error']:>9.4f} "
                  f"{accuracy['max_rel_error']:>9.4f} {'' if top1 is None else f'{top1:.0%}':>6} "
                  f"{result['max_rel_error']:>10.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
