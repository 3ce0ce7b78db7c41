"""Suite-wide: what the server remembers between sessions goes to a temporary folder."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_state_dir() -> Iterator[None]:
    # Servers started by the tests inherit this, so no test reads or writes the user's
    # remembered workspace trust.
    with tempfile.TemporaryDirectory(prefix="litert-lsp-state-") as folder:
        before = os.environ.get("LITERT_LSP_STATE_DIR")
        os.environ["LITERT_LSP_STATE_DIR"] = folder
        yield
        if before is None:
            os.environ.pop("LITERT_LSP_STATE_DIR", None)
        else:
            os.environ["LITERT_LSP_STATE_DIR"] = before
