"""`$/cancelRequest` for an export command stops the job itself, not only its response: the
worker is killed, no file is written and the user is told it was cancelled (a real export)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.export.models_src import TINY
from tests.server.conftest import running_server

pytest.importorskip("torch")
pytest.importorskip("litert_torch")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the worker in /proc")]


@pytest.mark.parametrize("command", ["litert.export", "litert.checkConversion"])
async def test_cancel_request_stops_the_export_job(tmp_path: Path, command: str) -> None:
    (tmp_path / "tiny.py").write_text(TINY)
    uri = (tmp_path / "tiny.py").as_uri()
    async with running_server(tmp_path) as client:
        client.open(uri, TINY)
        request_id = f"export-{command}"
        # pytest-lsp's send_request_async is a coroutine: start it, with an id of our own.
        response = asyncio.ensure_future(client.protocol.send_request_async(
            types.WORKSPACE_EXECUTE_COMMAND,
            types.ExecuteCommandParams(command=command, arguments=[{"uri": uri, "model": "TinyNet"}]),
            msg_id=request_id,
        ))

        def started():  # the worker has reported a stage: the job is really running
            return next((v for v in client.progress_reports.values()
                         if len(v) > 1 and "TinyNet" in getattr(v[0], "title", "")), None)

        await client.until(started, timeout=120)
        cancelled_at = time.monotonic()
        client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=request_id))
        with pytest.raises(JsonRpcException) as refused:
            await asyncio.wait_for(response, 10)
        assert refused.value.code == -32800

        def told():
            return [m for m in client.messages if "was cancelled" in m.message]

        assert await client.until(told, timeout=30)
        assert time.monotonic() - cancelled_at < 30
        assert not workers_of(client._server.pid), "the worker still runs the cancelled job"
        # Longer than the whole export takes uncancelled: nothing may appear afterwards.
        await asyncio.sleep(20)
        assert not list(tmp_path.glob("*.tflite")) and not list(tmp_path.glob(".*.partial"))
        assert not [m for m in client.messages if "exported" in m.message or "converts and verifies" in m.message]


def workers_of(server_pid: int) -> list[int]:
    """Live export workers started by the server process (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        state, parent = fields[0], int(fields[1])
        if parent == server_pid and state != "Z" and b"litert_lsp.worker" in cmdline:
            found.append(int(stat.parent.name))
    return found
