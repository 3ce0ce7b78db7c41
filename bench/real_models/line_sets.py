"""Line sets as the truth files store them: `"1-3,5,7-8"` (runs of consecutive lines only).

One encoder and one decoder for every suite (the PyTorch and Keras truth children write the
text, the scorer reads it), so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable


def encode(lines: Iterable[int]) -> str:
    """[1, 2, 3, 5, 7, 8] -> "1-3,5,7-8": a range never claims a line that was not in the set."""
    parts: list[str] = []
    start = previous = None
    for line in sorted(set(lines)):
        if previous is not None and line == previous + 1:
            previous = line
            continue
        if start is not None:
            parts.append(str(start) if start == previous else f"{start}-{previous}")
        start = previous = line
    if start is not None:
        parts.append(str(start) if start == previous else f"{start}-{previous}")
    return ",".join(parts)


def decode(text: str) -> set[int]:
    """"1-5,7" -> {1, 2, 3, 4, 5, 7}; the inverse of `encode` (blank parts are ignored)."""
    lines: set[int] = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        first, _, last = part.partition("-")
        lines.update(range(int(first), int(last or first) + 1))
    return lines
