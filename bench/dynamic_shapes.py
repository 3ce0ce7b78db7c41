"""What dynamic sizes cost: for PyTorch, a fixed-size litert-torch conversion against the dynamic
batch path (torch.export preflight, the dynamic conversion, and the fixed-size conversion that
tells "only the dynamic dims fail" from "the model fails"); for a Keras LSTM, an export with a
fixed shape given against one where litert-lsp fixes the batch itself after the converter's
TensorList failure. Also prints whether litert-torch converted the dynamic batch at all.

    flock /tmp/litert-converter.lock .venv/bin/python bench/dynamic_shapes.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import keras
import litert_torch
import torch
from torch import nn

from litert_lsp.jobs.job import ExportRequest
from litert_lsp.worker.tensorflow.export import export_tensorflow
from litert_lsp.worker.torch import dynamic


class Conv(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.fc = nn.Linear(8, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(torch.relu(self.conv(x)), 1), 1))


class Mlp(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(16, 32)
        self.b = nn.Linear(32, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(torch.relu(self.a(x)))


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(32)
        self.attn = nn.MultiheadAttention(32, 4, batch_first=True)
        self.ff = nn.Linear(32, 32)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.norm(x)
        return x + self.ff(self.attn(y, y, y, need_weights=False)[0])


def torch_side() -> None:
    for model, shape in ((Conv(), (1, 3, 16, 16)), (Mlp(), (1, 16)), (Block(), (1, 10, 32))):
        model.eval()
        inputs = (torch.randn(*shape),)
        litert_torch.convert(model, inputs)  # warm caches: both timings below are warm
        start = time.perf_counter()
        litert_torch.convert(model, inputs)
        fixed = time.perf_counter() - start
        start = time.perf_counter()
        try:
            dynamic.convert(model, inputs, ExportRequest(source="bench.py", dynamic_batch=True))
            verdict = "converted and checked at a second size"
        except dynamic.DynamicShapeError:
            verdict = "refused with a sentence"
        print(f"torch {type(model).__name__:<6} fixed-size convert {fixed:5.2f} s; dynamic batch {verdict} "
              f"in {time.perf_counter() - start:5.2f} s")


def keras_side() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-dynamic-"))
    path = folder / "lstm.keras"
    keras.Sequential([keras.Input((10, 8)), keras.layers.LSTM(16), keras.layers.Dense(4)]).save(path)
    for label, fields in (("shape given 1,10,8", {"input_shapes": [[1, 10, 8]]}), ("batch fixed by retry", {})):
        request = ExportRequest(source=str(path), write_output=False, **fields)  # type: ignore[arg-type]
        export_tensorflow(request, lambda *_: None)  # warm
        start = time.perf_counter()
        result = export_tensorflow(request, lambda *_: None)
        print(f"keras LSTM {label:<21} ok={result.ok} export {time.perf_counter() - start:5.2f} s "
              f"(convert {result.details['seconds'].get('convert')} s)")


if __name__ == "__main__":
    torch_side()
    keras_side()
