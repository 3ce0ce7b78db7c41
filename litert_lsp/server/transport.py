"""The stdio transport: one reader thread feeding the event loop.

pygls reads stdin through its handler thread pool, one `readline` per hop, and cannot tell
whether more messages are waiting. Here a dedicated thread reads whole messages into a queue
as fast as the client writes them, so the server (a) knows when input is waiting, which is
what lets a burst of edits coalesce into one analysis without a fixed debounce, and (b) keeps
reading even while the pool is busy. Framing errors are resynchronised by `framing`, and the
server stops when the editor's process (`processId`) dies.
"""

from __future__ import annotations

import asyncio
import collections
import io
import logging
import os
import select
import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

from pygls.exceptions import JsonRpcException
from pygls.io_ import StdoutWriter

from litert_lsp.server.framing import FrameReader, FramingError

if TYPE_CHECKING:
    from litert_lsp.server.app import LitertServer

log = logging.getLogger("litert_lsp.server")


class StdioTransport:
    def __init__(self, server: LitertServer, stdin: BinaryIO, stdout: BinaryIO) -> None:
        self.server = server
        self.stdin = stdin
        self.stdout = stdout
        self.inbox: collections.deque[Any] = collections.deque()  # decoded JSON messages
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
        watcher = asyncio.ensure_future(self._watch_editor())
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
        watcher.cancel()
        log.info("the client closed the connection")

    def _dispatch(self, message: Any) -> None:
        try:
            self.server.protocol.handle_raw(message)
        except Exception as error:
            log.exception("cannot handle a message")
            self.server._report_server_error(error, JsonRpcException)

    def _signal(self) -> None:
        if self._wakeup is not None:
            self._wakeup.set()

    def _deliver(self, messages: list[Any]) -> None:
        if messages:
            self.inbox.extend(messages)
            assert self._loop is not None
            self._loop.call_soon_threadsafe(self._signal)

    def _read(self) -> None:
        frames = FrameReader()
        try:
            for chunk in _chunks(self.stdin):
                self._deliver(frames.stalled() if chunk is None else frames.feed(chunk))
            self._deliver(frames.stalled())  # end of input: whatever is complete counts
        except FramingError as error:
            log.error("cannot read the client's messages any more (%s); stopping", error)
        except (OSError, ValueError) as error:
            log.info("stdin closed: %s", error)
        finally:
            self.closed = True
            try:
                assert self._loop is not None
                self._loop.call_soon_threadsafe(self._signal)
            except RuntimeError:
                pass  # the loop has already stopped

    async def _watch_editor(self) -> None:
        """End the server when the editor process named in `initialize` is gone (LSP asks
        servers to, so that a crashed editor leaves no orphans)."""
        while self.server.process_id is None:
            await asyncio.sleep(PARENT_POLL_SECONDS)
        pid = self.server.process_id
        if not editor_alive(pid):
            log.warning("the editor's process %s does not exist; not watching it", pid)
            return
        while editor_alive(pid):
            await asyncio.sleep(PARENT_POLL_SECONDS)
        log.error("the editor's process %s has exited; stopping", pid)
        self.closed = True
        self._signal()


# How often the editor's process is checked, and how long input must be quiet before a
# message waiting for the rest of a (wrong) Content-Length is read as it is.
PARENT_POLL_SECONDS = 1.0
STALL_SECONDS = 0.3


def editor_alive(pid: int) -> bool:
    """Whether process `pid` exists (always True where that cannot be checked cheaply)."""
    if os.name != "posix" or pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _chunks(stream: BinaryIO) -> Iterator[bytes | None]:
    """What the client writes, as it arrives; None each time the input has been quiet for
    STALL_SECONDS (only for streams `select` can wait on)."""
    try:
        fd = stream.fileno()
        select.select([fd], [], [], 0)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        fd = None
    while True:
        if fd is not None:
            ready, _, _ = select.select([fd], [], [], STALL_SECONDS)
            if not ready:
                yield None
                continue
            chunk = os.read(fd, 1 << 16)
        else:
            chunk = stream.read1(1 << 16) if hasattr(stream, "read1") else stream.read(1 << 16)
        if not chunk:
            return
        yield chunk


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
