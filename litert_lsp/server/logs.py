"""Logging: the server's own log goes to the client as `window/logMessage`.

pygls' loggers stay at WARNING: at INFO they format every message sent, which costs time on
each keystroke and would echo our own log messages back into the log.
"""

from __future__ import annotations

import logging
import sys

_LEVELS = {
    logging.ERROR: 1,  # MessageType.Error
    logging.WARNING: 2,
    logging.INFO: 3,
    logging.DEBUG: 4,  # MessageType.Log
}


class ClientLogHandler(logging.Handler):
    """Sends records of the `litert_lsp` loggers to the client once a server is connected."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.server = None
        self._busy = False

    def emit(self, record: logging.LogRecord) -> None:
        server = self.server
        if server is None or self._busy or server.protocol.writer is None:
            return
        self._busy = True  # sending may log; never recurse
        try:
            from lsprotocol import types

            level = max((lvl for lvl in _LEVELS if lvl <= record.levelno), default=logging.DEBUG)
            server.window_log_message(
                types.LogMessageParams(type=types.MessageType(_LEVELS[level]), message=self.format(record))
            )
        except Exception:  # noqa: BLE001, S110 - logging must never take the server down
            pass
        finally:
            self._busy = False


client_handler = ClientLogHandler()


def setup_logging(stderr_level: str | None = None) -> None:
    logger = logging.getLogger("litert_lsp")
    logger.setLevel(logging.DEBUG if stderr_level == "debug" else logging.INFO)
    logger.propagate = False
    if client_handler not in logger.handlers:
        client_handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(client_handler)
    if stderr_level:
        stream = logging.StreamHandler(sys.stderr)
        stream.setLevel(stderr_level.upper())
        stream.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(stream)
        logging.getLogger("pygls").addHandler(stream)
    logging.getLogger("pygls").setLevel(logging.WARNING)


def attach(server: object) -> None:
    """Send the `litert_lsp` log to `server`'s client (sets logging up if nobody did)."""
    logger = logging.getLogger("litert_lsp")
    if client_handler not in logger.handlers:
        setup_logging(None)
    client_handler.server = server
