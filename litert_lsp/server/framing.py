"""LSP base-protocol framing that resynchronises instead of going deaf.

`FrameReader` is fed raw bytes from the client and returns the decoded JSON messages. With
correct framing it reads `Content-Length` bytes after the header block, as the protocol says.
When the framing is wrong it recovers what the client meant instead of reading every later
message out of step:

- a body that is not JSON, or a Content-Length that is too short (a client counting
  characters instead of UTF-8 bytes), too long, negative, non-numeric or missing: the body is
  read as the one JSON value that starts after the headers;
- bytes that are neither headers nor a body: skipped up to the next `Content-Length` header.

A too-long Content-Length leaves the reader waiting for bytes that never come; the transport
calls `stalled()` when the input has been quiet for a moment, and the reader then tries the
same recovery. Nothing here does I/O, so it can be tested byte by byte.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

log = logging.getLogger("litert_lsp.server")

HEADER_LINE = re.compile(rb"[A-Za-z][A-Za-z0-9_-]*[ \t]*:")
CONTENT_LENGTH = re.compile(rb"content-length[ \t]*:", re.IGNORECASE)
HEADER_END = re.compile(rb"\r?\n\r?\n")
# A header block longer than this is not a header block.
MAX_HEADER_BYTES = 8192
_DECODER = json.JSONDecoder()


class FramingError(Exception):
    """The input cannot be read as LSP messages any more (the transport then ends)."""


class FrameReader:
    def __init__(self, max_buffer: int = 1 << 30) -> None:
        self.buffer = bytearray()
        self.max_buffer = max_buffer
        self.recovered = 0  # messages read despite wrong framing (for tests and logs)
        self.skipped_bytes = 0

    def feed(self, data: bytes) -> list[Any]:
        self.buffer += data
        if len(self.buffer) > self.max_buffer:
            raise FramingError(f"{len(self.buffer)} bytes of input without a readable message")
        return self._parse(stalled=False)

    def stalled(self) -> list[Any]:
        """The client has sent nothing for a while: a message still waiting for the rest of
        its Content-Length is taken as complete if it is."""
        return self._parse(stalled=True)

    def _parse(self, stalled: bool) -> list[Any]:
        messages: list[Any] = []
        while True:
            self._skip_blank()
            if not self.buffer:
                return messages
            if not HEADER_LINE.match(self.buffer):
                if not self._skip_to_next_header(0):
                    return messages
                continue
            end = HEADER_END.search(self.buffer, 0, MAX_HEADER_BYTES + 4)
            if end is None:
                if len(self.buffer) > MAX_HEADER_BYTES or (stalled and self._next_header(1) is not None):
                    self._skip_to_next_header(1)
                    continue
                return messages
            length = _content_length(bytes(self.buffer[: end.start()]))
            body_start = end.end()
            if length is not None and len(self.buffer) - body_start >= length:
                body = bytes(self.buffer[body_start : body_start + length])
                try:
                    messages.append(json.loads(body))
                except ValueError:
                    pass
                else:
                    del self.buffer[: body_start + length]
                    continue
            elif length is not None and not stalled:
                # Most likely the rest of the body is on its way.
                return messages
            recovered = self._recover(body_start, complete=stalled or length is not None)
            if recovered is not None:
                messages.append(recovered)
                continue
            # Give up on this message when its body cannot be complete any more: the input
            # went quiet, its declared bytes are all here, or it has no length to wait for.
            hopeless = stalled or length is None or len(self.buffer) - body_start >= length
            if hopeless and self._next_header(body_start) is not None:
                log.error("skipping a message whose Content-Length (%s) does not match its body",
                          "missing" if length is None else length)
                self._skip_to_next_header(body_start)
                continue
            return messages

    def _recover(self, body_start: int, complete: bool) -> Any | None:
        """The JSON value right after the headers, when it is complete."""
        raw = bytes(self.buffer[body_start:])
        text = raw.decode("utf-8", "surrogateescape")
        start = len(text) - len(text.lstrip())
        try:
            value, end = _DECODER.raw_decode(text, start)
        except ValueError:
            return None
        # Whatever follows a complete value (the next header, or junk to skip) shows that the
        # value is all of this message; with nothing after it, wait until input is quiet.
        if not text[end:].strip() and not complete:
            return None
        used = len(text[:end].encode("utf-8", "surrogateescape"))
        if _has_bad_utf8(raw[:used]):
            # Invalid UTF-8 in the body: decode it as a strict reader with replacement would.
            value = json.loads(raw[:used].decode("utf-8", "replace"))
        del self.buffer[: body_start + used]
        self.recovered += 1
        log.error("recovered a message with a wrong or missing Content-Length header")
        return value

    def _skip_blank(self) -> None:
        stripped = self.buffer.lstrip(b"\r\n\t ")
        if len(stripped) != len(self.buffer):
            del self.buffer[: len(self.buffer) - len(stripped)]

    def _next_header(self, start: int) -> int | None:
        match = CONTENT_LENGTH.search(self.buffer, start)
        return None if match is None else match.start()

    def _skip_to_next_header(self, start: int) -> bool:
        """Drop everything before the next Content-Length header at or after `start`; False
        (keeping only a possible partial header) when there is none yet."""
        found = self._next_header(start)
        if found is None:
            keep = len(b"content-length:") - 1
            drop = max(0, len(self.buffer) - keep) if start == 0 else 0
            if drop:
                self.skipped_bytes += drop
                log.error("skipping %d bytes that are not an LSP message", drop)
                del self.buffer[:drop]
            return False
        self.skipped_bytes += found
        log.error("skipping %d bytes that are not an LSP message", found)
        del self.buffer[:found]
        return True


def _has_bad_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _content_length(headers: bytes) -> int | None:
    """The Content-Length of a header block, None when missing or not a non-negative number."""
    for line in re.split(rb"\r?\n", headers):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            value = value.strip()
            if value.isdigit():
                return int(value)
            log.error("bad Content-Length header: %r", line[:80])
            return None
    log.error("a header block without Content-Length: %r", headers[:80])
    return None
