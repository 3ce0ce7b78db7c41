"""A `$/cancelRequest` for a request that is already answered is normal traffic (VS Code cancels
hovers, code lenses and code actions it no longer needs, often after the answer left): the
server says nothing about it, neither on stderr (which VS Code copies into the output channel)
nor as window/logMessage. A real server over raw pipes."""

from __future__ import annotations

from pathlib import Path

from tests.server.raw_client import RawServer, frame, initialize, notification, request


def test_cancelling_an_answered_request_is_silent(tmp_path: Path) -> None:
    server = RawServer(tmp_path)
    try:
        server.send(frame(initialize(0, root=tmp_path)))
        server.wait_for({0})
        server.send(frame(notification("initialized", {})))
        # Id 1 is answered before its cancel arrives; 12345 was never sent at all.
        server.send(frame(request(1, "workspace/executeCommand", {"command": "litert.debug.modules"})))
        server.wait_for({1})
        for msg_id in (1, 12345, "gone"):
            server.send(frame(notification("$/cancelRequest", {"id": msg_id})))
        server.send(frame(request(2, "shutdown")))
        server.wait_for({2})
        server.send(frame(notification("exit")))
        assert server.exit_code() == 0
    finally:
        server.close()
    stderr = server.stderr.decode(errors="replace")
    assert "Cancel notification" not in stderr and "unknown message id" not in stderr, stderr
    logged = [m["params"]["message"] for m in server.messages if m.get("method") == "window/logMessage"]
    assert not [m for m in logged if "cancel" in m.lower()], logged
