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
from litert_lsp.models.checkpoints import EMA_KEYS, NESTING_KEYS, Checkpoint, classify

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


class Weights(dict):
    """A flat name -> tensor dict, and where in the checkpoint it came from."""

    key: str | None = None  # the key path inside the checkpoint ("model_ema", "state.model")
    ema: bool = False  # whether those are the averaged (EMA) weights
    alternatives: tuple[str, ...] = ()  # other key paths that hold weights too

    def describe(self) -> str:
        where = f"key '{self.key}'" if self.key else "the top level"
        text = f"{where}" + (" (EMA weights)" if self.ema else "")
        if self.alternatives:
            text += f"; also in this file: {', '.join(self.alternatives)} (choose with --weights KEY)"
        return text


def load_weights(path: Path, key: str | None = None) -> Weights:
    """A flat name -> tensor dict from a state dict, training checkpoint or .safetensors file.

    `key` picks the weights inside a training checkpoint (a dotted key path); without one, EMA
    weights are preferred when the checkpoint has them, else the usual nesting keys."""
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

        if key:
            raise ExportError("restore", f"{path.name} is a .safetensors file: it holds one flat set of "
                              f"weights, so there is no key '{key}' to choose (drop --weights)")
        try:
            return Weights(load_file(str(path), device="cpu"))
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
    return choose_weights(loaded, path.name, key)


def choose_weights(loaded: Any, name: str, key: str | None) -> Weights:
    """The weights of a loaded checkpoint object: at `key`, else EMA, else the usual nestings."""
    candidates = weight_keys(loaded)
    if key:
        found = _at_key(loaded, key)
        weights = extract_state_dict(found) if found is not None else None
        if not weights:
            listed = ", ".join(candidates) or "none"
            what = "no key" if found is None else "no tensors under the key"
            raise ExportError("restore", f"{name} has {what} '{key}'; the keys that hold weights are: {listed}")
        chosen = Weights(weights)
        chosen.key, chosen.ema = key, _is_ema(key)
    else:
        ema = next((k for k in candidates if _is_ema(k)), None)
        if ema is not None:
            chosen = Weights(extract_state_dict(_at_key(loaded, ema)) or {})
            chosen.key, chosen.ema = ema, True
        else:
            weights = extract_state_dict(loaded)
            if weights is None:
                raise ExportError(
                    "restore",
                    f"{name} holds no tensors under any of the usual keys ({', '.join(NESTING_KEYS[:5])}, ...)",
                )
            chosen = Weights(weights)
            chosen.key = next((k for k in candidates if dict(extract_state_dict(_at_key(loaded, k)) or {}).keys()
                               == weights.keys()), None)
    chosen.alternatives = tuple(k for k in candidates if k != chosen.key)
    return chosen


def weight_keys(loaded: Any) -> list[str]:
    """The key paths (at most two levels deep) of a checkpoint dict that hold weights."""
    found: list[str] = []
    if not isinstance(loaded, Mapping):
        return found
    for outer, value in loaded.items():
        if not isinstance(outer, str):
            continue
        if isinstance(value, torch.nn.Module) or _is_flat_state(value):
            found.append(outer)
        elif isinstance(value, Mapping):
            found.extend(f"{outer}.{inner}" for inner, held in value.items()
                         if isinstance(inner, str) and (_is_flat_state(held) or isinstance(held, torch.nn.Module)))
    return found


def _is_flat_state(value: Any) -> bool:
    if not isinstance(value, Mapping) or not value:
        return False
    tensors = sum(1 for v in value.values() if isinstance(v, torch.Tensor))
    return tensors >= max(1, len(value) / 2)


def _is_ema(key: str) -> bool:
    return any(part in EMA_KEYS or part.startswith("ema_") or part.endswith("_ema") for part in key.split("."))


def _at_key(loaded: Any, key: str) -> Any:
    """`loaded[key]`, or through a dotted path (`state.model`); None when absent."""
    if isinstance(loaded, Mapping) and key in loaded:
        return loaded[key]
    current = loaded
    for part in key.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return None
        current = current[part]
    return current


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
    """Remove wrapper prefixes (`module.`, `_orig_mod.`, ..., or any first name every key shares,
    such as a wrapper's `bert.`) while that makes more keys match."""
    removed: list[str] = []
    changed = True
    while changed:
        changed = False
        matching = len(expected & weights.keys())
        for prefix in (*PREFIXES, *_shared_first_name(weights)):
            if not all(k.startswith(prefix) for k in weights):
                continue
            stripped = {k[len(prefix):]: v for k, v in weights.items()}
            if len(expected & stripped.keys()) > matching:
                weights, changed = stripped, True
                removed.append(prefix)
                break
    return weights, removed


def _shared_first_name(weights: Mapping[str, Any]) -> tuple[str, ...]:
    """`("bert.",)` when every key starts with `bert.`; () otherwise."""
    firsts = {key.split(".", 1)[0] for key in weights if "." in key}
    if len(firsts) == 1 and all("." in key for key in weights):
        return (f"{firsts.pop()}.",)
    return ()


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
