"""The JSON-RPC/LSP protocol layer: pygls' protocol with the fixes this server needs.

What pygls 2.1 does not do, and this class does:
- answers every request it cannot run: -32602 when the params do not structure, -32600 for a
  request that is not JSON-RPC 2.0 or arrives after `shutdown`, -32002 before `initialize`
  (pygls logs and drops the first two and runs requests before `initialize`);
- forgets the futures of notifications once they are done (pygls keeps one per call of a
  coroutine, threaded or generator handler: the per-edit memory growth of did-change);
- tells a running request handler that its request was cancelled (`request_cancelled`), so a
  long command can stop its work, not just lose its response.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from concurrent.futures import Future
from functools import partial
from typing import Any
from urllib.parse import unquote

from lsprotocol import types
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcMethodNotFound,
    JsonRpcServerNotInitialized,
)
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from litert_lsp.core.text import apply_change

log = logging.getLogger("litert_lsp.server")

JSONRPC_VERSION = "2.0"
# Allowed before `initialize` has been answered (LSP: everything else gets -32002).
BEFORE_INITIALIZE = frozenset({types.INITIALIZE, types.EXIT})


class LitertProtocol(LanguageServerProtocol):
    """pygls' protocol with document sync that survives anything a client sends, and an
    answer for every request."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._initialize_seen = False
        # Ids of requests the client cancelled while their handler may still be running;
        # an id leaves when the handler's work is done (so the set stays bounded).
        self._cancelled_requests: set[Any] = set()

    # ---- receiving -----------------------------------------------------------------------

    def handle_raw(self, data: Any) -> None:
        """Handle one decoded JSON message (the transport's entry point): structure it and
        dispatch it, answering a request that cannot be handled with an error instead of
        dropping it."""
        if not isinstance(data, dict):
            log.error("ignoring a message that is not a JSON object: %.200r", data)
            return
        is_request = "id" in data and "method" in data
        if data.get("jsonrpc") != JSONRPC_VERSION:
            log.error("ignoring a message that is not JSON-RPC 2.0: %.200r", data)
            if is_request:
                self._refuse(data, JsonRpcInvalidRequest(message="not a JSON-RPC 2.0 request"))
            return
        if is_request and not isinstance(data["id"], (int, str)):
            log.error("ignoring a request whose id is neither a number nor a string: %.200r", data)
            return
        method = data.get("method")
        if not self._admit(method, is_request, data.get("id")):
            return
        try:
            message = self.structure_message(data)
        except JsonRpcException as error:
            if not is_request:
                log.error("dropping a %r message that does not structure: %s", method, error)
            elif self.get_message_type(str(method)) is None and method not in self.fm.features:
                self._refuse(data, JsonRpcMethodNotFound.of(method))
            else:
                self._refuse(data, JsonRpcInvalidParams(message=f"invalid params for {method!r}"))
            return
        super().handle_message(message)

    def handle_message(self, message: Any) -> None:
        method = getattr(message, "method", None)
        if self._admit(method, method is not None and hasattr(message, "id"), getattr(message, "id", None)):
            super().handle_message(message)

    def _admit(self, method: Any, is_request: bool, msg_id: Any) -> bool:
        """Whether the lifecycle lets this message through; refuses a request that it does not
        (LSP: -32002 before initialize, -32600 after shutdown)."""
        if method == types.INITIALIZE and is_request:
            self._initialize_seen = True
        elif method is not None and not self._initialize_seen and method not in BEFORE_INITIALIZE:
            if is_request:
                self._refuse_id(msg_id, method, JsonRpcServerNotInitialized(message=f"{method!r} before initialize"))
            else:
                log.warning("dropping %r: the server is not initialized yet", method)
            return False
        if self._shutdown and is_request and method != types.EXIT:
            self._refuse_id(msg_id, method, JsonRpcInvalidRequest(message=f"{method!r} after shutdown"))
            return False
        return True

    def _refuse(self, data: dict[str, Any], error: JsonRpcException) -> None:
        self._refuse_id(data["id"], data.get("method"), error)

    def _refuse_id(self, msg_id: Any, method: Any, error: JsonRpcException) -> None:
        log.warning("refusing request %r (%s): %s", msg_id, method, error.message)
        self._send_response(msg_id, None, error.to_response_error())

    # ---- bookkeeping ---------------------------------------------------------------------

    def _execute_handler(self, msg_id: Any, handler: Any, callback: Any, args: Any = None,
                         kwargs: Any = None) -> None:
        super()._execute_handler(msg_id, handler, callback, args, kwargs)
        # pygls files the future of every coroutine/threaded/generator handler under its
        # message id and only removes a request's (when answering it): drop any once done.
        future = self._request_futures.get(msg_id)
        if future is not None:
            forget = partial(self._forget, msg_id, self.msg_id)
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                future.add_done_callback(forget)
            else:
                # On the loop, later: a future may finish in a pool thread, or be cancelled
                # while pygls iterates the dict (at shutdown).
                future.add_done_callback(partial(_call_soon, loop, forget))

    def _forget(self, msg_id: Any, request_id: Any, future: Future[Any] | asyncio.Future[Any]) -> None:
        if self._request_futures.get(msg_id) is future:
            del self._request_futures[msg_id]
        # A request's own (generator) future is cancelled at once by `$/cancelRequest` while
        # the handler it runs goes on: only the end of the actual work clears the mark.
        response_only = msg_id == request_id and future.cancelled() and isinstance(future, Future)
        if request_id in self._cancelled_requests and not response_only:
            self._cancelled_requests.discard(request_id)

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        future = self._request_futures.get(msg_id)
        if future is None:
            # Normal traffic: clients cancel requests they no longer need, most already answered;
            # pygls would log a warning for each.
            log.debug("$/cancelRequest for %r, which is no longer running", msg_id)
            return
        if not future.done():
            self._cancelled_requests.add(msg_id)
        super()._handle_cancel_notification(msg_id)

    def request_cancelled(self, msg_id: Any) -> bool:
        """Whether the client sent `$/cancelRequest` for the request `msg_id` (the id of the
        request a handler runs for is `self.msg_id`, read at its start)."""
        return msg_id is not None and msg_id in self._cancelled_requests

    # ---- document sync -------------------------------------------------------------------

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> None:
        # pygls raises KeyError for a change to a document that was never opened and splits
        # lines with str.splitlines (which breaks on \x0c, \u2028, ...): apply edits ourselves
        # with the protocol's line rules. A plain function, not a generator: pygls keeps
        # bookkeeping for every generator call, which grew memory with each edit.
        uri = params.text_document.uri
        document = self.workspace.text_documents.get(unquote(uri))
        if document is None:
            log.warning("ignoring a change to %s, which is not open", uri)
            return
        encoding = str(self.workspace.position_encoding or "utf-16")
        text = document.source
        for change in params.content_changes:
            if isinstance(change, types.TextDocumentContentChangePartial):
                start, end = change.range.start, change.range.end
                text = apply_change(
                    text, (start.line, start.character), (end.line, end.character), change.text, encoding
                )
            else:
                text = change.text
        document._source = text
        document.version = params.text_document.version
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            self._execute_handler(
                msg_id=str(uuid.uuid4()), handler=handler, callback=self._check_handler_result, args=(params,)
            )


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Any, done: Any) -> None:
    with contextlib.suppress(RuntimeError):  # a closed loop: the server is going away anyway
        loop.call_soon_threadsafe(callback, done)
