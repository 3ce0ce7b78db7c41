"""The background conversion check (setting `litert.convertCheck`: off | onSave | onIdle).

After a save, the export worker builds each model of the saved file that export can build
without asking (arguments, inputs and checkpoint planned exactly as `litert.checkConversion`
plans them), converts and verifies it, and the export feature turns the verdict into
LRT901/LRT902 findings. Only in a trusted workspace: the worker runs the user's code.

- one check at a time; a change to the checked document or a newer save cancels it
  (the worker is killed and replaced, so a hung or runaway model costs nothing else)
- verdicts are cached by the hash of the file and of the project modules it imports
- a model that cannot be built without asking is said once in the log, never as an error
- converter findings follow incremental edits (see follow_edits.py)
`onIdle` currently behaves as `onSave` (checks start from saved files only).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import time
from pathlib import Path

from lsprotocol import types

from litert_lsp.jobs.client import WorkerClient
from litert_lsp.jobs.framework import is_tensorflow
from litert_lsp.jobs.job import ExportRequest, ExportResult
from litert_lsp.jobs.plan import PlanError
from litert_lsp.jobs.verdict import could_not_build
from litert_lsp.models.exportable import models_of
from litert_lsp.server.app import Feature, LitertServer, keep, uri_to_path
from litert_lsp.server.features.export import ExportFeature
from litert_lsp.server.features.follow_edits import follow
from litert_lsp.server.features.settings import SettingsFeature

BACKGROUND_TIMEOUT_SECONDS = 120.0  # a background check never runs as long as an export may
BACKGROUND_NICENESS = 10  # the editor's own work (static diagnostics) comes first
# One framework thread: the machine's other cores stay free for the server and the editor.
BACKGROUND_THREADS = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1",
                      "TF_NUM_INTEROP_THREADS": "1"}
_IMPORTED = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import|import\s+([\w.]+))", re.MULTILINE)


class ConvertCheckFeature(Feature):
    """Converts saved models in the background (see the module docstring)."""

    def __init__(self, server: LitertServer) -> None:
        super().__init__(server)
        self.cache: dict[str, list[tuple[ExportRequest, ExportResult]]] = {}
        self.task: asyncio.Task[None] | None = None
        self.task_uri: str | None = None
        # Bumped by every cancel: a check whose generation is old publishes nothing.
        self.generation = 0
        # Background checks get workers of their own, so cancelling one (killing its
        # worker) never touches an export the user started.
        self.clients: dict[str, WorkerClient] = {}
        self.said: set[str] = set()  # log lines said once (untrusted workspace, unbuildable models)

    # ---- hooks ---------------------------------------------------------------------------

    def saved(self, uri: str) -> None:
        path = uri_to_path(uri)
        if path is None or path.suffix != ".py" or not self._wanted(uri):
            return
        self._cancel()
        self.task_uri = uri
        self.task = asyncio.ensure_future(self._check(uri, path, self.generation))

    def changed(self, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        if uri == self.task_uri:
            self._cancel()
        extra = self.server.extra_findings()
        if uri in extra:
            extra[uri] = follow(extra[uri], params.content_changes)

    # ---- running -------------------------------------------------------------------------

    def _wanted(self, uri: str) -> bool:
        server = self.server
        mode = server.settings_for(uri).convert_check
        if mode == "off":
            return False
        export = server.get_feature(ExportFeature)
        settings = server.get_feature(SettingsFeature)
        if export is None or settings is None or not export.available:
            return False
        root = server.workspace_root_for(uri)
        if not settings.trust.is_trusted(root):
            self._say_once(f"untrusted:{root}", "background conversion check is off: workspace %s is not trusted",
                           root)
            return False
        return True

    def _cancel(self) -> None:
        # The worker is killed rather than the task cancelled: the client then returns a
        # "cancelled" result and the next check starts a fresh worker.
        self.generation += 1
        if self.task is not None and not self.task.done():
            for client in self.clients.values():
                keep(asyncio.ensure_future(client.cancel()))
        self.task = None
        self.task_uri = None

    async def _check(self, uri: str, path: Path, generation: int) -> None:
        export = self.server.get_feature(ExportFeature)
        assert export is not None
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            return
        started = time.monotonic()
        key = content_key(path, text, self.server.workspace_root_for(uri) or path.parent)
        outcomes = self.cache.get(key)
        cached = outcomes is not None
        if outcomes is None:
            outcomes = await self._run_models(uri, text, export, generation)
            if outcomes is None or generation != self.generation:
                self.server.log.info("background check of %s cancelled by a change", path.name)
                return
            self.cache[key] = outcomes
        if generation != self.generation:
            return
        if outcomes:
            # The first failing model's verdict, else the last success (which clears old ones).
            request, result = next(((q, r) for q, r in outcomes if not r.ok), outcomes[-1])
            export.publish_findings(uri, request, result)
        if not outcomes:  # no model to build: nothing worth a log line on every save
            return
        verdicts = ", ".join(f"{q.model}: {r.status}" for q, r in outcomes)
        self.server.log.info("background check of %s: %s (%.1f s%s)", path.name, verdicts,
                             time.monotonic() - started, ", cached" if cached else "")

    async def _run_models(self, uri: str, text: str, export: ExportFeature,
                          generation: int) -> list[tuple[ExportRequest, ExportResult]] | None:
        python = export.python_for(uri)
        stacks = export.stack_for(python)
        outcomes = []
        for model in models_of(text).exported:
            try:
                request = export.plan({"uri": uri, "model": model.name}, write=False)
            except PlanError as why:
                self._say_once(f"plan:{uri}:{model.name}", "background check skips %s: %s", model.name, why)
                continue
            if not stacks.get("tensorflow" if is_tensorflow(request) else "torch"):
                continue
            timeout = min(BACKGROUND_TIMEOUT_SECONDS, self.server.settings_for(uri).export.timeout_seconds)
            if python not in self.clients:
                self.clients[python] = WorkerClient(python=python, env=_background_env(), niceness=BACKGROUND_NICENESS)
            client = self.clients[python]
            result = await client.export(request, None, timeout=timeout)
            if result.status == "cancelled" or generation != self.generation:
                return None
            if result.status == "timeout":
                self._say_once(f"timeout:{uri}:{model.name}", "background check of %s gave up after %.0f s; "
                               "the worker was replaced", model.name, timeout)
                continue
            if could_not_build(result):
                self._say_once(f"build:{uri}:{model.name}", "background check skips %s: %s", model.name, result.message)
                continue
            outcomes.append((request, result))
        return outcomes

    def _say_once(self, key: str, message: str, *arguments: object) -> None:
        if key not in self.said:
            self.said.add(key)
            self.server.log.info(message, *arguments)


def content_key(path: Path, text: str, root: Path) -> str:
    """A hash of `text` and of the project modules it imports (found under `root`)."""
    digest = hashlib.sha256(str(path).encode() + b"\0" + text.encode())
    for match in _IMPORTED.finditer(text):
        module = (match.group(1) or match.group(2)).lstrip(".")
        relative = Path(*module.split("."))
        for candidate in (root / relative.with_suffix(".py"), path.parent / relative.with_suffix(".py"),
                          root / relative / "__init__.py"):
            if candidate.is_file():
                with contextlib.suppress(OSError):
                    digest.update(str(candidate).encode() + b"\0" + candidate.read_bytes())
                break
    return digest.hexdigest()


def _background_env() -> dict[str, str]:
    return {**os.environ, **BACKGROUND_THREADS}
