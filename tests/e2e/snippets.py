"""Code blocks of the docs, found by the `<!-- e2e: NAME -->` comment just above them, so the
tests run exactly what the docs show."""

from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"
_BLOCK = re.compile(r"<!-- e2e: (?P<name>[\w.-]+) -->\s*\n```(?P<lang>\w*)\n(?P<body>.*?)\n```", re.DOTALL)


def snippets(doc: str) -> dict[str, str]:
    """Every marked code block of docs/<doc>, by name."""
    text = (DOCS / doc).read_text(encoding="utf-8")
    found: dict[str, str] = {}
    for match in _BLOCK.finditer(text):
        if match["name"] in found:
            raise ValueError(f"docs/{doc}: two blocks are marked e2e: {match['name']}")
        found[match["name"]] = match["body"] + "\n"
    return found


def snippet(doc: str, name: str) -> str:
    blocks = snippets(doc)
    if name not in blocks:
        raise KeyError(f"docs/{doc} has no code block marked <!-- e2e: {name} --> (has: {sorted(blocks)})")
    return blocks[name]
