"""The server survives what users and clients send, and keeps answering."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time

from lsprotocol import types

from tests.server.conftest import MODEL, codes, running_server

GENERATED_BLOCK = '''
class Block{n}(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        y = self.fc(x) * {n}
        return y.mean().item()

'''


async def answers(client, uri: str) -> None:
    """A request round trip completes within a few seconds."""
    await asyncio.wait_for(
        client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(0, 0))),
        10,
    )


async def test_five_megabyte_file(tmp_path):
    """A model with its weights pasted in as a 5 MB base64 string (a real way such files
    happen)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    row = "".join(alphabet[(i * 7) % 64] for i in range(76)) + "\n"
    payload = row * (5_000_000 // len(row) + 1)
    source = (MODEL + "\n" + "".join(GENERATED_BLOCK.format(n=i) for i in range(50))
              + 'WEIGHTS = """\n' + payload + '"""\n')
    assert len(source) > 5_000_000
    uri = (tmp_path / "huge.py").as_uri()
    small = (tmp_path / "small.py").as_uri()
    async with running_server(tmp_path) as client:
        client.open(uri, source)
        client.open(small, MODEL)
        # The small file is not stuck behind the huge one, and requests are answered.
        assert "LRT202" in codes(await client.diagnostics_for(small, version=1, timeout=30))
        await answers(client, uri)
        diagnostics = await client.diagnostics_for(uri, version=1, timeout=60)
        assert len([d for d in diagnostics if d.code == "LRT202"]) == 51
        lines = source.count("\n")
        assert all(0 <= d.range.start.line <= d.range.end.line <= lines for d in diagnostics)
        # An edit at the end is analyzed again and published with its version.
        client.change(uri, 2, "\nx = 1\n", start=(lines, 0))
        await client.diagnostics_for(uri, version=2, timeout=60)
        await answers(client, uri)


async def test_nul_bytes_invalid_utf8_and_odd_line_breaks(tmp_path):
    uri = (tmp_path / "odd.py").as_uri()
    texts = [
        "import torch\x00\nx = torch.zeros(1)\x00\n",
        "import torch\n# \udcff\udcfe lone surrogates from a bad decode\ny = '\ufffd'\n",
        "import torch\r\nclass A:\r\n    pass\x0c\u2028\u2029\x85\rz = (\n",
        "",
        "\n\n\n",
        "😀" * 1000 + "\n" + "def f(:\n",
    ]
    async with running_server(tmp_path) as client:
        client.open(uri, texts[0])
        await client.diagnostics_for(uri, version=1)
        for version, text in enumerate(texts[1:], start=2):
            client.change(uri, version, text)
            diagnostics = await client.diagnostics_for(uri, version=version)
            lines = len(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
            for d in diagnostics:
                assert 0 <= d.range.start.line <= d.range.end.line < lines
        await answers(client, uri)


async def test_non_python_documents_get_no_diagnostics(tmp_path):
    uri = (tmp_path / "notes.txt").as_uri()
    python = (tmp_path / "model.py").as_uri()
    async with running_server(tmp_path) as client:
        client.open(uri, MODEL, language="plaintext")
        client.open(python, MODEL)
        assert "LRT202" in codes(await client.diagnostics_for(python, version=1))
        assert not [d for p in client.published if p.uri == uri for d in p.diagnostics]
        hover = await client.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(10, 20))
        )
        assert hover is None


async def test_malformed_pyproject_warns_once_and_diagnostics_go_on(project):
    folder = project({"pyproject.toml": "[tool.litert-lsp\nselect = [", "model.py": MODEL})
    uri = (folder / "model.py").as_uri()
    async with running_server(folder) as client:
        client.open(uri, MODEL)
        assert "LRT202" in codes(await client.diagnostics_for(uri, version=1))
        client.open((folder / "other.py").as_uri(), MODEL)
        await client.diagnostics_for((folder / "other.py").as_uri(), version=1)
        warnings = [m for m in client.messages if m.type == types.MessageType.Warning]
        assert len(warnings) == 1 and "pyproject.toml" in warnings[0].message, client.messages
        assert any("pyproject.toml" in m.message for m in client.log_messages)


def test_garbage_on_stdin_does_not_kill_the_server(tmp_path):
    """Bad JSON, a bad header and an unknown method, then a real initialize."""

    def frame(body: bytes) -> bytes:
        return b"Content-Length: %d\r\n\r\n" % len(body) + body

    initialize = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                             "params": {"processId": None, "rootUri": None, "capabilities": {}}}).encode()
    unknown = json.dumps({"jsonrpc": "2.0", "id": 2, "method": "litert/nothing", "params": {}}).encode()
    payload = (frame(b"{not json") + b"X-Junk: 1\r\n\r\n" + frame(b"[]") + frame(initialize) + frame(unknown)
               + frame(json.dumps({"jsonrpc": "2.0", "id": 3, "method": "shutdown"}).encode())
               + frame(json.dumps({"jsonrpc": "2.0", "method": "exit"}).encode()))
    done = subprocess.run([sys.executable, "-m", "litert_lsp", "serve"], input=payload, capture_output=True, check=False,
                          timeout=60, cwd=tmp_path)
    assert b'"serverInfo"' in done.stdout
    assert b'"id": 2' in done.stdout and b'"error"' in done.stdout
    assert done.returncode == 0, done.stderr.decode()[-2000:]


def test_tcp_mode_and_bad_arguments(tmp_path):
    bad = subprocess.run([sys.executable, "-m", "litert_lsp", "serve", "--tcp", "nowhere"],
                         capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode == 2 and "HOST:PORT" in bad.stderr
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "litert_lsp", "serve", "--tcp", f"127.0.0.1:{port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                connection = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline, "the TCP server never listened"
                time.sleep(0.05)
        with connection:
            body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                               "params": {"processId": None, "rootUri": None, "capabilities": {}}}).encode()
            connection.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            received = b""
            while b'"serverInfo"' not in received:
                chunk = connection.recv(65536)
                assert chunk, "connection closed before the initialize result"
                received += chunk
            assert b"litert-lsp" in received
    finally:
        server.kill()
        server.wait(10)
