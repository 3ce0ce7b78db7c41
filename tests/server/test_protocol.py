"""The protocol layer answers every request and never goes deaf: malformed params, requests
before `initialize` and after `shutdown`, broken framing, a dead editor, and no per-edit
bookkeeping left behind. Real `litert-lsp serve` processes over raw pipes (so the bytes can
be wrong), plus the real server object in-process for the memory check."""

from __future__ import annotations

import asyncio
import io
import json
import random
import subprocess
import sys
import time
from typing import Any

import pytest
from pygls.io_ import StdoutWriter

from tests.server.conftest import MODEL
from tests.server.raw_client import RawServer, frame, initialize, notification, request

INVALID_PARAMS, INVALID_REQUEST, NOT_INITIALIZED = -32602, -32600, -32002

BAD_NUMBERS: list[Any] = [-1, -(2**40), "3", None, 1.5, 2**40, {}, [], True]
BAD_OBJECTS: list[Any] = [None, "x", 5, [], {"uri": 5}, {}]


def malformed_params(rng: random.Random, uri: str) -> tuple[str, Any]:
    """A request method with params that do not structure (or barely do)."""
    position = {"line": rng.choice(BAD_NUMBERS + [0]), "character": rng.choice(BAD_NUMBERS + [0])}
    document = rng.choice([{"uri": uri}] * 3 + BAD_OBJECTS)
    window = {"start": position, "end": rng.choice([position, None, "x"])}
    choices: list[tuple[str, Any]] = [
        ("textDocument/hover", {"textDocument": document, "position": position}),
        ("textDocument/hover", rng.choice(BAD_OBJECTS)),
        ("textDocument/codeLens", {"textDocument": document}),
        ("textDocument/codeLens", rng.choice(BAD_OBJECTS)),
        ("textDocument/codeAction", {"textDocument": document, "range": window,
                                     "context": rng.choice([{"diagnostics": []}, None, {"diagnostics": 3}])}),
        ("textDocument/diagnostic", {"textDocument": document}),
        ("textDocument/diagnostic", rng.choice(BAD_OBJECTS)),
        ("workspace/executeCommand", {"command": rng.choice([None, 5, "litert.nothing", "litert.debug.modules"]),
                                      "arguments": rng.choice([None, "x", [None], [{"uri": 3}]])}),
        ("workspace/executeCommand", rng.choice(BAD_OBJECTS)),
    ]
    return rng.choice(choices)


def test_fuzzed_malformed_params_all_get_a_response(tmp_path):
    uri = (tmp_path / "model.py").as_uri()
    server = RawServer(tmp_path)
    try:
        server.send(frame(initialize(0, root=tmp_path)) + frame(notification("initialized", {})))
        server.wait_for({0}, timeout=30)
        server.send(frame(notification("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1, "text": MODEL}})))
        rng = random.Random(20261201)
        sent: dict[int, str] = {}
        for msg_id in range(1, 401):
            method, params = malformed_params(rng, uri)
            message = {"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}
            if rng.random() < 0.1:
                del message["params"]
            sent[msg_id] = method
            server.send(frame(message))
            if rng.random() < 0.2:  # notifications with bad params must not break anything either
                server.send(frame(notification("textDocument/didChange", {
                    "textDocument": rng.choice(BAD_OBJECTS + [{"uri": uri, "version": "2"}]),
                    "contentChanges": [{"range": {"start": rng.choice(BAD_NUMBERS), "end": None}, "text": 1}]})))
        answered = server.wait_for(set(sent), timeout=60)
        invalid = [i for i, m in answered.items() if m.get("error", {}).get("code") == INVALID_PARAMS]
        print(f"fuzz: {len(sent)} malformed requests, {len(answered)} answered, {len(invalid)} with -32602")
        assert len(invalid) > len(sent) // 2  # most do not structure, and say so
        # Still fully working: a real hover on the open document, then a clean exit.
        server.send(frame(request(1000, "textDocument/hover", {"textDocument": {"uri": uri},
                                                                 "position": {"line": 0, "character": 0}})))
        assert "error" not in server.wait_for({1000})[1000]
        server.send(frame(request(1001, "shutdown")) + frame(notification("exit")))
        server.wait_for({1001})
        assert server.exit_code() == 0
    finally:
        server.close()


def test_null_and_missing_params_are_invalid_params(tmp_path):
    server = RawServer(tmp_path)
    try:
        server.send(frame(initialize(0)) + frame(notification("initialized", {})))
        server.wait_for({0}, timeout=30)
        server.send(frame({"jsonrpc": "2.0", "id": 1, "method": "textDocument/hover", "params": None})
                    + frame(request(2, "textDocument/hover", {"textDocument": {"uri": "file:///a.py"},
                                                               "position": {"line": -1, "character": "x"}}))
                    + frame(request(3, "textDocument/codeLens")))
        answered = server.wait_for({1, 2, 3})
        assert [answered[i]["error"]["code"] for i in (1, 2, 3)] == [INVALID_PARAMS] * 3
    finally:
        server.close()


def test_requests_before_initialize_are_refused(tmp_path):
    server = RawServer(tmp_path)
    try:
        server.send(frame(request(1, "textDocument/hover", {"textDocument": {"uri": "file:///a.py"},
                                                             "position": {"line": 0, "character": 0}}))
                    + frame(request(2, "shutdown")) + frame(notification("textDocument/didOpen", {}))
                    + frame(initialize(3)))
        answered = server.wait_for({1, 2, 3}, timeout=30)
        assert answered[1]["error"]["code"] == NOT_INITIALIZED
        assert answered[2]["error"]["code"] == NOT_INITIALIZED
        assert "capabilities" in answered[3]["result"]
    finally:
        server.close()


def test_requests_after_shutdown_get_invalid_request(tmp_path):
    server = RawServer(tmp_path)
    try:
        server.send(frame(initialize(0)) + frame(notification("initialized", {})) + frame(request(1, "shutdown")))
        server.wait_for({0, 1}, timeout=30)
        server.send(frame(request(2, "textDocument/hover", {"textDocument": {"uri": "file:///a.py"},
                                                             "position": {"line": 0, "character": 0}}))
                    + frame(request(3, "shutdown")) + frame(request("four", "litert/nothing")))
        answered = server.wait_for({2, 3, "four"})
        assert {i: m["error"]["code"] for i, m in answered.items()} == dict.fromkeys((2, 3, "four"), INVALID_REQUEST)
        server.send(frame(notification("exit")))
        assert server.exit_code() == 0
    finally:
        server.close()


def test_not_json_rpc_requests_get_invalid_request(tmp_path):
    server = RawServer(tmp_path)
    try:
        server.send(frame(initialize(0)) + frame({"jsonrpc": "1.0", "id": 1, "method": "shutdown"})
                    + frame({"id": 2, "method": "shutdown"}))
        answered = server.wait_for({0, 1, 2}, timeout=30)
        assert answered[1]["error"]["code"] == answered[2]["error"]["code"] == INVALID_REQUEST
    finally:
        server.close()


HOVER = request(1, "textDocument/hover", {"textDocument": {"uri": "file:///tmp/é.py"},
                                          "position": {"line": 0, "character": 0},
                                          "workDoneToken": "ünïcödé ✓ " * 5})
HOVER_BODY = json.dumps(HOVER, ensure_ascii=False).encode()
BROKEN_FRAMES = {
    # A client counting characters instead of UTF-8 bytes: too short.
    "characters": frame(HOVER_BODY, length=len(HOVER_BODY.decode())),
    "too long": frame(HOVER_BODY, length=len(HOVER_BODY) + 40),
    "far too long": frame(HOVER_BODY, length=10**9),
    "not a number": frame(HOVER_BODY, header=b"Content-Length: twelve\r\n"),
    "negative": frame(HOVER_BODY, header=b"Content-Length: -5\r\n"),
    "missing": frame(HOVER_BODY, header=b"Content-Type: application/vscode-jsonrpc\r\n"),
    "junk before": b"this is not a header\r\n\x00\xff garbage {\"id\": 7}" + frame(HOVER_BODY),
}
# Bodies that are not JSON at all cannot be recovered, only skipped.
UNRECOVERABLE = {
    "too long, junk body": frame(b"not json at all", length=500),
    "short, junk body": frame(b"not json at all" * 5, length=3),
}


@pytest.mark.parametrize("name", list(BROKEN_FRAMES))
def test_broken_framing_is_recovered_and_exit_is_heard(tmp_path, name):
    server = RawServer(tmp_path)
    try:
        server.send(frame(initialize(0)) + frame(notification("initialized", {})))
        server.wait_for({0}, timeout=30)
        server.send(BROKEN_FRAMES[name])
        server.send(frame(request(2, "shutdown")))
        answered = server.wait_for({1, 2}, timeout=15)
        assert "error" not in answered[1], answered[1]
        server.send(frame(notification("exit")))
        assert server.exit_code() == 0, server.stderr.decode()[-2000:]
    finally:
        server.close()


@pytest.mark.parametrize("name", list(UNRECOVERABLE))
def test_unreadable_message_is_skipped_and_exit_is_heard(tmp_path, name):
    server = RawServer(tmp_path)
    try:
        server.send(frame(initialize(0)) + UNRECOVERABLE[name] + frame(request(2, "shutdown")))
        server.wait_for({0, 2}, timeout=30)
        server.send(frame(notification("exit")))
        assert server.exit_code() == 0
        server.close()
        assert b"skipping" in server.stderr  # said, not silent
    finally:
        server.close()


def test_exit_right_after_a_too_long_content_length(tmp_path):
    """The worst case for a reader that trusts Content-Length: the exit notification itself
    lands inside the declared body."""
    server = RawServer(tmp_path)
    try:
        server.send(frame(initialize(0)))
        server.wait_for({0}, timeout=30)
        server.send(frame(HOVER_BODY, length=len(HOVER_BODY) + 10_000) + frame(notification("exit")))
        assert server.exit_code() == 1  # exit without shutdown: heard, with LSP's code 1
    finally:
        server.close()


def test_server_exits_when_the_editor_process_dies(tmp_path):
    editor = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    server = RawServer(tmp_path)
    try:
        server.send(frame(initialize(0, process_id=editor.pid)) + frame(notification("initialized", {})))
        server.wait_for({0}, timeout=30)
        time.sleep(1.5)
        assert server.process.poll() is None, "the server stopped while the editor was alive"
        editor.kill()
        editor.wait(10)
        assert server.exit_code(timeout=10) == 1
        server.close()
        assert b"has exited; stopping" in server.stderr
    finally:
        editor.kill()
        editor.wait(10)
        server.close()


def test_edits_leave_no_bookkeeping_behind(tmp_path):
    """pygls kept a future for every did-change call (memory grew with each edit); the real
    server object, fed messages the way the transport does, keeps none."""
    from litert_lsp.server import create_server

    server = create_server()
    server.protocol.set_writer(StdoutWriter(io.BytesIO()))
    uri = (tmp_path / "model.py").as_uri()
    protocol = server.protocol

    async def edit() -> int:
        protocol.handle_raw(initialize(0, root=tmp_path))
        protocol.handle_raw(notification("initialized", {}))
        protocol.handle_raw(notification("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1, "text": MODEL}}))
        await asyncio.sleep(0.1)
        before = len(protocol._request_futures)
        for version in range(2, 2002):
            protocol.handle_raw(notification("textDocument/didChange", {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"range": {"start": {"line": 0, "character": 0},
                                              "end": {"line": 0, "character": 0}}, "text": "#"}]}))
            if version % 100 == 0:
                await asyncio.sleep(0)
        await asyncio.sleep(0.1)
        assert server.open_document(uri).source.startswith("#" * 2000)
        return len(protocol._request_futures) - before

    try:
        assert asyncio.run(edit()) <= 0
    finally:
        server.shutdown()

