"""Load PyTorch weights from what users have on disk, safely, into the model they defined.

Worker-only (imports torch). State dicts load with `weights_only=True`; whole pickled models
only when the request opts in, because unpickling them runs code from the file.
"""

from __future__ import annotations

import pickle
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from litert_lsp.jobs.job import ExportError
from litert_lsp.models.checkpoints import Checkpoint, classify

# Where training scripts tuck the model's weights inside a checkpoint dict, most likely first.
NESTING_KEYS = (
    "state_dict", "model_state_dict", "model_state", "model", "net", "network", "module",
    "model_ema", "ema", "weights", "params", "generator",
)
# Added to every key by wrappers: DataParallel/DDP, torch.compile, Lightning modules.
PREFIXES = ("module.", "_orig_mod.", "model.", "net.")

MAX_LISTED = 12


def describe(path: Path) -> Checkpoint:
    """What the file holds, or an ExportError a user can act on."""
    if not path.exists():
        raise ExportError("restore", f"the checkpoint {path} does not exist")
    found = classify(path)
    if found is not None:
        return found
    if path.is_dir():
        raise ExportError("restore", f"{path} is a folder, not a checkpoint file")
    return Checkpoint(path, "unknown")


def reject_torchscript(path: Path) -> ExportError:
    return ExportError(
        "restore",
        f"{path.name} is a TorchScript archive (torch.jit.save); litert-torch converts nn.Modules and "
        "torch.export programs, not TorchScript. Save `model.state_dict()` with torch.save, or a "
        "torch.export archive with torch.export.save, and export that instead.",
    )


def refuse_pickle(checkpoint: Checkpoint) -> ExportError:
    owner = f" ({checkpoint.detail})" if checkpoint.detail else ""
    return ExportError(
        "restore",
        f"{checkpoint.path.name} holds a whole pickled model{owner}; loading it runs code stored in the "
        "file. If you trust it, allow it (CLI --allow-pickle, setting export.allow-pickle = true); "
        "otherwise save `model.state_dict()` instead.",
    )


def load_weights(path: Path) -> dict[str, torch.Tensor]:
    """A flat name -> tensor dict from a state dict, training checkpoint or .safetensors file."""
    checkpoint = describe(path)
    if checkpoint.kind == "torchscript":
        raise reject_torchscript(path)
    if checkpoint.kind == "whole_model":
        raise ExportError(
            "restore",
            f"{path.name} holds a whole pickled model ({checkpoint.detail or 'an nn.Module'}), not weights: "
            "export it as the SOURCE (litert-lsp export FILE --allow-pickle), or save a state dict.",
        )
    if checkpoint.kind == "exported":
        raise ExportError(
            "restore", f"{path.name} is a torch.export archive: export it directly as the SOURCE, it carries its graph"
        )
    if checkpoint.kind == "safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            return load_file(str(path), device="cpu")
        except (SafetensorError, OSError, ValueError) as error:
            raise ExportError("restore", f"{path.name} is not a readable .safetensors file: {error}") from error
    if checkpoint.kind not in ("state_dict", "unknown"):
        raise ExportError("restore", f"{path.name} is a TensorFlow file ({checkpoint.kind}); pick a PyTorch checkpoint")
    try:
        loaded = torch.load(str(path), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        reason = _unpickler_reason(error)
        if "global" in reason.lower():
            raise ExportError(
                "restore",
                f"{path.name} holds objects other than tensors and plain containers, which a safe load refuses "
                f"({reason}); if it is a whole pickled model, export it as the SOURCE with --allow-pickle",
            ) from error
        raise ExportError(
            "restore", f"{path.name} cannot be read as a PyTorch checkpoint (truncated or corrupt?): {reason}"
        ) from error
    except Exception as error:
        raise ExportError(
            "restore",
            f"{path.name} cannot be read as a PyTorch checkpoint (truncated or corrupt?): {_first_line(error)}",
        ) from error
    weights = extract_state_dict(loaded)
    if weights is None:
        raise ExportError(
            "restore",
            f"{path.name} holds no tensors under any of the usual keys ({', '.join(NESTING_KEYS[:5])}, ...)",
        )
    return weights


def extract_state_dict(obj: Any, depth: int = 0) -> dict[str, torch.Tensor] | None:
    """The name -> tensor mapping inside a checkpoint object, looking through common nestings."""
    if isinstance(obj, torch.nn.Module):
        return dict(obj.state_dict())
    if not isinstance(obj, Mapping) or depth > 4:
        return None
    # Nesting keys first: a training checkpoint may also hold loose tensors (a step counter).
    for key in NESTING_KEYS:
        if isinstance(obj.get(key), (Mapping, torch.nn.Module)):
            found = extract_state_dict(obj[key], depth + 1)
            if found:
                return found
    tensors = {k: v for k, v in obj.items() if isinstance(k, str) and isinstance(v, torch.Tensor)}
    if tensors and len(tensors) >= len(obj) / 2:
        return tensors
    best: dict[str, torch.Tensor] | None = None
    for value in obj.values():
        found = extract_state_dict(value, depth + 1)
        if found and (best is None or len(found) > len(best)):
            best = found
    return best


def strip_prefixes(weights: dict[str, torch.Tensor], expected: set[str]) -> tuple[dict[str, torch.Tensor], list[str]]:
    """Remove wrapper prefixes (`module.`, `_orig_mod.`, ...) while that makes more keys match."""
    removed: list[str] = []
    changed = True
    while changed:
        changed = False
        matching = len(expected & weights.keys())
        for prefix in PREFIXES:
            if not all(k.startswith(prefix) for k in weights):
                continue
            stripped = {k[len(prefix):]: v for k, v in weights.items()}
            if len(expected & stripped.keys()) > matching:
                weights, changed = stripped, True
                removed.append(prefix)
                break
    return weights, removed


def apply_weights(model: torch.nn.Module, weights: dict[str, torch.Tensor], name: str, class_name: str) -> list[str]:
    """Load `weights` into `model` strictly; every mismatch is listed key by key.

    Returns the prefixes that were removed from the checkpoint's keys."""
    expected = model.state_dict()
    weights, removed = strip_prefixes(dict(weights), set(expected))
    missing = [k for k in expected if k not in weights]
    unexpected = [k for k in weights if k not in expected]
    shapes = [
        f"{k}: checkpoint {list(weights[k].shape)}, model {list(expected[k].shape)}"
        for k in expected
        if k in weights and tuple(weights[k].shape) != tuple(expected[k].shape)
    ]
    problems = []
    if missing:
        problems.append(f"missing from the checkpoint ({len(missing)}): {_listing(missing)}")
    if unexpected:
        problems.append(f"not in {class_name} ({len(unexpected)}): {_listing(unexpected)}")
    if shapes:
        problems.append(f"shape differs ({len(shapes)}): {_listing(shapes)}")
    if problems:
        raise ExportError(
            "restore",
            f"{name} does not fit {class_name} as constructed: " + "; ".join(problems)
            + ". Check the constructor arguments ([tool.litert-lsp.models." + class_name + "]) or the checkpoint.",
        )
    model.load_state_dict(weights, strict=True)
    return removed


def load_whole_model(path: Path, allow_pickle: bool, main_module: types.ModuleType | None) -> torch.nn.Module:
    """A `torch.save(model)` file; classes pickled from a script (`__main__.X`) are looked up in
    `main_module` (the user's file) instead of the worker's own __main__."""
    checkpoint = describe(path)
    if checkpoint.kind == "torchscript":
        raise reject_torchscript(path)
    if checkpoint.kind == "whole_model" and not allow_pickle:
        raise refuse_pickle(checkpoint)
    if checkpoint.kind not in ("whole_model", "state_dict", "unknown"):
        raise ExportError("load code", f"{path.name} ({checkpoint.kind}) does not hold a pickled PyTorch model")
    if not allow_pickle:
        raise refuse_pickle(checkpoint)
    try:
        loaded = torch.load(str(path), map_location="cpu", weights_only=False,
                            pickle_module=_pickle_with_main(main_module))
    except Exception as error:
        hint = ""
        if isinstance(error, (AttributeError, ModuleNotFoundError)):
            hint = (" (the model's class must be importable: run from the project folder, or pass the "
                    "file that defines it as SOURCE with this file as --checkpoint)")
        raise ExportError(
            "load code", f"{path.name} cannot be unpickled: {_first_line(error)}{hint}"
        ) from error
    if not isinstance(loaded, torch.nn.Module):
        raise ExportError(
            "load code",
            f"{path.name} holds a {type(loaded).__name__}, not a model: use it as --checkpoint with the model's code",
        )
    return loaded


def _pickle_with_main(main_module: types.ModuleType | None) -> types.ModuleType:
    class Unpickler(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> Any:
            if module == "__main__" and main_module is not None and hasattr(main_module, name):
                return getattr(main_module, name)
            return super().find_class(module, name)

    shim = types.ModuleType("litert_lsp_pickle")
    shim.__dict__.update({k: getattr(pickle, k) for k in dir(pickle) if not k.startswith("__")})
    shim.Unpickler = Unpickler  # type: ignore[attr-defined]
    shim.load = lambda f, **kw: Unpickler(f, **kw).load()  # type: ignore[attr-defined]
    return shim


def _unpickler_reason(error: BaseException) -> str:
    """torch wraps the real reason in a long explanation of weights_only; keep the reason."""
    text = str(error)
    marker = "WeightsUnpickler error:"
    if marker in text:
        return text.split(marker, 1)[1].strip().splitlines()[0][:300]
    return _first_line(error)


def _listing(items: list[str]) -> str:
    shown = ", ".join(items[:MAX_LISTED])
    return shown + (f", and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else "")


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:300] if text else type(error).__name__
