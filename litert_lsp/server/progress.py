"""Work-done progress (`$/progress`) for long commands, cancellable from the editor.

Quiet when the client shows no progress: every method is then a no-op, so callers never
branch on the client's capabilities.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from lsprotocol import types

if TYPE_CHECKING:
    from litert_lsp.server.app import LitertServer


class Progress:
    def __init__(self, server: LitertServer, token: Any) -> None:
        self.server = server
        self.token = token

    @classmethod
    async def start(cls, server: LitertServer, title: str, *, token: Any = None,
                    prefix: str = "litert") -> Progress:
        """Begin a progress bar, on the client's own token when the request carried one."""
        if token is None:
            window = server.client_capabilities.window
            if not (window and window.work_done_progress):
                return cls(server, None)
            token = f"{prefix}-{uuid.uuid4().hex[:12]}"
            try:
                await server.work_done_progress.create_async(token)
            except Exception as error:  # noqa: BLE001 - progress is optional
                server.log.warning("no progress bar for %s: %s", title, error)
                return cls(server, None)
        server.work_done_progress.begin(
            token, types.WorkDoneProgressBegin(title=title, cancellable=True, percentage=0)
        )
        return cls(server, token)

    def report(self, message: str, percentage: float | None = None) -> None:
        if self.token is not None:
            self.server.work_done_progress.report(self.token, types.WorkDoneProgressReport(
                message=message, percentage=None if percentage is None else int(percentage)))

    def cancelled(self) -> bool:
        if self.token is None:
            return False
        future = self.server.work_done_progress.tokens.get(self.token)
        return bool(future is not None and future.cancelled())

    def end(self, message: str) -> None:
        if self.token is not None:
            self.server.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))
            self.server.work_done_progress.tokens.pop(self.token, None)
