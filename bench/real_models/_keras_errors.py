"""Reading TensorFlow converter and runtime failures: the first informative line, the op that
failed, the Flex ops a model needs. No framework import: errors are read through their text and
the converter's structured records (`ConverterError.errors`), models through their bytes."""

from __future__ import annotations

import re
from typing import Any

MAX_ERROR_CHARS = 300

# MLIR diagnostics name an op as 'tf.Op' or "tfl.op"; the flatbuffer stores Flex kernels by name.
_OP_IN_TEXT = re.compile(r"""['"]((?:tf|tfl|mhlo|stablehlo)\.[A-Za-z_][A-Za-z0-9_]*)['"]""")
_FLEX_IN_MODEL = re.compile(rb"Flex[A-Z][A-Za-z0-9_]*")
_LOCATION = re.compile(r"^(?:<unknown>|loc\(.*?\)|[^:\s]+:\d+:\d+):\s*")


def first_line(error: BaseException | str) -> str:
    """The first line that says what went wrong: an MLIR `error:` line when there is one
    (the converter prefixes its message with boilerplate), else the first non-empty line."""
    text = str(error)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return type(error).__name__ if isinstance(error, BaseException) else ""
    chosen = next((line for line in lines if "error:" in line), lines[0])
    if "error:" in chosen:
        chosen = chosen.split("error:", 1)[1].strip()
    chosen = _LOCATION.sub("", chosen)
    return chosen[:MAX_ERROR_CHARS]


def _records(error: BaseException) -> list[Any]:
    return list(getattr(error, "errors", None) or [])


def _record_op(record: Any) -> str:
    operator = getattr(record, "operator", None)
    return str(getattr(operator, "name", "") or "")


def construct(error: BaseException) -> str | None:
    """The ops the converter could not handle, as TF names them ("tf.FFT2D"), from its
    structured records, else from the message; None when neither names one."""
    ops = unique(_record_op(r) for r in _records(error))
    if not ops:
        ops = unique(_OP_IN_TEXT.findall(str(error)))
    return ", ".join(ops[:5]) or None


def flex_ops_from_error(error: BaseException) -> list[str]:
    """Flex kernel names ("FlexFFT2D") for the ops a builtins-only conversion reported as
    needing Select TF ops."""
    ops = [_record_op(r) for r in _records(error) if "FLEX" in str(getattr(r, "error_code", ""))
           or "flex" in str(getattr(r, "error_message", "")).lower()]
    if not ops:
        ops = _OP_IN_TEXT.findall(str(error))
    return unique("Flex" + op.removeprefix("tf.") for op in ops if op.startswith("tf."))


def flex_ops(content: bytes) -> list[str]:
    """The Flex kernels a converted model calls (its custom op codes)."""
    return sorted({match.decode() for match in _FLEX_IN_MODEL.findall(content)})


def unique(items: Any) -> list[str]:
    seen: list[str] = []
    for item in items:
        if item and item not in seen:
            seen.append(item)
    return seen
