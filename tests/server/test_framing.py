"""Property tests of the framing reader: whatever the chunking, correctly framed messages come
out exactly, and every kind of broken Content-Length is recovered without losing the
messages after it."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from litert_lsp.server.framing import FrameReader, FramingError

# Text that never contains the header name itself (a body quoting it is covered separately).
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40).filter(
    lambda t: "content-length" not in t.lower())
MESSAGES = st.builds(lambda i, t: {"jsonrpc": "2.0", "id": i, "method": "m", "params": {"text": t}},
                     st.integers(0, 10**6), TEXT)
MODES = st.sampled_from(["ok", "characters", "too long", "not a number", "negative", "missing", "junk before"])


def encode(message: dict, mode: str, extra: int) -> bytes:
    body = json.dumps(message, ensure_ascii=False).encode()
    length = {"characters": len(body.decode()), "too long": len(body) + extra}.get(mode, len(body))
    header = {"not a number": b"Content-Length: many\r\n", "negative": b"Content-Length: -%d\r\n" % extra,
              "missing": b"Content-Type: x\r\n"}.get(mode, b"Content-Length: %d\r\n" % length)
    junk = b"junk \x00\xff{[\r\n" if mode == "junk before" else b""
    return junk + header + b"\r\n" + body


def read_all(data: bytes, cuts: list[int], stall_between: bool = False) -> list:
    reader = FrameReader()
    out: list = []
    points = sorted({c % (len(data) + 1) for c in cuts}) + [len(data)]
    start = 0
    for point in points:
        out += reader.feed(data[start:point])
        if stall_between:
            out += reader.stalled()
        start = point
    return out + reader.stalled()


@settings(max_examples=300, deadline=None)
@given(st.lists(MESSAGES, max_size=8), st.lists(st.integers(0, 10**6), max_size=6))
def test_correct_framing_any_chunking(messages, cuts):
    data = b"".join(encode(m, "ok", 0) for m in messages)
    assert read_all(data, cuts) == messages


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(MESSAGES, MODES, st.integers(1, 60)), min_size=1, max_size=6),
       st.lists(st.integers(0, 10**6), max_size=4))
def test_every_broken_content_length_is_recovered(framed, cuts):
    data = b"".join(encode(m, mode, extra) for m, mode, extra in framed)
    assert read_all(data, cuts) == [m for m, _, _ in framed]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(MESSAGES, MODES, st.integers(1, 60)), min_size=1, max_size=4),
       st.lists(st.integers(0, 10**6), max_size=4))
def test_recovery_also_when_the_input_pauses_mid_message(framed, cuts):
    """A pause inside a message (stalled() while bytes are still coming) may cost that one
    message, never the correctly framed ones after it, and never the reader itself."""
    data = b"".join(encode(m, mode, extra) for m, mode, extra in framed)
    out = read_all(data, cuts, stall_between=True)
    wanted = [m for m, _, _ in framed]
    assert all(m in wanted for m in out)
    last, mode, _ = framed[-1]
    if mode == "ok" or not cuts:
        assert out and out[-1] == last


def test_unrecoverable_body_is_skipped_up_to_the_next_header():
    good = encode({"jsonrpc": "2.0", "method": "exit"}, "ok", 0)
    reader = FrameReader()
    assert reader.feed(b"Content-Length: 10\r\n\r\nnot json!!" + good) == [json.loads(good.split(b"\r\n\r\n")[1])]
    assert reader.feed(b"Content-Length: 999\r\n\r\nnot json" + good) == []  # still waiting for 999 bytes
    assert reader.stalled() == [{"jsonrpc": "2.0", "method": "exit"}]


def test_body_quoting_the_header_name_is_read_by_its_length():
    message = {"jsonrpc": "2.0", "id": 1, "method": "m", "params": {"text": "Content-Length: 5\r\n\r\n{}"}}
    assert read_all(encode(message, "ok", 0), [30, 45]) == [message]


def test_invalid_utf8_in_a_body_is_replaced_not_fatal():
    body = b'{"jsonrpc": "2.0", "method": "m", "params": {"text": "a\xffb"}}'
    out = FrameReader().feed(b"Content-Length: %d\r\n\r\n" % len(body) + body + b"Content-Length: 2\r\n\r\n{}")
    assert out == [{"jsonrpc": "2.0", "method": "m", "params": {"text": "a\ufffdb"}}, {}]


def test_endless_input_without_a_message_ends_the_reader():
    reader = FrameReader(max_buffer=1000)
    with pytest.raises(FramingError):
        reader.feed(b"Content-Length: 5000\r\n\r\n" + b"x" * 2000)
