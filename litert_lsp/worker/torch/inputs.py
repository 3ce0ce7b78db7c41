"""What a PyTorch model's forward takes, read from its signature (worker-only: it inspects the
built module, never the source text)."""

from __future__ import annotations

import inspect

import torch


def forward_tensor_names(model: torch.nn.Module) -> list[str] | None:
    """The required positional parameters of `model.forward` (the tensors a caller must pass),
    or None when the signature cannot be read (a C++ module, a torch.export program)."""
    try:
        signature = inspect.signature(model.forward)
    except (TypeError, ValueError):
        return None
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [p.name for p in signature.parameters.values() if p.kind in kinds and p.default is inspect.Parameter.empty]
