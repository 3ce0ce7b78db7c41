"""The background conversion check through the real server, worker and converter: a save in
a trusted workspace turns a converter failure into LRT901 on the right line with no command;
the finding follows a line inserted above it and is dropped when its own line is edited; a
fixed, saved file clears it."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from lsprotocol import types

from tests.export.models_src import TINY
from tests.server.conftest import running_server

pytest.importorskip("torch")
pytest.importorskip("litert_torch")
pytestmark = pytest.mark.slow

SVD_LINE = next(i for i, text in enumerate(TINY.splitlines()) if "svdvals" in text)  # 0-based
FIXED = TINY.replace("torch.linalg.svdvals(y)", "torch.tanh(y)")


def _save(client, uri: str) -> None:
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))


async def test_a_save_checks_in_the_background_and_findings_follow_edits(tmp_path: Path) -> None:
    source = tmp_path / "models.py"
    source.write_text(TINY)
    uri = source.as_uri()
    async with running_server(tmp_path, initialization_options={"trusted": True}) as client:
        client.open(uri, TINY)
        await client.diagnostics_for(uri)

        def lrt901():
            return [d for d in client.diagnostics.get(uri, []) if d.code == "LRT901"]

        _save(client, uri)
        found = await client.until(lrt901, timeout=400)
        assert [d.range.start.line for d in found] == [SVD_LINE]
        # The converter's truth has a source of its own beside static analysis's "litert".
        assert [d.source for d in found] == ["litert-convert"]
        assert not list(tmp_path.glob("*.tflite")), "a background check never writes a file"

        # A line inserted above: the finding moves with its line (no new check: not saved).
        client.change(uri, 2, "import os\n", start=(0, 0), end=(0, 0))
        await client.until(lambda: [d.range.start.line for d in lrt901()] == [SVD_LINE + 1])
        # Its own line edited: dropped.
        client.change(uri, 3, "#", start=(SVD_LINE + 1, 0), end=(SVD_LINE + 1, 0))
        await client.until(lambda: not lrt901() and client.published and client.published[-1].version == 3)

        def said(*parts: str):
            return [m.message for m in client.log_messages if all(part in m.message for part in parts)]

        # Fixed and saved: the check passes (and clears what the failure left).
        source.write_text(FIXED)
        client.change(uri, 4, FIXED)
        started = time.monotonic()
        _save(client, uri)
        await client.until(lambda: said("background check of models.py", "SvdNet: ok"), timeout=300)
        print(f"warm-worker check of the fixed file: {time.monotonic() - started:.1f} s")
        assert not lrt901()

        # The failing text again: its verdict comes from the cache, on the right line.
        source.write_text(TINY)
        client.change(uri, 5, TINY)
        _save(client, uri)
        found = await client.until(lrt901, timeout=30)
        assert [d.range.start.line for d in found] == [SVD_LINE]
        assert said("background check of models.py", "cached")

        # A new text saved, then changed at once: the check is cancelled and shows nothing.
        changed = TINY + "\n# another version\n"
        source.write_text(changed)
        client.change(uri, 6, changed)
        _save(client, uri)
        client.change(uri, 7, "# edited\n", start=(0, 0), end=(0, 0))
        await client.until(lambda: said("cancelled by a change"), timeout=60)
        await asyncio.sleep(1.0)
        assert not lrt901()  # the whole-text change dropped the old one; the cancelled check adds none
        assert not list(tmp_path.glob("*.tflite"))
