"""Shared fixtures: a workspace with model code, and ONE warm export worker for the session.

The worker runs in a background event loop thread so plain (sync) tests can share it: starting
a worker costs the framework imports (several seconds); a warm one converts in about a second.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from litert_lsp.jobs.client import WorkerClient
from litert_lsp.jobs.job import ExportRequest, ExportResult
from tests.export.models_src import TINY, USES_WIDE


class WarmWorker:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.client = self.call(self._make())

    async def _make(self) -> WorkerClient:
        return WorkerClient(python=sys.executable)

    def call(self, coroutine, timeout: float = 240):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def export(self, request: ExportRequest, on_progress: Callable | None = None,
               timeout: float | None = 180) -> ExportResult:
        return self.call(self.client.export(request, on_progress, timeout=timeout))

    def close(self) -> None:
        self.call(self.client.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture(scope="session")
def warm_worker() -> Iterator[WarmWorker]:
    worker = WarmWorker()
    yield worker
    worker.close()


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("export-ws")
    (root / "tiny.py").write_text(TINY)
    (root / "uses_wide.py").write_text(USES_WIDE)
    (root / "pyproject.toml").write_text("[tool.litert-lsp]\n")
    return root


def request_for(workspace: Path, model: str | None, tmp_path: Path, **changes: object) -> ExportRequest:
    request = ExportRequest(source=str(workspace / "tiny.py"), model=model, workspace=str(workspace),
                            output=str(tmp_path / f"{model or 'model'}.tflite"))
    for key, value in changes.items():
        setattr(request, key, value)
    return request
