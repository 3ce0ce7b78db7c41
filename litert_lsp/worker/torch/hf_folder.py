"""Build a model from a Hugging Face `save_pretrained` folder, offline, for export.

The class is the first of `config.architectures` (the head the folder was saved with), else
the `AutoModel` of its `model_type`; weights load through transformers' own `from_pretrained`
with `local_files_only=True` (safetensors, or `pytorch_model.bin`, which transformers reads
with `weights_only=True`). The exported module takes the model's main input as one tensor and
returns one of its outputs: the first (`logits` for a head, `last_hidden_state` for a bare
model) unless `output_names` asks for another.
"""

from __future__ import annotations

from typing import Any

import torch

from litert_lsp.jobs.job import ExportError, ExportRequest
from litert_lsp.jobs.shapes import concrete
from litert_lsp.models.hf_folder import HfFolder

DEFAULT_SEQUENCE = 16
DEFAULT_IMAGE = 224


class OneOutput(torch.nn.Module):
    """`model(**{input_name: x})[output]` as a module of plain tensors, for torch.export."""

    def __init__(self, model: torch.nn.Module, input_name: str, output: str) -> None:
        super().__init__()
        self.model, self.input_name, self.output = model, input_name, output

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(**{self.input_name: x}, return_dict=True)[self.output]


def build(folder: HfFolder, request: ExportRequest, details: dict[str, Any]) -> tuple[torch.nn.Module, tuple[torch.Tensor, ...], str]:
    """The wrapped model, its example input and the class name."""
    import transformers

    try:
        config = transformers.AutoConfig.from_pretrained(str(folder.path), local_files_only=True)
    except Exception as error:
        raise ExportError("load code", f"{folder.path.name}/config.json cannot be read by transformers "
                          f"{transformers.__version__}: {_first_line(error)}") from error
    name = request.model or (folder.architectures[0] if folder.architectures else None)
    cls = getattr(transformers, name, None) if name else transformers.AutoModel
    if cls is None:
        raise ExportError("load code", f"transformers {transformers.__version__} has no class {name} "
                          f"(named by {folder.path.name}/config.json); choose one with --model, e.g. AutoModel")
    try:
        model = cls.from_pretrained(str(folder.path), config=config, local_files_only=True)
    except Exception as error:
        raise ExportError("restore", f"{getattr(cls, '__name__', name)}.from_pretrained({folder.path.name}) failed: "
                          f"{_first_line(error)}") from error
    model.eval()
    class_name = type(model).__name__
    details["checkpoint"] = str(folder.path / folder.weights)
    details["weights"] = f"{folder.weights} through transformers' from_pretrained"
    input_name = getattr(model, "main_input_name", "input_ids")
    example = _example_input(input_name, config, request)
    with torch.no_grad():
        outputs = model(**{input_name: example}, return_dict=True)
    available = [key for key, value in outputs.items() if isinstance(value, torch.Tensor)]
    wanted = (request.output_names or [None])[0]
    if wanted is not None and wanted not in available:
        raise ExportError("export", f"{class_name} has no tensor output {wanted!r}; it returns: {', '.join(available)}")
    output = wanted or available[0]
    details["inputs_from"] = f"{input_name} {list(example.shape)} {str(example.dtype).removeprefix('torch.')}" + (
        " (the given input shape)" if request.input_shapes else " (from config.json; --input-shape to change)")
    others = [key for key in available if key != output]
    details["hf_output"] = output + (f" (others: {', '.join(others)}; choose with --output-names)" if others else "")
    return OneOutput(model, input_name, output).eval(), (example,), class_name


def _example_input(input_name: str, config: Any, request: ExportRequest) -> torch.Tensor:
    # A dynamic size (-1) is drawn at the example size; the conversion says whether it can stay dynamic.
    shape = concrete(request.input_shapes[0]) if request.input_shapes else None
    torch.manual_seed(0)
    if input_name == "input_ids":
        vocabulary = int(getattr(config, "vocab_size", 0) or 0)
        if vocabulary <= 0:
            raise ExportError("load code", "config.json has no vocab_size to draw example token ids from")
        limit = int(getattr(config, "max_position_embeddings", 0) or 0) or DEFAULT_SEQUENCE
        shape = shape or [1, min(DEFAULT_SEQUENCE, limit)]
        # int32 token ids: LiteRT narrows int64 inputs to int32 anyway, so the file's input is
        # the dtype an app feeds it.
        return torch.randint(0, vocabulary, tuple(shape), dtype=torch.int32)
    if input_name == "pixel_values":
        size = getattr(config, "image_size", None) or DEFAULT_IMAGE
        size = size if isinstance(size, (list, tuple)) else (size, size)
        channels = int(getattr(config, "num_channels", 3) or 3)
        shape = shape or [1, channels, int(size[0]), int(size[1])]
        return torch.randn(*shape)
    if shape is None:
        raise ExportError("load code", f"the model's input is {input_name}, whose example shape cannot be told "
                          "from config.json: give it with --input-shape")
    return torch.randn(*shape)


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:300] if text else type(error).__name__
