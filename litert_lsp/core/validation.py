"""Strict checking of settings values, shared by pyproject.toml and the editor.

Every value is structured into its declared type by a cattrs converter whose primitive hooks
refuse to coerce: a TOML/JSON boolean is the only boolean (the string "false" is not
`False`, and certainly not `True`), a number is never a string, a shape is a list of positive
integers. A refused value becomes one sentence naming the key and what would be accepted; the
caller keeps its previous value, so one typo never disables the rest of the settings.
Unknown keys are reported with the closest known spelling.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

import cattrs

_TRUE_WORDS = ("true", "yes", "on", "1")
_FALSE_WORDS = ("false", "no", "off", "0", "")


class Refused(ValueError):
    """A value that does not have the declared type (the message says what was expected)."""


def _strict_bool(value: Any, _type: type) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE_WORDS + _FALSE_WORDS:
        word = "true" if value.strip().lower() in _TRUE_WORDS else "false"
        raise Refused(f"must be a boolean: write {word} without quotes (got the string {value!r})")
    raise Refused(f"must be true or false, not {value!r}")


def _strict_int(value: Any, _type: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refused(f"must be an integer, not {value!r}")
    return value


def _strict_float(value: Any, _type: type) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Refused(f"must be a number, not {value!r}")
    return float(value)


def _strict_str(value: Any, _type: type) -> str:
    if not isinstance(value, str):
        raise Refused(f"must be a string, not {value!r}")
    return value


def _converter() -> cattrs.Converter:
    converter = cattrs.Converter()
    converter.register_structure_hook(bool, _strict_bool)
    converter.register_structure_hook(int, _strict_int)
    converter.register_structure_hook(float, _strict_float)
    converter.register_structure_hook(str, _strict_str)
    return converter


CONVERTER = _converter()


def structure(value: Any, kind: Any) -> Any:
    """`value` as `kind` (e.g. `list[list[int]]`), or `Refused` with a sentence."""
    if kind in (list[str], tuple[str, ...]) and isinstance(value, str):
        raise Refused(f"must be a list of strings, like [{value!r}]")
    if getattr(kind, "__origin__", None) in (list, tuple) and not isinstance(value, (list, tuple)):
        raise Refused(f"must be a list, not {value!r}")
    if getattr(kind, "__origin__", None) is dict and not isinstance(value, Mapping):
        raise Refused(f"must be a table, not {value!r}")
    try:
        return CONVERTER.structure(value, kind)
    except Refused:
        raise
    except (cattrs.BaseValidationError, cattrs.StructureHandlerNotFoundError, TypeError, ValueError) as error:
        # cattrs groups the failures inside a container in an exception group: report the first.
        raise Refused(_first_reason(error) or f"has the wrong type ({value!r})") from None


def _first_reason(error: BaseException) -> str | None:
    if isinstance(error, Refused):
        return str(error)
    for inner in getattr(error, "exceptions", ()):
        reason = _first_reason(inner)
        if reason:
            return reason
    return None


def check(value: Any, kind: Any, key: str, problems: list[str]) -> Any:
    """`value` structured as `kind`, or None with a sentence about `key` in `problems`."""
    try:
        return structure(value, kind)
    except Refused as why:
        problems.append(f"`{key}` {why}; ignoring it")
        return None


def positive(value: float | None, key: str, problems: list[str]) -> float | None:
    if value is None:
        return None
    if not 0 < value < float("inf"):  # also refuses NaN
        problems.append(f"`{key}` must be a positive number, not {value!r}; ignoring it")
        return None
    return value


def shape(value: Any, key: str, problems: list[str]) -> list[int] | None:
    """A tensor shape: a list of positive integers (-1 for a dynamic size)."""
    sizes = check(value, list[int], key, problems)
    if sizes is None:
        return None
    if not sizes or any(size == 0 or size < -1 for size in sizes):
        problems.append(f"`{key}` must list positive sizes, like [1, 3, 224, 224], not {value!r}; ignoring it")
        return None
    return sizes


def unknown_keys(keys: Iterable[str], known: Iterable[str], where: str, problems: list[str]) -> None:
    """A sentence for each key not in `known`, with the closest known spelling."""
    known = sorted(set(known))
    for key in keys:
        if key in known:
            continue
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f"; did you mean `{where}{close[0].replace('_', '-')}`?" if close else f" (known: {', '.join(k.replace('_', '-') for k in known)})"
        problems.append(f"unknown setting `{where}{key.replace('_', '-')}`{hint}")


def unknown_codes(prefixes: Iterable[str], codes: Iterable[str], key: str, problems: list[str]) -> list[str]:
    """The prefixes that select at least one known code; a sentence for each other one."""
    codes = sorted(codes)
    kept = []
    for prefix in prefixes:
        if any(code.startswith(prefix) for code in codes):
            kept.append(prefix)
            continue
        close = difflib.get_close_matches(prefix, codes, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else ""
        problems.append(f"`{key}`: no diagnostic code starts with {prefix!r}{hint}")
    return kept
