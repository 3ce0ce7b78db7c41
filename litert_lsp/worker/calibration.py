"""Calibration samples for full-integer quantization: the user's data, or random with a warning.

Full-integer int8 fixes a scale for every activation from the values it takes on samples;
samples unlike the real inputs give scales that clip or waste range. A calibration folder
holds one sample per file: `.npy` for a model with one input (the array has the model's input
shape, or that shape without its batch dimension), `.npz` with one array per input (in the
order of the model's inputs, by sorted name) for several. Worker-only (numpy).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from litert_lsp.jobs.job import ExportError

RANDOM_SAMPLES = 32
MAX_SAMPLES = 500


@dataclass
class Calibration:
    samples: list[list[np.ndarray]]  # each sample: one array per model input
    source: str  # said in the report: where the samples came from
    random: bool


def load(folder: str | None, examples: Sequence[np.ndarray]) -> Calibration:
    """Samples shaped like `examples` (the export's example inputs)."""
    if not folder:
        rng = np.random.default_rng(0)
        samples = [[_like(example, rng) for example in examples] for _ in range(RANDOM_SAMPLES)]
        return Calibration(samples, f"{RANDOM_SAMPLES} random samples", random=True)
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise ExportError("convert", f"the calibration folder {path} does not exist or is not a folder")
    files = sorted(p for p in path.iterdir() if p.suffix in (".npy", ".npz"))[:MAX_SAMPLES]
    if not files:
        raise ExportError("convert", f"the calibration folder {path} holds no .npy or .npz files")
    samples = [_read(file, examples) for file in files]
    return Calibration(samples, f"{len(samples)} samples from {path}", random=False)


def _like(example: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if np.issubdtype(example.dtype, np.integer):
        high = max(int(example.max()) + 1, 2)
        return rng.integers(0, high, size=example.shape).astype(example.dtype)
    return rng.standard_normal(example.shape).astype(example.dtype)


def _read(file: Path, examples: Sequence[np.ndarray]) -> list[np.ndarray]:
    try:
        if file.suffix == ".npz":
            with np.load(file, allow_pickle=False) as archive:
                arrays = [archive[name] for name in sorted(archive.files)]
        else:
            arrays = [np.load(file, allow_pickle=False)]
    except (OSError, ValueError) as error:
        raise ExportError("convert", f"the calibration sample {file.name} cannot be read: {error}") from error
    if len(arrays) != len(examples):
        raise ExportError("convert", f"the calibration sample {file.name} holds {len(arrays)} arrays for a model "
                          f"with {len(examples)} inputs: use one .npz per sample with one array per input")
    shaped = []
    for array, example in zip(arrays, examples):
        if array.shape == example.shape[1:]:
            array = array[None]  # a sample without its batch dimension
        if array.shape != example.shape:
            raise ExportError("convert", f"the calibration sample {file.name} has shape {list(array.shape)}; the "
                              f"model's input is {list(example.shape)}")
        shaped.append(array.astype(example.dtype, copy=False))
    return shaped


CALIBRATION_WARNING = (
    "calibrated on random inputs: the activation scales fit noise, not your data, so accuracy on real inputs "
    "may be worse than reported; give real samples with --calibration DIR (one .npy per sample)")


def size_warning(quantized: int, plain: int) -> str | None:
    """A sentence when quantization saved little (few weights to quantize), else None."""
    if quantized < 0.9 * plain:
        return None
    return (f"quantization changed little: {quantized:,} bytes against {plain:,} in float "
            "(the model has few weights to quantize)")


def error_on_samples(content: bytes, reference: Callable[[Any], list[np.ndarray]],
                     samples: Sequence[Any]) -> dict[str, float]:
    """How far the quantized model is from the float model on calibration samples: the mean
    and worst error relative to each output's scale, and, for class scores (batch x classes),
    how often the top class agrees. `reference(sample)` gives the framework's outputs."""
    from litert_lsp.worker import runtime

    interpreter = runtime.load_interpreter(content)
    relative: list[float] = []
    agree = classes = 0
    for sample in samples:
        expected = reference(sample)
        actual = runtime.run(content, sample, interpreter)
        for got, want in zip(actual, expected):
            want = np.asarray(want, dtype=np.float64)
            scale = max(float(np.max(np.abs(want))), 1e-12)
            relative.append(float(np.max(np.abs(np.asarray(got, dtype=np.float64) - want))) / scale)
            if want.ndim == 2 and want.shape[-1] > 1:
                classes += want.shape[0]
                agree += int(np.sum(np.argmax(got, -1) == np.argmax(want, -1)))
    report: dict[str, float] = {"samples": len(samples), "mean_rel_error": float(np.mean(relative)),
                                "max_rel_error": float(np.max(relative))}
    if classes:
        report["top1_agreement"] = agree / classes
    return report
