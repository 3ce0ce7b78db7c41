"""The parameter names a PyTorch weights file holds, read without unpickling, and whether they
fit a model class (so the editor offers only checkpoints that can restore into it).

A `.safetensors` file starts with a JSON header naming every tensor. A `torch.save` zip holds
`data.pkl`, whose opcodes `pickletools.genops` lists without executing any: the dotted string
keys among them (`conv.weight`, `blocks.0.attn.qkv.bias`) are the state dict's (a bare top-level
name such as `cls_token` cannot be told from the pickle's other strings, so it is left out). Results are
cached by path, modification time and size, so a lens refresh reads each file once.
"""

from __future__ import annotations

import io
import json
import re
import struct
import zipfile
from pathlib import Path
from typing import BinaryIO

# A state-dict key: dotted Python names and indices (`layers.0.weight`).
_KEY = re.compile(r"[A-Za-z_]\w*(\.\w+)+")
MAX_HEADER_BYTES = 100 * 1024 * 1024  # safetensors caps its header at 100 MB
MAX_PICKLE_BYTES = 64 * 1024 * 1024

_cache: dict[tuple[str, int, int], frozenset[str] | None] = {}


def checkpoint_keys(path: Path) -> frozenset[str] | None:
    """The dotted tensor names in `path` (a .safetensors file or a torch.save zip), or None when
    they cannot be read that way (another format, a damaged file)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _cache:
        _cache[key] = _read(path)
    return _cache[key]


def _read(path: Path) -> frozenset[str] | None:
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
            if head.startswith(b"PK\x03\x04"):
                return _zip_keys(path)
            if head[:1] == b"\x80":
                handle.seek(0)
                return _legacy_keys(handle)
            if len(head) == 8:
                (length,) = struct.unpack("<Q", head)
                if 2 <= length <= min(MAX_HEADER_BYTES, path.stat().st_size - 8):
                    return _safetensors_keys(handle.read(length))
    except OSError:
        return None
    return None


def _safetensors_keys(header: bytes) -> frozenset[str] | None:
    try:
        names = json.loads(header)
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(names, dict):
        return None
    return frozenset(str(k) for k in names if k != "__metadata__")


def _zip_keys(path: Path) -> frozenset[str] | None:
    try:
        with zipfile.ZipFile(path) as archive:
            data = next((i for i in archive.infolist() if i.filename.endswith("/data.pkl") or i.filename == "data.pkl"),
                        None)
            if data is None or data.file_size > MAX_PICKLE_BYTES:
                return None
            pickled = archive.read(data)
    except (zipfile.BadZipFile, OSError, KeyError):
        return None
    return _pickle_keys(io.BytesIO(pickled))


def _legacy_keys(stream: BinaryIO) -> frozenset[str] | None:
    """torch.save(..., _use_new_zipfile_serialization=False): a magic number, protocol and
    system-info pickle come before the object's own; the tensor data after it is never read."""
    import pickletools

    try:
        for _ in range(3):
            for _ in pickletools.genops(stream):
                pass
    except Exception:  # noqa: BLE001 - not a torch legacy file
        return None
    return _pickle_keys(stream)


def _pickle_keys(stream: BinaryIO) -> frozenset[str]:
    import pickletools  # 25 ms to import: only when a torch pickle is met

    keys: set[str] = set()
    pending: list[str] = []  # the last strings pushed: a STACK_GLOBAL takes two of them as module and name
    try:
        for opcode, arg, _ in pickletools.genops(stream):
            if opcode.name in ("SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE"):
                pending = [*pending[-1:], str(arg)]
                if _KEY.fullmatch(str(arg)):
                    keys.add(str(arg))
            elif opcode.name == "STACK_GLOBAL":
                keys.difference_update(pending)  # `torch._utils` names a module, not a tensor
                pending = []
            elif opcode.name not in ("MEMOIZE", "BINPUT", "LONG_BINPUT", "PUT"):
                pending = []
    except Exception:  # noqa: BLE001, S110 - a truncated pickle: keep what was read
        pass
    return frozenset(keys)


def fits(keys: frozenset[str], names: frozenset[str]) -> bool:
    """Whether a checkpoint with `keys` can restore into a class whose state-dict keys start with
    `names`: after removing a prefix every key shares (a wrapper's `module.`, `model.`, a
    `bert.`, as restore does), every key's first name is one of the class's."""
    current = set(keys)
    for _ in range(4):
        if not current:
            return False
        firsts = {k.split(".", 1)[0] for k in current}
        if firsts <= names:
            return True
        if len(firsts) != 1 or not all("." in k for k in current):
            return False
        current = {k.split(".", 1)[1] for k in current}
    return False
