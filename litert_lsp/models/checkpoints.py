"""Weight files in a workspace, recognised by extension AND content, nearest to the model first.

Content checks read a few bytes, a zip directory, or a pickle's opcodes (`pickletools.genops`
lists opcodes without executing any), so classifying a file never runs code from it.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

from litert_lsp.core.settings import ALWAYS_EXCLUDED

TORCH_EXTENSIONS = (".pt", ".pth", ".tar", ".ckpt", ".bin")
# Kinds: state_dict (torch.save of tensors/dicts), whole_model (a pickled nn.Module: needs
# opt-in), torchscript (rejected), exported (.pt2), safetensors, tf_checkpoint, saved_model,
# keras, h5, tf1_meta.
TORCH_KINDS = ("state_dict", "whole_model", "torchscript", "exported", "safetensors")
TF_KINDS = ("tf_checkpoint", "saved_model", "keras", "h5", "tf1_meta")

# Where training scripts tuck the model's weights inside a checkpoint dict, most likely first.
NESTING_KEYS = (
    "state_dict", "model_state_dict", "model_state", "model", "net", "network", "module",
    "model_ema", "ema", "weights", "params", "generator",
)
# Keys under which training scripts keep an exponential moving average of the weights (timm's
# `state_dict_ema`, `model_ema`; Ultralytics' `ema`; ...). Inference uses those when present,
# as timm's own checkpoint loader does, so export (and the scripts it writes) prefer them too.
EMA_KEYS = ("state_dict_ema", "model_ema", "ema_state_dict", "ema_model", "ema", "model_ema_state_dict")

# Globals a plain state dict / training checkpoint pickle refers to. Anything else (a class of
# the user's code) means the file holds a pickled object, i.e. a whole model.
_SAFE_GLOBAL_PREFIXES = ("torch", "collections", "builtins", "_codecs", "numpy", "__builtin__", "copyreg")

MAX_FILES = 20000


@dataclass(frozen=True)
class Checkpoint:
    path: Path
    kind: str
    detail: str = ""  # e.g. the class a whole-model pickle holds

    @property
    def framework(self) -> str:
        return "torch" if self.kind in TORCH_KINDS else "tensorflow"


def classify(path: Path) -> Checkpoint | None:
    """What `path` holds, judged by its content (the extension only picks which checks to try);
    None for anything that is not a checkpoint we know."""
    try:
        if path.is_dir():
            if (path / "saved_model.pb").is_file() or (path / "saved_model.pbtxt").is_file():
                return Checkpoint(path, "saved_model")
            return None
        name = path.name
        with path.open("rb") as handle:
            head = handle.read(16)
        if name.endswith(".ckpt.meta") or (name.endswith(".meta") and head[:1] in (b"\x0a", b"\x12")):
            return Checkpoint(path, "tf1_meta")
        if name.endswith(".index") and any(path.parent.glob(path.name[: -len(".index")] + ".data-*")):
            return Checkpoint(path, "tf_checkpoint")
        if head.startswith(b"\x89HDF\r\n\x1a\n"):
            return Checkpoint(path, "h5") if name.endswith((".h5", ".hdf5", ".keras")) else None
        if name.endswith(".safetensors") or _looks_like_safetensors(path, head):
            return Checkpoint(path, "safetensors") if _looks_like_safetensors(path, head) else None
        if head.startswith(b"PK\x03\x04"):
            return _classify_zip(path)
        if head[:1] == b"\x80" and name.endswith(TORCH_EXTENSIONS):
            return _classify_legacy_pickle(path)
    except OSError:
        return None
    return None


def _looks_like_safetensors(path: Path, head: bytes) -> bool:
    if len(head) < 10:
        return False
    (length,) = struct.unpack("<Q", head[:8])
    try:
        size = path.stat().st_size
    except OSError:
        return False
    return 2 <= length <= size - 8 and head[8:9] == b"{"


def _classify_zip(path: Path) -> Checkpoint | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if path.suffix == ".keras" and "config.json" in names:
                return Checkpoint(path, "keras")
            if any(n.endswith(("/models/model.json", "archive_format")) for n in names) or (
                any("serialized_exported_program" in n for n in names)
            ):
                return Checkpoint(path, "exported")
            if any("/code/" in n for n in names) or any(n.endswith("constants.pkl") for n in names):
                return Checkpoint(path, "torchscript")
            data = next((n for n in names if n.endswith("/data.pkl") or n == "data.pkl"), None)
            if data is None:
                return None
            pickled = archive.read(data)
    except (zipfile.BadZipFile, OSError, KeyError):
        return None
    owner = _foreign_global(io.BytesIO(pickled))
    if owner is None:
        return Checkpoint(path, "state_dict")
    return Checkpoint(path, "whole_model", owner)


def _classify_legacy_pickle(path: Path) -> Checkpoint | None:
    """torch.save(..., _use_new_zipfile_serialization=False): magic number, protocol and
    system-info pickles, then the object's pickle."""
    import pickletools  # 25 ms to import: only when a legacy pickle is met, not at server start

    try:
        with path.open("rb") as handle:
            for _ in range(3):
                for _ in pickletools.genops(handle):
                    pass
            owner = _foreign_global(handle)
    except Exception:  # noqa: BLE001 - any malformed pickle is simply "not a checkpoint"
        return None
    return Checkpoint(path, "state_dict") if owner is None else Checkpoint(path, "whole_model", owner)


def _foreign_global(stream: io.BufferedIOBase | io.BytesIO) -> str | None:
    """The first class referenced by the pickle outside torch/collections/builtins, if any."""
    import pickletools

    strings: list[str] = []
    memo: dict[int, str] = {}
    last: str | None = None
    try:
        for opcode, arg, _pos in pickletools.genops(stream):
            name = opcode.name
            if name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE", "BINUNICODE8"):
                last = str(arg)
                strings.append(last)
            elif name == "MEMOIZE" and last is not None:
                memo[len(memo)] = last
            elif name in ("BINPUT", "LONG_BINPUT", "PUT") and last is not None:
                memo[int(arg)] = last
            elif name in ("BINGET", "LONG_BINGET", "GET"):
                value = memo.get(int(arg))
                if value is not None:
                    strings.append(value)
                    last = value
                    continue
            elif name == "GLOBAL":
                module, _, qualname = str(arg).partition(" ")
                if not module.startswith(_SAFE_GLOBAL_PREFIXES):
                    return f"{module}.{qualname}"
            elif name == "STACK_GLOBAL" and len(strings) >= 2:
                module, qualname = strings[-2], strings[-1]
                if not module.startswith(_SAFE_GLOBAL_PREFIXES):
                    return f"{module}.{qualname}"
            if name not in ("MEMOIZE", "BINPUT", "LONG_BINPUT", "PUT"):
                last = last if name.endswith("UNICODE") else None
    except Exception:  # noqa: BLE001 - truncated: judge by what was read
        return None
    return None


def find_checkpoints(root: Path, near: Path | None = None, max_files: int = MAX_FILES) -> list[Checkpoint]:
    """Checkpoints under `root`, the ones closest to `near` (a file or folder) first."""
    found: list[Checkpoint] = []
    seen = 0
    for folder, dirnames, filenames in os.walk(root):
        folder_path = Path(folder)
        kept = []
        for d in sorted(dirnames):
            if d in ALWAYS_EXCLUDED or d.endswith(".egg-info") or d.startswith("."):
                continue
            candidate = classify(folder_path / d)
            if candidate:
                found.append(candidate)  # a SavedModel folder: do not look inside
            else:
                kept.append(d)
        dirnames[:] = kept
        for filename in sorted(filenames):
            seen += 1
            if seen > max_files:
                break
            if not _worth_a_look(filename):
                continue
            candidate = classify(folder_path / filename)
            if candidate:
                found.append(candidate)
    anchor = (near if near is None or near.is_dir() else near.parent) or root
    found.sort(key=lambda c: (folder_distance(anchor.resolve(), c.path), str(c.path)))
    return found


def _worth_a_look(filename: str) -> bool:
    return filename.endswith(
        (*TORCH_EXTENSIONS, ".pt2", ".safetensors", ".index", ".meta", ".keras", ".h5", ".hdf5")
    )


def folder_distance(folder: Path, path: Path) -> int:
    """Steps up from `folder` (already resolved) and down again to the folder holding `path`."""
    a = folder.parts
    b = path.resolve().parent.parts
    common = 0
    for x, y in zip(a, b):
        if x != y:
            break
        common += 1
    return (len(a) - common) + (len(b) - common)

