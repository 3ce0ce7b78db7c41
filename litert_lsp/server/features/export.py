"""Export features of the language server: commands, code lenses and code actions.

    litert.export            convert, verify, profile and write a .tflite ($/progress, cancellable)
    litert.checkConversion   the same without writing; failures become LRT901/LRT902 diagnostics
                             on the lines that caused them, cleared by the next success
    litert.writeExportScript a standalone script doing the same steps, next to the model

Each takes one argument object: {"uri", "model"?, "checkpoint"?, "output"?, "quantize"?,
"inputShape"?}. `inputShape` ("1,16;1,16", or a list of shapes) is how an editor gives the
input shapes when they cannot be inferred: a result that needs them says so with
`needsInputShape` (VS Code then asks with an input box and runs the command again).
The work runs in the export worker (`litert_lsp.jobs.client`): this module awaits its pipe
and never imports a framework. An identical request while one runs joins it. The whole report
goes to the log (the editor's output channel); the message carries a "Reveal" action for the
written file when the client can show documents. The commands are advertised only when the
configured interpreter can import the export stack (checked once with importlib.util.find_spec
there).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path

from litert_lsp.core.findings import Finding, Severity
from litert_lsp.jobs.client import STACKS, WorkerClient, probe_stacks
from litert_lsp.jobs.framework import is_tensorflow
from litert_lsp.jobs.job import ExportRequest, ExportResult
from litert_lsp.jobs.plan import Choice, PlanError, parse_shapes, plan_export
from litert_lsp.jobs.report import export_report, headline
from litert_lsp.jobs.script import render, script_path
from litert_lsp.jobs.verdict import asks_for_shape, for_editor, with_hint
from litert_lsp.models.checkpoint_keys import checkpoint_keys, fits
from litert_lsp.models.checkpoints import Checkpoint, find_checkpoints, folder_distance
from litert_lsp.models.classes import ModelClass
from litert_lsp.models.exportable import models_of
from litert_lsp.server import errors
from litert_lsp.server.app import (  # pygls resolves handler type hints
    Feature,
    LitertServer,
    uri_to_path,
)
from litert_lsp.server.features.settings import SettingsFeature
from litert_lsp.server.features.trust import WorkspaceTrust
from litert_lsp.server.progress import Progress

EXPORT = "litert.export"
CHECK = "litert.checkConversion"
SCRIPT = "litert.writeExportScript"
COMMANDS = (EXPORT, CHECK, SCRIPT)
SOURCE_KIND = types.CodeActionKind.Source + ".litert"
LIGHTBULB_KIND = types.CodeActionKind.Refactor + ".litert"
LENS_CHECKPOINTS = 3  # checkpoints offered per class, nearest first
CHECKPOINT_CACHE_SECONDS = 10.0
USABLE_KINDS = ("state_dict", "safetensors")  # what can be restored into a model class
REVEAL = "Reveal"


class ExportFeature(Feature):
    """Export commands, their lenses and source actions (see the module docstring)."""

    code_action_kinds = (SOURCE_KIND, LIGHTBULB_KIND)

    def __init__(self, server: LitertServer) -> None:
        super().__init__(server)
        self.clients: dict[str, WorkerClient] = {}
        self.stacks: dict[str, dict[str, bool]] = {}
        self.available = False
        # LRT901/902 findings this feature put on each URI, keyed by the URI that was checked.
        self.owned: dict[str, set[str]] = {}
        self._checkpoints: dict[Path, tuple[float, list[Checkpoint]]] = {}
        # Jobs running now, by what they would do: an identical request joins the running one.
        self._running: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._background: set[asyncio.Task[None]] = set()  # "Reveal" questions awaiting an answer
        # Probe the default interpreter while the client is still connecting.
        self._default = sys.executable
        self._probe_thread = threading.Thread(target=self._probe_default, daemon=True)
        self._probe_thread.start()

    def initialize(self, params: types.InitializeParams) -> None:
        _initialize(self, params)

    def _trust(self) -> WorkspaceTrust:
        settings = self.server.get_feature(SettingsFeature)
        assert settings is not None, "the export feature needs the settings feature"
        return settings.trust

    def _probe_default(self) -> None:
        self.stacks[self._default] = probe_stacks(self._default)

    def stack_for(self, python: str) -> dict[str, bool]:
        if python == self._default:
            self._probe_thread.join(35)
        if python not in self.stacks:
            self.stacks[python] = probe_stacks(python)
        return self.stacks[python]

    def python_for(self, uri: str) -> str:
        return self.server.settings_for(uri).python or sys.executable

    def client_for(self, python: str) -> WorkerClient:
        if python not in self.clients:
            self.clients[python] = WorkerClient(python=python)
        return self.clients[python]

    # ---- planning ------------------------------------------------------------------------

    def plan(self, arguments: Mapping[str, Any], write: bool) -> ExportRequest:
        return self.choose(arguments, write).request

    def choose(self, arguments: Mapping[str, Any], write: bool) -> Choice:
        uri = str(arguments.get("uri") or "")
        path = uri_to_path(uri)
        if path is None:
            raise PlanError(f"{uri or 'the command'} is not a file on disk")
        settings = self.server.settings_for(uri)
        root = self.server.workspace_root_for(uri)
        return plan_export(
            path, settings, root,
            model=arguments.get("model"), checkpoint=arguments.get("checkpoint"),
            output=arguments.get("output"), quantize=arguments.get("quantize"),
            input_shapes=_input_shapes(arguments.get("inputShape")),
            write_output=write,
        )

    def checkpoints_near(self, path: Path) -> list[Checkpoint]:
        root = self.server.workspace_root_for(from_fs_path(str(path)) or "") or path.parent
        now = time.monotonic()
        cached = self._checkpoints.get(root)
        if cached is None or now - cached[0] > CHECKPOINT_CACHE_SECONDS:
            cached = (now, find_checkpoints(root, near=path))
            self._checkpoints[root] = cached
        folder = path.parent.resolve()
        # Distance is relative to the file asking; re-sort the shared list for it.
        return sorted(cached[1], key=lambda c: (folder_distance(folder, c.path), str(c.path)))

    # ---- running -------------------------------------------------------------------------

    async def run(self, arguments: Mapping[str, Any], write: bool) -> dict[str, Any]:
        server = self.server
        request_id = server.protocol.msg_id  # for $/cancelRequest (see _watch_cancel)
        uri = str(arguments.get("uri") or "")
        named = server.all_settings_for(uri)
        if named.workspace_named and not await self._trust().ensure(named, server.workspace_root_for(uri)):
            server.show_warning(f"litert-lsp: this workspace is not trusted, so its pyproject.toml settings "
                                f"{named.describe_workspace_named()} are not used")
        try:
            choice = self.choose(arguments, write)
        except PlanError as error:
            message = for_editor(str(error))
            server.show_error(f"litert-lsp: {message}")
            return {"ok": False, "message": message}
        request = choice.request
        python = self.python_for(uri)
        framework = "tensorflow" if is_tensorflow(request) else "torch"
        if not self.stack_for(python).get(framework):
            message = (f"litert-lsp: {python} cannot import the export stack ({', '.join(STACKS[framework])}); "
                       "install litert-lsp[frameworks] there or set litert.python")
            server.show_error(message)
            return {"ok": False, "message": message}
        key = _job_key(python, request)
        running = self._running.get(key)
        if running is not None:
            # A second click, or the same command from a lens and the palette: one job, one answer.
            server.log.info("an identical job for %s is running: this request joins it", request.model or uri)
            return await asyncio.shield(running)
        joined: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._running[key] = joined
        try:
            answer = await self._run_job(uri, choice, python, write, arguments, request_id)
        except BaseException as error:
            if isinstance(error, asyncio.CancelledError):
                joined.cancel()
            else:
                joined.set_exception(error)
                joined.exception()  # retrieved: the requests that joined get it; none may have
            raise
        else:
            joined.set_result(answer)
            return answer
        finally:
            del self._running[key]

    async def _run_job(self, uri: str, choice: Choice, python: str, write: bool,
                       arguments: Mapping[str, Any], request_id: Any) -> dict[str, Any]:
        server = self.server
        request = choice.request
        what = request.model or Path(request.source).name
        title = f"LiteRT: {'exporting' if write else 'checking'} {what}"
        progress = await Progress.start(server, title, token=arguments.get("workDoneToken"), prefix="litert-export")
        client = self.client_for(python)
        watcher = asyncio.ensure_future(self._watch_cancel(progress, client, request_id))

        def on_progress(stage: str, message: str, percent: float | None) -> None:
            progress.report(f"{stage}: {message}", percent)

        try:
            result = await client.export(request, on_progress,
                                         timeout=server.settings_for(uri).export.timeout_seconds)
        finally:
            watcher.cancel()
        result = with_hint(result)
        needs_shape = asks_for_shape(result)
        if needs_shape:
            result.message = for_editor(result.message)
        progress.end("done" if result.ok else f"failed at {result.stage}")
        self.publish_findings(uri, request, result)
        self.report(request, result, write, choice)
        answer = result.to_json()
        if choice.constructor:
            answer["constructor"] = choice.constructor
        if needs_shape:
            answer["needsInputShape"] = True
        return answer

    async def _watch_cancel(self, progress: Progress, client: WorkerClient, request_id: Any = None) -> None:
        # Cancelled from the progress bar, or by $/cancelRequest for the command's request.
        while True:
            await asyncio.sleep(0.1)
            if progress.cancelled() or self.server.protocol.request_cancelled(request_id):
                await client.cancel()
                return

    def publish_findings(self, uri: str, request: ExportRequest, result: ExportResult) -> None:
        """LRT901 on each line a converter blamed (LRT902 on the class for a mismatch);
        a success or a cancel-free failure elsewhere clears what the last check put there."""
        self.publish_all(uri, [(request, result)])

    def publish_all(self, uri: str, outcomes: list[tuple[ExportRequest, ExportResult]]) -> None:
        """`publish_findings` for every model of one file at once: each failing model's
        findings are shown (a line two models blame says so once)."""
        server = self.server
        outcomes = [(q, r) for q, r in outcomes if r.status not in ("cancelled", "timeout")]
        if not outcomes:
            return  # nothing was decided: what the last check showed stays
        by_uri: dict[str, list[Finding]] = {}
        for request, result in outcomes:
            for target, finding in self._converter_findings(uri, request, result):
                same = by_uri.setdefault(target, [])
                if not any((f.line, f.code, f.message) == (finding.line, finding.code, finding.message) for f in same):
                    same.append(finding)
        previous = self.owned.get(uri, set())
        for target in previous | set(by_uri):
            extra = server.extra_findings()
            kept = [f for f in extra.get(target, []) if f.code not in ("LRT901", "LRT902")]
            extra[target] = kept + by_uri.get(target, [])
            if not extra[target]:
                del extra[target]
            server.republish(target)
        self.owned[uri] = set(by_uri)

    def _converter_findings(self, uri: str, request: ExportRequest, result: ExportResult) -> list[tuple[str, Finding]]:
        server = self.server
        found: list[tuple[str, Finding]] = []
        for failure in result.failures:
            target = from_fs_path(failure.path) or uri
            if result.status == "mismatch" and failure.stage == "verify":
                # Where a numerical mismatch starts (the culprit search): LRT902 on that class.
                finding = _finding(server, target, failure.line, "LRT902", failure.message, "verify")
            else:
                finding = _finding(server, target, failure.line, "LRT901",
                                   f"conversion failed ({failure.stage}): {failure.message}", failure.stage)
                if failure.library_path and failure.library_line:
                    # The library line it fails in, shown beside the user's line that reaches it.
                    finding.data["related"] = [{"path": failure.library_path, "line": failure.library_line,
                                                "message": "the library line where conversion fails"}]
            found.append((target, finding))
        if result.status == "mismatch":
            line = _class_line(server, uri, request.model)
            found.append((uri, _finding(server, uri, line, "LRT902", result.message, "verify")))
        return found

    def report(self, request: ExportRequest, result: ExportResult, write: bool, choice: Choice | None = None) -> None:
        """The whole report to the log (the output channel), the headline as a message; a written
        file's message offers "Reveal" when the client can open its folder."""
        server = self.server
        what = request.model or Path(request.source).name
        level = logging.INFO if result.ok or result.status == "cancelled" else logging.WARNING
        server.log.log(level, "%s", export_report(what, result, write, choice.constructor if choice else None,
                                                  choice.notes if choice else None))
        line = f"litert-lsp: {headline(what, result, write)}"
        kind = types.MessageType.Error if not result.ok and result.status != "cancelled" else types.MessageType.Info
        if result.ok and write and result.output and _shows_documents(server):
            task = asyncio.ensure_future(self._offer_reveal(line, Path(result.output)))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        else:  # the log has the line already (the report's first): show it without logging it again
            server.window_show_message(types.ShowMessageParams(type=kind, message=line))

    async def _offer_reveal(self, line: str, output: Path) -> None:
        server = self.server
        try:
            answer = await server.window_show_message_request_async(types.ShowMessageRequestParams(
                type=types.MessageType.Info, message=line, actions=[types.MessageActionItem(title=REVEAL)]))
        except Exception as error:  # noqa: BLE001 - the client may refuse: the report is in the log anyway
            server.log.info("the result message was not shown: %s", error)
            return
        if answer is not None and answer.title == REVEAL:
            folder = from_fs_path(str(output.parent))
            if folder:
                await server.window_show_document_async(types.ShowDocumentParams(uri=folder, external=True))

    def write_script(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        try:
            request = self.plan(arguments, write=True)
        except PlanError as error:
            self.server.show_error(f"litert-lsp: {error}")
            return {"ok": False, "message": str(error)}
        target = Path(arguments["path"]) if arguments.get("path") else script_path(request)
        if target.exists() and not arguments.get("overwrite"):
            self.server.show_error(f"litert-lsp: {target} exists; not overwritten")
            return {"ok": False, "message": f"{target} exists", "path": str(target)}
        from litert_lsp.core.atomic import write_text_atomically

        try:
            text = render(request, target)
        except ValueError as error:
            self.server.show_error(f"litert-lsp: {error}")
            return {"ok": False, "message": str(error)}
        write_text_atomically(text, target)
        self.server.show_info(f"litert-lsp: wrote {target}")
        uri = from_fs_path(str(target))
        if uri:
            self.server.window_show_document(types.ShowDocumentParams(uri=uri, take_focus=True))
        return {"ok": True, "path": str(target)}

    # ---- lenses and actions -----------------------------------------------------------------

    def lenses(self, uri: str) -> list[types.CodeLens]:
        server = self.server
        if not self.available:
            return []
        path = uri_to_path(uri)
        text = server.document_text(uri)
        if path is None or text is None or path.suffix != ".py":
            return []
        models, framework = self.models_in(uri, text)
        if not models:
            return []
        root = server.workspace_root_for(uri) or path.parent
        usable = [c for c in self.checkpoints_near(path) if _usable(c, framework)]
        lenses = []
        for model in models:
            line = model.line - 1
            where = types.Range(start=types.Position(line=line, character=0),
                                end=types.Position(line=line, character=0))
            lenses.append(_lens(where, f"Export {model.name}", EXPORT, {"uri": uri, "model": model.name}))
            for checkpoint in [c for c in usable if _fits(c, model)][:LENS_CHECKPOINTS]:
                # A TF2 checkpoint is named by its prefix (ckpt/ckpt-3), as tf.train names it.
                target = _prefix(checkpoint.path) if checkpoint.kind == "tf_checkpoint" else checkpoint.path
                label = _relative(target, root)
                lenses.append(_lens(where, f"Export {model.name} with {label}", EXPORT,
                                    {"uri": uri, "model": model.name, "checkpoint": str(target)}))
            lenses.append(_lens(where, "Check conversion", CHECK, {"uri": uri, "model": model.name}))
        return lenses

    def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction | types.Command]:
        server = self.server
        if not self.available:
            return []
        uri = params.text_document.uri
        text = server.document_text(uri)
        if text is None:
            return []
        first, last = params.range.start.line + 1, params.range.end.line + 1
        only = params.context.only
        actions = []
        for model in self.models_in(uri, text)[0]:
            if model.line > last or model.end_line < first:
                continue
            # On the class line they are also offered as `refactor.litert`, which editors show
            # in the light-bulb / Ctrl+. menu (they keep `source.*` for the Source Action menu).
            kinds = [SOURCE_KIND] + ([LIGHTBULB_KIND] if first <= model.line <= last else [])
            kind = next((k for k in kinds if _wanted(k, only)), None)
            if kind is None:
                continue
            arguments = {"uri": uri, "model": model.name}
            for title, command in (
                (f"Export {model.name} to a verified .tflite", EXPORT),
                (f"Check that {model.name} converts to LiteRT", CHECK),
                (f"Write a standalone export script for {model.name}", SCRIPT),
            ):
                actions.append(types.CodeAction(
                    title=title, kind=kind if only else kinds[-1],
                    command=types.Command(title=title, command=command, arguments=[arguments]),
                ))
        return actions

    def models_in(self, uri: str, text: str) -> tuple[list[ModelClass], str]:
        """The models a lens/action is offered for, and their framework: PyTorch classes, else
        Keras models (subclasses and builder functions), each only when the configured
        interpreter can run that framework's export."""
        found = models_of(text)
        if not found.exported or not self.stack_for(self.python_for(uri)).get(found.framework):
            return [], found.framework
        return found.exported, found.framework


# ---- helpers ---------------------------------------------------------------------------------


def _usable(checkpoint: Checkpoint, framework: str) -> bool:
    if framework == "torch":
        return checkpoint.kind in USABLE_KINDS
    # Only weights files: a full-model .h5 already holds its own graph.
    return checkpoint.kind == "tf_checkpoint" or (checkpoint.kind == "h5" and checkpoint.path.name.endswith(".weights.h5"))


def _fits(checkpoint: Checkpoint, model: ModelClass) -> bool:
    """Whether the checkpoint's keys can restore into `model` (PyTorch weights read without
    unpickling); a class whose state-dict names cannot be told statically takes any."""
    if checkpoint.framework != "torch" or model.state_names is None:
        return True
    keys = checkpoint_keys(checkpoint.path)
    return keys is not None and fits(keys, model.state_names)


def _input_shapes(given: Any) -> list[list[int]] | None:
    """The `inputShape` argument: "1,16;1,16", [1, 16] or [[1, 16], [1, 16]]."""
    if given in (None, "", []):
        return None
    if isinstance(given, str):
        return parse_shapes(given)
    if isinstance(given, list) and all(isinstance(d, int) for d in given):
        given = [given]
    if isinstance(given, list) and all(isinstance(s, list) and all(isinstance(d, int) for d in s) for s in given):
        return parse_shapes(";".join(",".join(str(d) for d in s) for s in given))
    raise PlanError(f"inputShape {given!r} is not a shape: give it like \"1,3,224,224\" or \"1,16;1,16\"")


def _job_key(python: str, request: ExportRequest) -> str:
    """What makes two jobs the same: the interpreter and every field of the request."""
    fields = request.to_json()
    fields.pop("job_token", None)
    return json.dumps([python, fields], sort_keys=True, default=str)


def _shows_documents(server: LitertServer) -> bool:
    window = server.client_capabilities.window
    return bool(window and window.show_document and window.show_document.support)


def _prefix(index: Path) -> Path:
    return index.with_name(index.name.removesuffix(".index"))


def _lens(where: types.Range, title: str, command: str, arguments: dict[str, Any]) -> types.CodeLens:
    return types.CodeLens(range=where, command=types.Command(title=title, command=command, arguments=[arguments]))


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def _line_text(server: LitertServer, uri: str, line: int) -> str:
    text = server.document_text(uri)
    if text is None:
        path = uri_to_path(uri)
        try:
            text = path.read_text(encoding="utf-8", errors="replace") if path else ""
        except OSError:
            text = ""
    lines = text.splitlines()
    return lines[line - 1] if 0 < line <= len(lines) else ""


def _finding(server: LitertServer, uri: str, line: int, code: str, message: str, stage: str) -> Finding:
    text = _line_text(server, uri, line)
    start = len(text) - len(text.lstrip())
    return Finding(line, start, line, max(len(text.rstrip()), start), Severity.ERROR, code, message,
                   data={"stage": stage})


def _class_line(server: LitertServer, uri: str, model: str | None) -> int:
    text = server.document_text(uri) or ""
    found = models_of(text).named(model)
    return found.line if found is not None else 1


def _initialize(features: ExportFeature, params: types.InitializeParams) -> None:
    # Runs before the capabilities are computed: register (advertise) the commands only
    # when the configured interpreter can run exports.
    # Never runs an interpreter a workspace file names: that waits for trust (see trust.py)
    # and for an export that needs it; such a workspace gets the commands, checked then.
    server = features.server
    root = params.root_uri or (from_fs_path(params.root_path) if params.root_path else None)
    settings = server.all_settings_for(f"{root.rstrip('/')}/_.py" if root else "")
    python = settings.without_workspace_risks().python or sys.executable
    features.available = any(features.stack_for(python).values()) or "python" in settings.workspace_named
    if not features.available:
        server.log.info("export commands not offered: %s cannot import the export stack", python)
        return
    if EXPORT in server.protocol.fm.commands:
        return

    @server.command(EXPORT)
    @errors.user_command(server, EXPORT)
    async def export(ls: LitertServer, *arguments: Any) -> dict[str, Any]:
        return await features.run(_arguments(arguments), write=True)

    @server.command(CHECK)
    @errors.user_command(server, CHECK)
    async def check(ls: LitertServer, *arguments: Any) -> dict[str, Any]:
        return await features.run(_arguments(arguments), write=False)

    @server.command(SCRIPT)
    @errors.user_command(server, SCRIPT)
    def write_script(ls: LitertServer, *arguments: Any) -> dict[str, Any]:
        return features.write_script(_arguments(arguments))


def _wanted(kind: str, only: list[str] | None) -> bool:
    """Whether a client that asked for `only` these kinds wants `kind` (kinds are dotted
    hierarchies: asking for `source` includes `source.litert`)."""
    return not only or any(kind == str(k) or kind.startswith(f"{k}.") for k in only)


def _arguments(arguments: tuple[Any, ...]) -> Mapping[str, Any]:
    if len(arguments) == 1 and isinstance(arguments[0], (list, tuple)):
        arguments = tuple(arguments[0])  # some clients wrap the list once more
    first = arguments[0] if arguments else {}
    return first if isinstance(first, Mapping) else {"uri": str(first)}
