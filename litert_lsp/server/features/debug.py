"""Introspection commands for tests and bug reports (not shown in any editor menu)."""

from __future__ import annotations

import os
import sys
from typing import Any

# Imported at run time: pygls reads command handlers' annotations with get_type_hints.
from litert_lsp.server.app import Feature, LitertServer

MODULES_COMMAND = "litert.debug.modules"


def _register(server: LitertServer) -> None:
    @server.command(MODULES_COMMAND)
    def loaded_modules(ls: LitertServer, *arguments: Any) -> dict[str, Any]:
        """The modules imported by this server process (the no-framework rule is checked
        against this) and the process id."""
        return {"pid": os.getpid(), "modules": sorted(sys.modules)}


class DebugFeature(Feature):
    """Introspection commands for tests and bug reports."""

    def register(self) -> None:
        _register(self.server)
