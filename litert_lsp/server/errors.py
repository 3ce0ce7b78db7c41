"""The one place that decides what a failure inside the server becomes.

- Every handler exception (pygls reports them through `report_server_error`) and every
  failing feature hook is logged with its traceback; the request still gets its error
  response from pygls, and the server keeps serving.
- A command the user ran (`user_command`) that raises also tells the user, once, in one
  sentence with the command's name, and answers `{"ok": False, "message": ...}` instead of an
  internal error, so an editor shows something a person can act on.
"""

from __future__ import annotations

import functools
import inspect
import logging
import traceback
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger("litert_lsp.server")


class ServerLike(Protocol):
    """What this layer needs of the server (a Protocol, so that the server's module, which
    uses this one, is not imported back)."""

    log: logging.Logger

    def show_error(self, message: str) -> None: ...


def log_error(server: ServerLike, where: str, error: BaseException) -> None:
    """Log `error` raised in `where` with its traceback (to the client's log, not a popup)."""
    details = "".join(traceback.format_exception(type(error), error, error.__traceback__)).rstrip()
    server.log.error("internal error in %s: %s\n%s", where, error, details)


def guarded(server: ServerLike, where: str, function: Callable[..., Any], *arguments: Any) -> Any:
    """`function(*arguments)`, or None after logging what it raised."""
    try:
        return function(*arguments)
    except Exception as error:  # noqa: BLE001 - this is the layer that turns them into logs
        log_error(server, where, error)
        return None


def user_command(server: ServerLike, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a command handler (sync or async) so that a crash becomes a message."""

    def failed(error: Exception) -> dict[str, Any]:
        log_error(server, f"command {name}", error)
        message = f"litert-lsp: {name} failed: {error} (the details are in the litert-lsp log)"
        server.show_error(message)
        return {"ok": False, "message": message}

    def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.iscoroutinefunction(handler):

            @functools.wraps(handler)
            async def run_async(*arguments: Any) -> Any:
                try:
                    return await handler(*arguments)
                except Exception as error:  # noqa: BLE001 - a crash becomes a message
                    return failed(error)

            return run_async

        @functools.wraps(handler)
        def run(*arguments: Any) -> Any:
            try:
                return handler(*arguments)
            except Exception as error:  # noqa: BLE001 - a crash becomes a message
                return failed(error)

        return run

    return decorate
