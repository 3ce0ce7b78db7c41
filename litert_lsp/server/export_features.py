"""Export features of the language server (commands, code lenses, code actions).

Placeholder: the export helper fills this module. The server calls `register(server)` once,
after its own features; see `litert_lsp.server` for the hooks available on `server`.
"""

from __future__ import annotations

from typing import Any


def register(server: Any) -> None:
    """Add the export features to `server` (nothing yet)."""
    return
