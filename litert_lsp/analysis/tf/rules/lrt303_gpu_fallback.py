"""LRT303: builtins the GPU delegate does not take (opt-in: `gpu_compatibility`).

Why: the model converts, but that part of the graph falls back to the CPU on GPU devices.
"""

from __future__ import annotations

from litert_lsp import kb
from litert_lsp.core import codes

CODE = codes.LRT303


def applies(entry: kb.Entry, status: str, autocheck_gpu: bool) -> bool:
    """Only a builtin op can fall back; the knowledge base says which ones the GPU refused."""
    return status == "builtin" and autocheck_gpu and entry.get("gpu_compatible") is False


def message(name: str, entry: kb.Entry) -> str:
    ops = ", ".join(entry.get("tflite_ops") or []) or "its LiteRT ops"
    return (f"`{name}` converts to LiteRT builtins ({ops}), but the GPU delegate does "
            "not take them: that part of the model falls back to the CPU.")
