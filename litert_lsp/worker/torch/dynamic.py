"""Dynamic dimensions for PyTorch exports: torch.export dynamic shapes, litert-torch, a check at a
second size in the LiteRT runtime, and one sentence when a dimension cannot stay dynamic.

Which dimensions are dynamic comes from the request (-1 in `input_shapes`, or `dynamic_batch`;
see jobs/shapes.py). Measured with litert-torch 0.10 (probe in tests/export/test_dynamic_shapes.py):
it converts no dynamic dimension at all, with either converter (`use_v2`): a conv net, an MLP,
a transformer block, even a lone ReLU fail in lowering, because its JAX bridge and MLIR builders
need concrete sizes (the dynamic size reaches them as -9223372036854775808, or as a tracer).
So the mechanism tries, and when the model converts at a fixed size but not with the dynamic
dimensions, says which dimension, why, and which fixed size to give instead. Worker-only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from litert_lsp.jobs import shapes
from litert_lsp.jobs.job import ExportError, ExportRequest, SourceFailure


class DynamicShapeError(ExportError):
    """A dimension the user asked to be dynamic cannot be: the message says which and what to do."""

    def __init__(self, message: str, failures: list[SourceFailure] | None = None) -> None:
        super().__init__("convert", message, failures)


def requested_dims(request: ExportRequest, inputs: Sequence[torch.Tensor]) -> list[list[int]]:
    """For each example input, the dimensions the user asked to be dynamic."""
    dims = shapes.dynamic_dims(request.input_shapes) if request.input_shapes else []
    dims = [list(d) for d in dims] + [[] for _ in range(len(inputs) - len(dims))]
    if request.dynamic_batch:
        for index, tensor in enumerate(inputs):
            if tensor.dim() >= 1 and 0 not in dims[index]:
                dims[index].insert(0, 0)
    return dims[: len(inputs)]


def wanted(request: ExportRequest) -> bool:
    return request.dynamic_batch or shapes.has_dynamic(request.input_shapes)


def resized(tensor: torch.Tensor, dim: int, size: int, seed: int = 0) -> torch.Tensor:
    """`tensor` with `size` along `dim`, filled with new values like its own (same dtype and
    range), so that a model mixing rows of a batch cannot pass by seeing copies of one row."""
    if tensor.shape[dim] == size:
        return tensor
    shape = list(tensor.shape)
    shape[dim] = size
    generator = torch.Generator().manual_seed(seed)
    if tensor.dtype == torch.bool:
        return torch.randint(0, 2, shape, generator=generator).bool()
    if tensor.dtype.is_floating_point:
        scale = float(tensor.float().std()) if tensor.numel() > 1 else 1.0
        return (torch.randn(shape, generator=generator) * (scale or 1.0) + float(tensor.float().mean())).to(tensor.dtype)
    # Integer inputs are often token ids or class indices: stay within the values seen.
    low, high = int(tensor.min()), int(tensor.max())
    return torch.randint(low, high + 1, shape, generator=generator).to(tensor.dtype)


def at_size(inputs: Sequence[torch.Tensor], dims: Sequence[Sequence[int]], size: int, seed: int = 0) -> tuple[torch.Tensor, ...]:
    """The example inputs with every dynamic dimension at `size`."""
    out = []
    for index, tensor in enumerate(inputs):
        for dim in dims[index] if index < len(dims) else ():
            tensor = resized(tensor, dim, size, seed + index)
        out.append(tensor)
    return tuple(out)


def dynamic_shapes(inputs: Sequence[torch.Tensor], dims: Sequence[Sequence[int]]) -> tuple[dict[int, Any] | None, ...]:
    """torch.export's `dynamic_shapes` for positional inputs: Dim.AUTO on each dynamic dimension,
    so that relations between inputs (two batches that must be equal) are inferred rather than
    refused; whether a dimension stayed dynamic is checked on the exported program."""
    return tuple({d: torch.export.Dim.AUTO for d in dims[i]} if i < len(dims) and dims[i] else None
                 for i in range(len(inputs)))


def specialised(program: Any, dims: Sequence[Sequence[int]]) -> list[tuple[int, int, int]]:
    """(input, dim, size) for each requested dynamic dimension the exported program fixed to a constant."""
    names = list(program.graph_signature.user_inputs)
    nodes = {node.name: node for node in program.graph.nodes if node.op == "placeholder"}
    fixed = []
    for index, positions in enumerate(dims):
        node = nodes.get(names[index]) if index < len(names) else None
        value = node.meta.get("val") if node is not None else None
        if value is None or not hasattr(value, "shape"):
            continue
        for dim in positions:
            size = value.shape[dim]
            # A specialised size may still be a SymInt, one whose expression has no free symbol.
            symbols = getattr(getattr(getattr(size, "node", None), "expr", None), "free_symbols", None)
            if not symbols:
                fixed.append((index, dim, int(size)))
    return fixed


def convert(model: torch.nn.Module, inputs: tuple[torch.Tensor, ...], request: ExportRequest,
            quant_config: Any = None) -> Any:
    """litert_torch.convert, with the request's dynamic dimensions when it has any. A model that
    converts at a fixed size but not with its dynamic dimensions raises DynamicShapeError;
    one that does not convert at all raises the converter's own error (the real problem)."""
    import litert_torch

    if not wanted(request):
        return litert_torch.convert(model, inputs, quant_config=quant_config)
    dims = requested_dims(request, inputs)
    if not any(dims):
        return litert_torch.convert(model, inputs, quant_config=quant_config)
    examples = at_size(inputs, dims, shapes.EXAMPLE_SIZE)
    spec = dynamic_shapes(examples, dims)
    try:
        program = torch.export.export(model, examples, dynamic_shapes=spec, strict=False)
    except Exception:  # noqa: BLE001 - litert-torch's own export below reports it, located
        program = None
    if program is not None:
        fixed = specialised(program, dims)
        if fixed:
            raise DynamicShapeError(_specialised_sentence(fixed, inputs, dims))
    try:
        converted = litert_torch.convert(model, examples, quant_config=quant_config, dynamic_shapes=spec)
    except Exception as dynamic_error:
        # Only the last layer is the truth: does the model convert at all? If not, that error
        # is the one to fix first (raised as litert-torch raised it, so it is located as usual).
        litert_torch.convert(model, examples, quant_config=quant_config)
        sentence = _unsupported_sentence(dynamic_error, inputs, dims)
        raise DynamicShapeError(sentence, _located(dynamic_error, request, sentence)) from dynamic_error
    _check_second_size(model, converted, examples, dims, request)
    return converted


def _check_second_size(model: torch.nn.Module, converted: Any, examples: tuple[torch.Tensor, ...],
                       dims: Sequence[Sequence[int]], request: ExportRequest) -> None:
    """Run the converted model at CHECK_SIZE in the LiteRT runtime against eager PyTorch (the
    export's own verification runs it at the example size)."""
    from litert_lsp.worker import runtime
    from litert_lsp.worker.verify import tolerances

    other = at_size(examples, dims, shapes.CHECK_SIZE, seed=1)
    with torch.no_grad():
        expected = [t.detach().numpy() for t in torch.utils._pytree.tree_flatten(model(*other))[0]
                    if isinstance(t, torch.Tensor)]
    where = shapes.describe(dims)
    try:
        actual = runtime.run(_content(converted), [_as_declared(t) for t in other])
    except Exception as error:  # any runtime failure is the verdict
        raise DynamicShapeError(
            f"{where} converted as dynamic, but the LiteRT runtime cannot run the model at size {shapes.CHECK_SIZE}: "
            f"{str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__}. "
            f"Export with a fixed size instead ({_suggestion(examples, dims)})") from error
    atol, rtol = tolerances(request, expected)
    comparison = runtime.compare(actual, expected, atol, rtol)
    if not comparison.ok:
        raise DynamicShapeError(
            f"{where} converted as dynamic, but at size {shapes.CHECK_SIZE} the LiteRT runtime disagrees with PyTorch "
            f"({comparison.detail}). Export with a fixed size instead ({_suggestion(examples, dims)})")


def describe(request: ExportRequest, inputs: Sequence[torch.Tensor]) -> str | None:
    """For the report: which dimensions are dynamic and at which sizes they were checked."""
    if not wanted(request):
        return None
    dims = requested_dims(request, inputs)
    if not any(dims):
        return None
    return (f"{shapes.describe(dims)} dynamic (traced at {shapes.EXAMPLE_SIZE}, run in LiteRT at "
            f"{shapes.EXAMPLE_SIZE} and {shapes.CHECK_SIZE})")


def _located(error: BaseException, request: ExportRequest, sentence: str) -> list[SourceFailure]:
    """The user's line the converter's error names (its `Original traceback`), with `sentence`."""
    from litert_lsp.worker.locate import failures_from_exception

    source = Path(request.source)
    roots = [source.parent if source.suffix else source]
    if request.workspace:
        roots.append(Path(request.workspace))
    return [replace(f, message=sentence) for f in failures_from_exception(error, "convert", roots)]


def _content(converted: Any) -> bytes:
    content = converted.model_content() if callable(getattr(converted, "model_content", None)) else converted.model_content
    return bytes(content)


def _as_declared(tensor: torch.Tensor) -> np.ndarray:
    # litert-torch narrows 64-bit inputs to 32 bits (enable_x64=False).
    array = tensor.detach().cpu().numpy()
    if array.dtype == np.int64:
        return array.astype(np.int32)
    if array.dtype == np.float64:
        return array.astype(np.float32)
    return array


_EXECUTING = re.compile(r"While executing %\S+ : .*?target=torch\.ops\.(?P<op>[\w.]+)")


def _unsupported_sentence(error: BaseException, inputs: Sequence[torch.Tensor], dims: Sequence[Sequence[int]]) -> str:
    import litert_torch

    match = _EXECUTING.search(str(error))
    op = f"; the first op to fail is {match.group('op').removesuffix('.default')}" if match else ""
    version = getattr(litert_torch, "__version__", "")
    return (f"{shapes.describe(dims)} cannot be dynamic: litert-torch {version} converts this model only at "
            f"fixed sizes (its lowerings need a concrete size for every dimension{op}). Export with a fixed "
            f"size instead ({_suggestion(inputs, dims)}), one .tflite per size you need")


def _specialised_sentence(fixed: list[tuple[int, int, int]], inputs: Sequence[torch.Tensor],
                          dims: Sequence[Sequence[int]]) -> str:
    where = shapes.describe([[d for i2, d, _ in fixed if i2 == i] for i in range(len(inputs))])
    size = fixed[0][2]
    return (f"{where} cannot be dynamic: the model's code fixes it to {size} (torch.export specialised it, "
            "e.g. a literal size in view/reshape or a check on the size). Compute that size from the tensor "
            f"(x.shape[...]) or export with a fixed size ({_suggestion(inputs, dims)})")


def _suggestion(inputs: Sequence[torch.Tensor], dims: Sequence[Sequence[int]]) -> str:
    """`--input-shape 1,3,32,32`: the example's own sizes, batch 1 for a dynamic batch."""
    parts = []
    for index, tensor in enumerate(inputs):
        sizes = list(tensor.shape)
        if index < len(dims) and 0 in dims[index] and sizes:
            sizes[0] = 1
        parts.append(shapes.shape_text(sizes))
    joined = ";".join(parts)
    return f'--input-shape "{joined}"' if ";" in joined else f"--input-shape {joined}"
