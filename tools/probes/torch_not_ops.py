"""Which public torch names are not ops: nothing a converter lowers, so no probe can measure them.

`litert-lsp ops --stats` counts these apart from "not measured" (see `public_names`), so that
the unmeasured count is the ops still lacking a probe, not the classes, settings and autograd
helpers torch also exports. Each rule is a mechanism over what torch itself says about a
name (whether it is a class, torch.overrides' list of functions that take no tensor, whether
ATen has an op of that name, what the call returns on a tensor); none lists a single name.
Runs where torch is installed (the probe generators), never in the server.
"""

from __future__ import annotations

import inspect
import warnings
from functools import cache
from typing import Any

import torch

# Kernels of one backend (cuDNN, MIOpen, oneDNN, FBGEMM, quantized engines) and the sparse and
# quantized tensor APIs: a float model exported on CPU never reaches them.
_BACKEND_PREFIXES = ("cudnn_", "miopen_", "mkldnn_", "fbgemm_", "quantized_", "q_", "sparse_", "to_sparse",
                     "to_mkldnn", "int_repr", "qscheme", "is_coalesced", "coalesce", "to_padded_tensor")
# Device placement and memory sharing: no computation in the graph.
_DEVICE_WORDS = ("cpu", "cuda", "xpu", "ipu", "mtia", "hpu", "pin_memory", "share_memory", "record_stream")
_AUTOGRAD_WORDS = ("backward", "hook", "retain_grad", "requires_grad", "reinforce")
# A Python callable applied per element on the CPU tensor: eager-only by definition.
_PYTHON_CALLBACK = ("apply_", "map_", "map2_")

CLASS = "a class or type, not an op"
NO_TENSOR = ("not a tensor op by torch's own list (torch.overrides' ignored functions): a setting, conversion, "
             "serialization, typing or tracing helper")
CONTAINER = "a container or base class of layers: the layers it holds are what converts or not"
BACKEND = "a backend-specific kernel (cuDNN, MIOpen, oneDNN, FBGEMM) or a sparse / quantized tensor API"
DEVICE = "device placement or memory sharing, not a computation"
AUTOGRAD = "autograd (gradients and hooks): not part of an inference graph"
CALLBACK = "runs a Python function per element (eager CPU only)"
PYTHON_VALUE = "returns a Python value (shape, dtype, flag), not a tensor: torch.export resolves it while tracing"


@cache
def _ignored_ids() -> frozenset[int]:
    # Compared unwrapped: importing torch.export wraps some of them (`torch.manual_seed`),
    # while torch.overrides caches the list it built first.
    return frozenset(id(inspect.unwrap(f)) for f in torch.overrides.get_ignored_functions())


def _aten_makes_tensors(name: str) -> bool:
    """Whether ATen has an op of this name that returns tensors (`torch.fft.fftfreq` is
    `aten.fft_fftfreq`): a creation op takes no tensor but is an op; `aten.manual_seed` is not."""
    parts = name.split(".")
    short = parts[-1]
    spaced = "_".join(parts[1:-1] + [short]) if parts[1:-1] and parts[1] != "nn" else short
    for candidate in dict.fromkeys((short, short.rstrip("_"), spaced)):
        packet = getattr(torch.ops.aten, candidate, None)
        if packet is None:
            continue
        for overload in packet.overloads():
            returns = getattr(packet, overload)._schema.returns
            if returns and all(isinstance(r.type, torch.TensorType) for r in returns):
                return True
    return False


def _returns_python_value(short: str) -> bool:
    """A zero-argument Tensor method that, called on a small float tensor, returns no tensor
    (`dim`, `numel`, `is_contiguous`, `stride`, ...). Errors count as "unknown" (False)."""
    method = getattr(torch.Tensor, short, None)
    if method is None or short.endswith("_"):
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # deprecated methods say so on every call
            value = method(torch.ones(2, 3))
    except Exception:  # noqa: BLE001 - a call that needs arguments or a device says nothing here
        return False
    return not isinstance(value, torch.Tensor) and not (
        isinstance(value, (tuple, list)) and any(isinstance(v, torch.Tensor) for v in value))


def why_not_an_op(name: str, obj: Any) -> str | None:
    """Why the public name `name` (bound to `obj`) is not an op, or None when it may be one."""
    short = name.rsplit(".", 1)[-1]
    if getattr(obj, "__module__", None) == "typing":
        return CLASS
    if inspect.isclass(obj):
        if not issubclass(obj, torch.nn.Module):
            return CLASS
        home = obj.__module__ or ""
        if home.endswith((".container", ".module")) or home.startswith("torch.nn.parallel") or short.endswith("Base"):
            return CONTAINER
        return None
    if short.startswith(_BACKEND_PREFIXES):
        return BACKEND
    if name.startswith("torch.Tensor."):
        if short in _DEVICE_WORDS or short.startswith(_DEVICE_WORDS[5:]):
            return DEVICE
        if any(word in short for word in _AUTOGRAD_WORDS):
            return AUTOGRAD
        if short in _PYTHON_CALLBACK:
            return CALLBACK
        if _returns_python_value(short):
            return PYTHON_VALUE
    if id(inspect.unwrap(obj)) in _ignored_ids() and not _aten_makes_tensors(name):
        return NO_TENSOR
    return None
