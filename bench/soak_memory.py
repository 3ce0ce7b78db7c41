"""Memory soak: the RSS of `litert-lsp serve` over 20,000 edits, next to `ruff server`.

Both servers get the same model file and the same raw-pipe client, which sends one-character
edits (an insert, then its delete, so the document keeps its size) as fast as the server
reads them, with a round-trip request every `--every` edits (an unknown method: both answer
it with an error) so that the server has caught up before its RSS is read from /proc. Growth
is measured after a warm-up (the first checkpoint), in KB per edit; then the document is
closed and the RSS read once more.

    python bench/soak_memory.py [--edits 20000] [--every 2000] [--server litert|ruff|both]

Linux only (reads /proc/<pid>/status).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUFF = ROOT / ".venv" / "bin" / "ruff"
SERVERS = {
    "litert-lsp": [sys.executable, "-m", "litert_lsp", "serve"],
    "ruff server": [str(RUFF), "server"],
}
MODEL = (ROOT / "examples" / "tinynet.py")


class Pipe:
    """Just enough of an LSP client: framed writes, a reader thread that keeps responses."""

    def __init__(self, command: list[str], cwd: Path) -> None:
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, cwd=cwd)
        self.answered: set[Any] = set()
        self.lock = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = 0
            while True:
                line = stream.readline()
                if not line:
                    return
                if not line.strip():
                    break
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            message = json.loads(stream.read(length))
            if "id" in message and "method" not in message:
                with self.lock:
                    self.answered.add(message["id"])
                    self.lock.notify_all()
            elif "id" in message:  # a request from the server (configuration, registration)
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def call(self, msg_id: Any, method: str, params: Any = None, timeout: float = 300) -> None:
        self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        assert self.process.stdin is not None
        self.process.stdin.flush()
        with self.lock:
            if not self.lock.wait_for(lambda: msg_id in self.answered, timeout):
                raise RuntimeError(f"no answer to {method} within {timeout} s")

    def rss_kb(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def stop(self) -> None:
        try:
            self.call("shutdown", "shutdown", timeout=30)
            self.send({"jsonrpc": "2.0", "method": "exit"})
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait(30)
        except (OSError, RuntimeError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait(10)


def soak(name: str, edits: int, every: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        path = root / "model.py"
        text = MODEL.read_text()
        path.write_text(text)
        uri = path.as_uri()
        pipe = Pipe(SERVERS[name], root)
        try:
            pipe.call(0, "initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {},
                                        "workspaceFolders": [{"uri": root.as_uri(), "name": "soak"}]}, timeout=60)
            pipe.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
            pipe.send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
                "uri": uri, "languageId": "python", "version": 1, "text": text}}})
            pipe.call("sync-0", "litert/sync", {})
            samples = [(0, pipe.rss_kb())]
            start = time.monotonic()
            for edit in range(1, edits + 1):
                insert = edit % 2 == 1
                at = {"line": 0, "character": 0}
                change = ({"range": {"start": at, "end": at}, "text": "#"} if insert else
                          {"range": {"start": at, "end": {"line": 0, "character": 1}}, "text": ""})
                pipe.send({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                    "textDocument": {"uri": uri, "version": edit + 1}, "contentChanges": [change]}})
                if edit % every == 0:
                    pipe.call(f"sync-{edit}", "litert/sync", {})
                    samples.append((edit, pipe.rss_kb()))
            seconds = time.monotonic() - start
            pipe.send({"jsonrpc": "2.0", "method": "textDocument/didClose",
                       "params": {"textDocument": {"uri": uri}}})
            pipe.call("sync-closed", "litert/sync", {})
            time.sleep(0.5)
            closed = pipe.rss_kb()
        finally:
            pipe.stop()
    warm_edit, warm_rss = samples[1] if len(samples) > 2 else samples[0]
    last_edit, last_rss = samples[-1]
    per_edit = (last_rss - warm_rss) / max(1, last_edit - warm_edit)
    return {"server": name, "samples": samples, "closed": closed, "kb_per_edit": per_edit, "seconds": seconds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=20_000)
    parser.add_argument("--every", type=int, default=2_000)
    parser.add_argument("--server", choices=("litert", "ruff", "both"), default="both")
    args = parser.parse_args()
    names = {"litert": ["litert-lsp"], "ruff": ["ruff server"], "both": list(SERVERS)}[args.server]
    results = [soak(name, args.edits, args.every) for name in names]
    edits_header = "".join(f"{edit:>9}" for edit, _ in results[0]["samples"])
    print(f"RSS in MB after N edits (one-character edits to {MODEL.name}):")
    print(f"{'edits':<13}{edits_header}   closed")
    for result in results:
        row = "".join(f"{rss / 1024:>9.1f}" for _, rss in result["samples"])
        print(f"{result['server']:<13}{row} {result['closed'] / 1024:>8.1f}")
    for result in results:
        print(f"{result['server']}: {result['kb_per_edit']:+.3f} KB/edit after warm-up "
              f"({args.edits} edits in {result['seconds']:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
