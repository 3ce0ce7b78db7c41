"""The background conversion check (setting `litert.convertCheck`: off | onSave | onIdle).

After a save (`onSave`), or once a saved file has been left unedited for IDLE_SECONDS
(`onIdle`: typing after a save waits; typing that returns the text to the saved version checks
it then), the export worker builds each model of the file that export can build without asking
(arguments, inputs and checkpoint planned exactly as `litert.checkConversion` plans them),
converts and verifies it, and the export feature turns the verdict into LRT901/LRT902
findings. Only in a trusted workspace: the worker runs the user's code.

- one check at a time; a change to the checked document or a newer check cancels it
  (the worker is killed and replaced, so a hung or runaway model costs nothing else)
- the worker runs niced, on one framework thread, with a memory cap (RLIMIT_DATA,
  `litert.convertCheckMemoryMb`) and a time budget; a model that hangs, crashes the worker or
  runs out of memory costs one log line and a lens, and the next check gets a new worker
- while the user types in another document the worker is stopped, and continues (with the
  time budget it had left) once the edits pause: keystrokes never wait for a conversion
- verdicts are cached by the hash of the file, of the project modules it imports and of the
  settings that plan it
- a model that is not checked (cannot be built without asking, over budget, crashed) says why
  once in the log and, for as long as that holds, in a code lens and the hover on its class
  line (not_checked.py); never as a diagnostic
- progress: the `litert/convertCheckStatus` notification (STATUS below) at every start, model,
  end, cancel and skip, and $/progress when the client shows work-done progress
- converter findings follow incremental edits (see follow_edits.py)
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types

from litert_lsp.analysis.project_index import imported_project_files
from litert_lsp.core.settings import Settings
from litert_lsp.jobs.client import WorkerClient
from litert_lsp.jobs.framework import is_tensorflow
from litert_lsp.jobs.job import ExportRequest, ExportResult
from litert_lsp.jobs.plan import PlanError, model_settings, plan_export
from litert_lsp.models.exportable import models_of
from litert_lsp.server.app import Feature, LitertServer, keep, uri_to_path
from litert_lsp.server.features.export import ExportFeature
from litert_lsp.server.features.follow_edits import follow
from litert_lsp.server.features.not_checked import NotChecked, from_plan_error, from_result, missing_stack
from litert_lsp.server.features.settings import SettingsFeature
from litert_lsp.server.progress import Progress

STATUS = "litert/convertCheckStatus"
BACKGROUND_TIMEOUT_SECONDS = 120.0  # a background check never runs as long as an export may
# A cold worker imports its framework before it says a word about the job (seconds on a busy
# machine); the model's own time budget counts from then.
STARTUP_SECONDS = 180.0
IDLE_SECONDS = 2.0  # onIdle: a saved file left unedited this long is checked
# While the user types, a running check's worker is stopped (SIGSTOP) and continues once no edit
# came for this long: on a machine with few cores, the static diagnostics of each keystroke
# then never share the CPU with a conversion.
TYPING_PAUSE_SECONDS = 0.5
BACKGROUND_NICENESS = 10  # the editor's own work (static diagnostics) comes first
# One framework thread: the machine's other cores stay free for the server and the editor.
BACKGROUND_THREADS = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1",
                      "TF_NUM_INTEROP_THREADS": "1"}
_CONVERTER_CODES = ("LRT901", "LRT902")


@dataclass
class Outcome:
    """One check of one saved text: what converted, and each model's line in the status."""

    converted: list[tuple[ExportRequest, ExportResult]] = field(default_factory=list)
    models: list[dict[str, str]] = field(default_factory=list)  # {"name", "status", "message"}
    unchecked: dict[str, NotChecked] = field(default_factory=dict)


class ConvertCheckFeature(Feature):
    """Converts saved models in the background (see the module docstring)."""

    def __init__(self, server: LitertServer) -> None:
        super().__init__(server)
        self.cache: dict[str, Outcome] = {}
        self.task: asyncio.Task[None] | None = None
        self.task_uri: str | None = None
        # Bumped by every cancel: a check whose generation is old publishes nothing.
        self.generation = 0
        # Background checks get workers of their own, so cancelling one (killing its
        # worker) never touches an export the user started. Keyed by (python, memory cap).
        self.clients: dict[tuple[str, int | None], WorkerClient] = {}
        self.said: set[str] = set()  # log lines said once (untrusted workspace, unchecked models)
        # The models the last finished check of each document could not check, by class name.
        self.unchecked: dict[str, dict[str, NotChecked]] = {}
        self.current: list[dict[str, str]] = []  # the running check's models, for its cancel status
        self.idle_timers: dict[str, asyncio.TimerHandle] = {}
        self.resume_timer: asyncio.TimerHandle | None = None

    # ---- hooks ---------------------------------------------------------------------------

    def saved(self, uri: str) -> None:
        path = uri_to_path(uri)
        if path is None or path.suffix != ".py":
            return
        mode = self.server.settings_for(uri).convert_check
        if mode == "onIdle":
            self._arm(uri)
        elif mode == "onSave" and self._wanted(uri):
            self._start(uri, path, idle=False)

    def changed(self, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        if uri == self.task_uri:
            self._cancel()
        elif self.task is not None and not self.task.done():
            self._pause_while_typing()
        extra = self.server.extra_findings()
        if uri in extra:
            extra[uri] = follow(extra[uri], params.content_changes)
        if uri in self.idle_timers or self.server.settings_for(uri).convert_check == "onIdle":
            self._arm(uri)

    def lenses(self, uri: str) -> list[types.CodeLens]:
        """One lens on the class line of each model the last check did not check."""
        lenses = []
        for line, unchecked in self._unchecked_lines(uri):
            where = types.Range(start=types.Position(line=line, character=0), end=types.Position(line=line, character=0))
            # No command: the lens is a sentence, not an action (editors show it unclickable).
            lenses.append(types.CodeLens(range=where, command=types.Command(title=unchecked.sentence, command="")))
        return lenses

    def hover_parts(self, uri: str, position: types.Position, markdown: bool) -> list[str]:
        return [unchecked.hover(markdown) for line, unchecked in self._unchecked_lines(uri) if line == position.line]

    def _unchecked_lines(self, uri: str) -> list[tuple[int, NotChecked]]:
        unchecked = self.unchecked.get(uri)
        text = self.server.document_text(uri) if unchecked else None
        if not unchecked or text is None:
            return []
        found = models_of(text)
        return [(model.line - 1, unchecked[model.name]) for model in found.all if model.name in unchecked]

    # ---- starting and cancelling -----------------------------------------------------------

    def _wanted(self, uri: str) -> bool:
        server = self.server
        if server.settings_for(uri).convert_check == "off":
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

    def _start(self, uri: str, path: Path, idle: bool) -> None:
        self._cancel()
        self.task_uri = uri
        self.task = asyncio.ensure_future(self._check(uri, path, self.generation, idle))

    def _arm(self, uri: str) -> None:
        """onIdle: (re)start the quiet-period timer of `uri`."""
        timer = self.idle_timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        with contextlib.suppress(RuntimeError):  # no running loop (unit tests of the hooks)
            self.idle_timers[uri] = asyncio.get_running_loop().call_later(IDLE_SECONDS, self._quiet, uri)

    def _quiet(self, uri: str) -> None:
        self.idle_timers.pop(uri, None)
        path = uri_to_path(uri)
        if path is None or path.suffix != ".py" or self.server.settings_for(uri).convert_check != "onIdle":
            return
        if self.server.open_document(uri) is not None and self._wanted(uri):
            # Whether the buffer is the saved file is decided in _check, off the event loop
            # and without cancelling a running check for a file that is not ready.
            keep(asyncio.ensure_future(self._check_if_saved(uri, path)))

    async def _check_if_saved(self, uri: str, path: Path) -> None:
        on_disk = await asyncio.to_thread(_read, path)
        if on_disk is not None and on_disk == self.server.document_text(uri) and uri not in self.idle_timers:
            self._start(uri, path, idle=True)

    def _pause_while_typing(self) -> None:
        """Stop the running check's worker until the edits pause (see TYPING_PAUSE_SECONDS)."""
        for client in self.clients.values():
            client.pause()
        if self.resume_timer is not None:
            self.resume_timer.cancel()
        with contextlib.suppress(RuntimeError):  # no running loop (unit tests of the hooks)
            self.resume_timer = asyncio.get_running_loop().call_later(TYPING_PAUSE_SECONDS, self._resume)

    def _resume(self) -> None:
        self.resume_timer = None
        for client in self.clients.values():
            client.resume()

    def _cancel(self) -> None:
        # The worker is killed rather than the task cancelled: the client then returns a
        # "cancelled" result and the next check starts a fresh worker.
        self.generation += 1
        if self.task is not None and not self.task.done():
            for client in self.clients.values():
                keep(asyncio.ensure_future(client.cancel()))
            if self.task_uri is not None:
                if self.current:  # it said "running": said here, before a newer check's "running"
                    self._status(self.task_uri, "cancelled", self.current, 0)
                self.server.log.info("background check of %s cancelled by a change",
                                     Path(uri_to_path(self.task_uri) or self.task_uri).name)
        self.task = None
        self.task_uri = None
        self.current = []

    # ---- running -------------------------------------------------------------------------

    async def _check(self, uri: str, path: Path, generation: int, idle: bool) -> None:
        text = await asyncio.to_thread(_read, path)
        if text is None or generation != self.generation:
            return
        if idle and text != self.server.document_text(uri):
            return  # edited since it was saved: not the saved file any more
        started = time.monotonic()
        root = self.server.workspace_root_for(uri) or path.parent
        settings = self.server.settings_for(uri)
        key = await asyncio.to_thread(content_key, path, text, root, repr(settings))
        outcome = self.cache.get(key)
        cached = outcome is not None
        if outcome is None:
            outcome = await self._run(uri, path, text, root, generation)
            if outcome is None or generation != self.generation:
                return  # cancelled: _cancel said so
            self.cache[key] = outcome
        if generation != self.generation:
            return
        self._finish(uri, path, outcome, time.monotonic() - started, cached)

    async def _plan(self, uri: str, path: Path, text: str, root: Path) -> tuple[list[tuple[str, ExportRequest]],
                                                                                  dict[str, NotChecked]]:
        """Each model of `text` as a request, or why it is not checked."""
        export = self.server.get_feature(ExportFeature)
        assert export is not None
        settings = self.server.settings_for(uri)
        python = export.python_for(uri)
        stacks = await asyncio.to_thread(export.stack_for, python)  # may run the interpreter once
        planned, unchecked = [], {}
        for model in models_of(text).exported:
            try:
                # In a thread: planning may scan the workspace for the class's constructor calls.
                choice = await asyncio.to_thread(plan_export, path, settings, root, model=model.name,
                                                 write_output=False)
            except PlanError as why:
                configured = bool({"args", "kwargs"} & model_settings(settings, model.name).keys())
                unchecked[model.name] = from_plan_error(model.name, str(why), model.required, configured)
                continue
            framework = "tensorflow" if is_tensorflow(choice.request) else "torch"
            if not stacks.get(framework):
                unchecked[model.name] = missing_stack(model.name, python, framework)
                continue
            planned.append((model.name, choice.request))
        return planned, unchecked

    async def _run(self, uri: str, path: Path, text: str, root: Path, generation: int) -> Outcome | None:
        planned, unchecked = await self._plan(uri, path, text, root)
        if generation != self.generation:
            return None
        outcome = Outcome(unchecked=unchecked)
        statuses = {name: _model_status(name, "pending") for name, _ in planned}
        statuses.update({name: _model_status(name, "not_checked", why.sentence) for name, why in unchecked.items()})
        order = [m.name for m in models_of(text).exported if m.name in statuses]
        if not planned:
            outcome.models = [statuses[name] for name in order]
            return outcome
        export = self.server.get_feature(ExportFeature)
        assert export is not None
        settings = self.server.settings_for(uri)
        memory = memory_budget_mb(settings)
        timeout = min(BACKGROUND_TIMEOUT_SECONDS, settings.export.timeout_seconds)
        client = self._client(export.python_for(uri), memory)
        progress = await Progress.start(self.server, f"LiteRT: converting {planned[0][0]}",
                                        prefix="litert-convert-check")
        watcher = keep(asyncio.ensure_future(self._watch(progress, generation)))
        try:
            for number, (name, request) in enumerate(planned, 1):
                if generation != self.generation:
                    return None
                statuses[name] = _model_status(name, "running")
                self.current = [statuses[n] for n in order]
                self._status(uri, "running", self.current, 0)
                progress.report(f"{name} ({number}/{len(planned)})", 100 * (number - 1) / len(planned))
                result = await client.export(request, _reporter(progress, name, number, len(planned)), timeout=timeout,
                                             startup_timeout=STARTUP_SECONDS)
                if result.status == "cancelled" or generation != self.generation:
                    return None
                why = from_result(name, result, memory, BACKGROUND_TIMEOUT_SECONDS)
                if why is not None:
                    outcome.unchecked[name] = why
                    statuses[name] = _model_status(name, "not_checked", why.sentence)
                    continue
                outcome.converted.append((request, result))
                statuses[name] = _model_status(name, result.status or ("ok" if result.ok else "failed"),
                                               "" if result.ok else result.message)
        finally:
            watcher.cancel()
            progress.end("cancelled" if generation != self.generation else "done")
        outcome.models = [statuses[n] for n in order]
        return outcome

    async def _watch(self, progress: Progress, generation: int) -> None:
        # The editor's progress bar has a cancel button: it cancels this check.
        while generation == self.generation:
            await asyncio.sleep(0.2)
            if progress.cancelled() and generation == self.generation:
                self._cancel()
                return

    def _finish(self, uri: str, path: Path, outcome: Outcome, seconds: float, cached: bool) -> None:
        export = self.server.get_feature(ExportFeature)
        assert export is not None
        findings = 0
        if outcome.converted:
            # Every model's verdict: the failures' findings, and successes clear the old ones.
            export.publish_all(uri, outcome.converted)
            extra = self.server.extra_findings()
            findings = sum(1 for target in export.owned.get(uri, ()) for f in extra.get(target, [])
                           if f.code in _CONVERTER_CODES)
        before = self.unchecked.get(uri, {})
        self.unchecked[uri] = dict(outcome.unchecked)
        for name, why in outcome.unchecked.items():
            self._say_once(f"unchecked:{uri}:{name}:{why.reason}", "background check skips %s in %s: %s (%s)",
                           name, path.name, why.reason, why.detail or why.kind)
        if before or outcome.unchecked:
            self.server.refresh_code_lenses()
        self.current = []
        self.task_uri = None
        self._status(uri, "done" if outcome.converted else "skipped", outcome.models, findings)
        if outcome.models:  # no model at all: nothing worth a log line on every save
            verdicts = ", ".join(f"{m['name']}: {m['status']}" for m in outcome.models)
            self.server.log.info("background check of %s: %s (%.1f s%s)", path.name, verdicts, seconds,
                                 ", cached" if cached else "")

    def _client(self, python: str, memory: int | None) -> WorkerClient:
        key = (python, memory)
        if key not in self.clients:
            self.clients[key] = WorkerClient(python=python, env=_background_env(), niceness=BACKGROUND_NICENESS,
                                             memory_mb=memory)
        return self.clients[key]

    def _status(self, uri: str, state: str, models: list[dict[str, str]], findings: int) -> None:
        """The `litert/convertCheckStatus` notification (its params are a contract with the
        editor clients: uri, state, models [{name, status, message}], findings)."""
        params: dict[str, Any] = {"uri": uri, "state": state, "models": [dict(m) for m in models],
                                  "findings": findings}
        try:
            self.server.protocol.notify(STATUS, params)
        except Exception as error:  # noqa: BLE001 - a closed pipe must not end the check
            self.server.log.debug("could not send %s: %s", STATUS, error)

    def _say_once(self, key: str, message: str, *arguments: object) -> None:
        if key not in self.said:
            self.said.add(key)
            self.server.log.info(message, *arguments)


def memory_budget_mb(settings: Settings) -> int | None:
    """The background worker's memory cap in MiB (`litert.convertCheckMemoryMb`; 0: none)."""
    return settings.convert_check_memory_mb or None


def content_key(path: Path, text: str, root: Path, extra: str = "") -> str:
    """A hash of `text`, of the project modules it imports, directly or through each other
    (found as cross-file reach finds them, plus under the workspace `root`), and of `extra`
    (the settings that plan its models: constructor arguments, budgets)."""
    digest = hashlib.sha256(str(path).encode() + b"\0" + text.encode() + b"\0" + extra.encode())
    for imported in imported_project_files(path, text, extra_root=root):
        with contextlib.suppress(OSError):
            digest.update(str(imported).encode() + b"\0" + imported.read_bytes())
    return digest.hexdigest()


def _model_status(name: str, status: str, message: str = "") -> dict[str, str]:
    return {"name": name, "status": status, "message": message}


def _reporter(progress: Progress, name: str, number: int, total: int) -> Any:
    """The worker's progress on model `number` of `total`, as a share of the whole check."""

    def report(stage: str, message: str, percent: float | None) -> None:
        overall = None if percent is None else 100 * (number - 1 + percent / 100) / total
        progress.report(f"{name}: {stage}" + (f" — {message}" if message else ""), overall)

    return report


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _background_env() -> dict[str, str]:
    # No __pycache__ in the user's project: a background check writes no file.
    return {**os.environ, **BACKGROUND_THREADS, "PYTHONDONTWRITEBYTECODE": "1"}
