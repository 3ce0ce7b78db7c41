"""Randomized incremental edits (hypothesis): the server keeps answering and every published
range lies inside the document as the editor sees it."""

from __future__ import annotations

import asyncio
import re
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsprotocol import types

from tests.server.conftest import running_server

LINE_END = re.compile(r"\r\n|\r|\n")
PIECES = [
    "import torch\n", "from torch import nn\n", "class M(nn.Module):\n", "    def forward(self, x):\n",
    "        return x.mean().item()\n", "        if x.sum() > 0:\n", "torch.unique(x)", "x[x > 0]",
    "(", ")", "[", "]", "{", ":", "\n", "\r\n", "\r", "    ", "\t", "'''", '"', "#", "\\", "é", "😀", "\u2028",
    "\x0c", "\x00", "\ufffd", "\udcff", "# litert: ignore[LRT202]", "def", " ", "x",
]
texts = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=3)), max_size=12).map("".join)


def lines_of(text: str) -> list[str]:
    return LINE_END.split(text)


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def offset(text: str, line: int, column: int) -> int:
    """Offset of (line, code-point column) in `text` with the protocol's line ends."""
    starts = [0] + [m.end() for m in LINE_END.finditer(text)]
    return starts[line] + column


class Session:
    """One server for the whole test, driven from hypothesis' synchronous examples."""

    def __init__(self, folder: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self._context = running_server(folder)
        self.client = self.run(self._context.__aenter__())

    def run(self, coroutine, timeout: float = 60):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        try:
            self.run(self._context.__aexit__(None, None, None))
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    session = Session(tmp_path_factory.mktemp("random-edits"))
    yield session
    session.close()


counter = iter(range(1_000_000))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(initial=texts, data=st.data())
def test_arbitrary_incremental_edits(session, initial, data):
    client = session.client
    uri = f"file:///random/doc{next(counter)}.py"
    text = initial
    edits = []
    for _ in range(data.draw(st.integers(1, 8))):
        lines = lines_of(text)
        start_line = data.draw(st.integers(0, len(lines) - 1))
        end_line = data.draw(st.integers(start_line, len(lines) - 1))
        start_col = data.draw(st.integers(0, len(lines[start_line])))
        end_col = data.draw(st.integers(0 if end_line > start_line else start_col, len(lines[end_line])))
        new = data.draw(texts)
        begin, finish = offset(text, start_line, start_col), offset(text, end_line, end_col)
        edits.append(((start_line, utf16(lines[start_line][:start_col])),
                      (end_line, utf16(lines[end_line][:end_col])), new))
        text = text[:begin] + new + text[finish:]

    async def scenario():
        client.open(uri, initial)
        for version, (start, end, new) in enumerate(edits, start=2):
            client.change(uri, version, new, start=start, end=end)
        final = await client.diagnostics_for(uri, version=len(edits) + 1, timeout=30)
        hover = await asyncio.wait_for(client.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(0, 0))), 10)
        client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))
        return final, hover

    final, hover = session.run(scenario())
    assert hover is None or hover.contents
    lines = lines_of(text)
    for diagnostic in final:
        start, end = diagnostic.range.start, diagnostic.range.end
        assert 0 <= start.line <= end.line < len(lines), (diagnostic, text)
        assert (start.line, start.character) <= (end.line, end.character), diagnostic
        assert start.character <= utf16(lines[start.line]), (diagnostic, text)
        assert end.character <= utf16(lines[end.line]), (diagnostic, text)
