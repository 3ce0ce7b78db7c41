"""Read a toolchain error: its first informative line and the construct it names.

Framework-free (text in, text out) so the parent process and fast tests can use it. The
construct is named the way the converter names it (`aten.histc`, `tfl.mul`,
`STABLEHLO_SORT`); the overload suffix (`.default`, `.Tensor`) is dropped because a source
line calls the op, not an overload.
"""

from __future__ import annotations

import re

MAX_LINE = 300

# Most specific first: the first pattern that matches a line names the construct.
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"Lowering not found: (aten\.[A-Za-z0-9_]+)"), "{0}"),
    (re.compile(r"failed to legalize operation '([A-Za-z0-9_.]+)'"), "{0}"),
    (re.compile(r"Didn't find op for builtin opcode '([A-Za-z0-9_]+)'"), "{0}"),
    (re.compile(r"'((?:tfl|stablehlo|mhlo|chlo|tf|vhlo)\.[A-Za-z0-9_]+)' op"), "{0}"),
    # Complex tensors (FFTs, torch.polar, ...) have no LiteRT type: the dtype is what failed,
    # whichever aten op happened to carry it.
    (re.compile(r"\b(complex64|complex128)\b|complex<f"), "torch.complex64"),
    (re.compile(r"\baten::([A-Za-z0-9_]+)"), "aten.{0}"),
    (re.compile(r"\b(aten\.[A-Za-z0-9_]+)"), "{0}"),
]
# `torch.<name>` in an error is mostly the toolchain's own (torch.export, torch.Size, dtypes):
# it is not taken for the construct.

# Lines that say nothing about the failure.
_NOISE = re.compile(r"^\s*(Traceback|During handling|The above exception|File \"|\^+\s*$|$|While executing|"
                    r"Original traceback|Use tlparse|Set TORCH_LOGS|To execute this test|For more information)")


_GRAPH = re.compile(r"(^%?\w+\s*=\s*torch\.ops\.|call_function\[|^graph\(|^#)")
_QUOTED_EXCEPTION = re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception): \S")


def construct_of(text: str) -> str | None:
    """The op or function the error names, or None."""
    for pattern, template in _PATTERNS:
        for line in text.splitlines():
            match = pattern.search(line)
            if match:
                name = template.format(match.group(1) or "")
                return _without_overload(name)
    return None


def first_informative_line(kind: str, message: str) -> str:
    """`Kind: line`. The line, best first: an MLIR `error:` line; a line quoting an exception
    (`ValueError: ...`); a line naming a construct; the first line. FX graph lines
    (`x = torch.ops.aten...`) only name the node and come last."""
    lines = [line.strip() for line in message.splitlines() if not _NOISE.match(line)]
    prose = [line for line in lines if not _GRAPH.search(line)]
    chosen = (next((line for line in prose if "error:" in line), None)
              or next((line for line in prose if _QUOTED_EXCEPTION.search(line)), None)
              or next((line for line in prose if any(p.search(line) for p, _ in _PATTERNS)), None)
              or next(iter(prose), None)
              or next(iter(lines), ""))
    if not chosen:
        return kind
    text = chosen if chosen.startswith(f"{kind}: ") else f"{kind}: {chosen}"
    return relative_paths(text)[:MAX_LINE]


def _without_overload(name: str) -> str:
    # aten.histc.default -> aten.histc (the pattern stops at the op; this covers `aten::x.out`).
    parts = name.split(".")
    if parts[0] == "aten" and len(parts) > 2:
        return ".".join(parts[:2])
    return name


_SITE = re.compile(r"(?:[^\s'\"(]*[/\\])?(?:site|dist)-packages[/\\]")


def relative_paths(text: str) -> str:
    """Library paths as the truth file names them (relative to site-packages): the same on
    every machine, and the error line keeps room for the error itself."""
    return _SITE.sub("", text)
