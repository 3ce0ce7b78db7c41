"""A raw-pipe LSP client: writes exactly the bytes a test gives it (framing errors included) to
a real `litert-lsp serve` and collects what the server answers."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

SERVE = [sys.executable, "-m", "litert_lsp", "serve", "--log-level", "info"]


def frame(message: Any, length: int | None = None, header: bytes | None = None) -> bytes:
    """A message with a correct Content-Length, or the given (wrong) length or header."""
    body = message if isinstance(message, bytes) else json.dumps(message, ensure_ascii=False).encode()
    if header is None:
        header = b"Content-Length: %d\r\n" % (len(body) if length is None else length)
    return header + b"\r\n" + body


def request(msg_id: Any, method: str, params: Any = None) -> dict[str, Any]:
    message = {"jsonrpc": "2.0", "id": msg_id, "method": method}
    if params is not None:
        message["params"] = params
    return message


def notification(method: str, params: Any = None) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        message["params"] = params
    return message


def initialize(msg_id: Any = 0, process_id: int | None = None, root: Path | None = None) -> dict[str, Any]:
    return request(msg_id, "initialize", {"processId": process_id, "rootUri": root.as_uri() if root else None,
                                          "capabilities": {}})


class RawServer:
    def __init__(self, cwd: Path) -> None:
        self.process = subprocess.Popen(SERVE, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, cwd=cwd)
        self.messages: list[dict[str, Any]] = []
        self._arrived = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.stderr = b""
        self._stderr_reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._stderr_reader.start()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            assert length is not None, "the server sent a message without Content-Length"
            message = json.loads(stream.read(length))
            with self._arrived:
                self.messages.append(message)
                self._arrived.notify_all()

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr += line

    def send(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def responses(self) -> dict[Any, dict[str, Any]]:
        with self._arrived:
            return {m["id"]: m for m in self.messages if "id" in m and "method" not in m}

    def wait_for(self, ids: set[Any], timeout: float = 20.0) -> dict[Any, dict[str, Any]]:
        """The responses to `ids` (raises when some never come)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                answered = {m["id"]: m for m in self.messages if m.get("id") in ids and "method" not in m}
                if set(answered) == ids:
                    return answered
                left = deadline - time.monotonic()
                if left <= 0 or (self.process.poll() is not None and not self._reader.is_alive()):
                    missing = sorted(map(str, ids - set(answered)))
                    raise AssertionError(f"{len(missing)} requests without a response: {missing[:20]}")
                self._arrived.wait(min(left, 0.1))

    def exit_code(self, timeout: float = 10.0) -> int:
        return self.process.wait(timeout)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        self._stderr_reader.join(10)  # all of the log is in self.stderr
