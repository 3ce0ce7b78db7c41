"""The stdio transport: one reader thread feeding the event loop.

pygls reads stdin through its handler thread pool, one `readline` per hop, and cannot tell
whether more messages are waiting. Here a dedicated thread reads whole messages into a queue
as fast as the client writes them, so the server (a) knows when input is waiting, which is
what lets a burst of edits coalesce into one analysis without a fixed debounce, and (b) keeps
reading even while the pool is busy.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import os
import sys
import threading
from typing import TYPE_CHECKING, BinaryIO

from pygls.exceptions import JsonRpcException
from pygls.io_ import StdoutWriter

if TYPE_CHECKING:
    from litert_lsp.server.app import LitertServer

log = logging.getLogger("litert_lsp.server")


class StdioTransport:
    def __init__(self, server: LitertServer, stdin: BinaryIO, stdout: BinaryIO) -> None:
        self.server = server
        self.stdin = stdin
        self.stdout = stdout
        self.inbox: collections.deque[bytes] = collections.deque()
        self.closed = False
        self._wakeup: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def run(self) -> int:
        """Serve until `exit` or end of input; returns the exit code LSP asks for (0 after a
        shutdown request, 1 otherwise)."""
        self.server.protocol.set_writer(StdoutWriter(self.stdout))
        self.server.input_pending = lambda: bool(self.inbox)
        code = 1
        try:
            asyncio.run(self._main())
        except SystemExit as request:  # pygls ends the `exit` notification with sys.exit
            code = request.code if isinstance(request.code, int) else 1
        except (BrokenPipeError, KeyboardInterrupt):
            pass
        finally:
            self.server.shutdown()
        return code

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wakeup = asyncio.Event()
        reader = threading.Thread(target=self._read, name="litert-lsp-stdin", daemon=True)
        reader.start()
        while True:
            while self.inbox:
                self._dispatch(self.inbox.popleft())
                # Let handlers' tasks and scheduled callbacks run between messages.
                await asyncio.sleep(0)
            if self.closed and not self.inbox:
                break
            self.server.on_input_idle()
            self._wakeup.clear()
            if not self.inbox and not self.closed:
                await self._wakeup.wait()
        log.info("the client closed the connection")

    def _dispatch(self, body: bytes) -> None:
        protocol = self.server.protocol
        try:
            message = json.loads(body, object_hook=protocol.structure_message)
            protocol.handle_message(message)
        except Exception as error:
            log.exception("cannot handle a message")
            self.server._report_server_error(error, JsonRpcException)

    def _signal(self) -> None:
        if self._wakeup is not None:
            self._wakeup.set()

    def _read(self) -> None:
        loop = self._loop
        assert loop is not None
        try:
            while True:
                length = None
                while True:
                    header = self.stdin.readline()
                    if not header:
                        return
                    if header in (b"\r\n", b"\n"):
                        if length is not None:
                            break
                        continue  # a stray blank line before any header
                    name, _, value = header.partition(b":")
                    if name.strip().lower() == b"content-length":
                        try:
                            length = int(value.strip())
                        except ValueError:
                            log.error("bad Content-Length header: %r", header[:80])
                body = self.stdin.read(length) if length else b""
                if length and len(body) < length:
                    return
                self.inbox.append(body)
                loop.call_soon_threadsafe(self._signal)
        except (OSError, ValueError) as error:
            log.info("stdin closed: %s", error)
        finally:
            self.closed = True
            try:
                loop.call_soon_threadsafe(self._signal)
            except RuntimeError:
                pass  # the loop has already stopped


def serve_stdio(server: LitertServer) -> None:
    transport = StdioTransport(server, sys.stdin.buffer, sys.stdout.buffer)
    profile_to = os.environ.get("LITERT_LSP_PROFILE")  # for tuning: cProfile output path
    if profile_to:
        import cProfile

        profiler = cProfile.Profile()
        code = profiler.runcall(transport.run)
        profiler.dump_stats(profile_to)
    else:
        code = transport.run()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    # The reader thread may sit in a blocking read of stdin; a normal interpreter shutdown
    # would wait on its lock. Everything is flushed, so leave at once.
    os._exit(code)
