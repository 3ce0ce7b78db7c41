"""Diagnostics: document lifecycle, analysis scheduling, push and pull.

Scheduling, in order of what matters:
- A change marks the document dirty; analysis runs once no more client messages are
  waiting (the stdio transport knows), so a burst of edits costs one analysis, not one per
  keystroke, and a lone edit is analyzed at once (no fixed debounce delay to pay).
- Analysis of normal files runs on the event loop: the incremental analyzer takes
  milliseconds, and a thread hop would cost more than it saves. Very large documents go to
  one dedicated analysis thread (never pygls' pool, which also reads stdin).
- Results carry the version they were computed for; a result older than the document is
  dropped, and nothing is published with a lower version than was already published.
- Clients that pull (`textDocument/diagnostic`) get pulled reports and no pushes, so they
  never see the same problem twice.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import from_fs_path

from litert_lsp.core.settings import Settings
from litert_lsp.core.text import column_to_client, split_lines

# Imported at run time: pygls reads handlers' annotations with get_type_hints.
from litert_lsp.server.app import DiagnosticsProvider, LitertServer, is_python_document, keep, uri_to_path

if TYPE_CHECKING:
    from litert_lsp.analysis import DocumentAnalyzer
    from litert_lsp.core.findings import Finding

SOURCE = "litert"
# What the converter and runtime found (the background conversion check, "Check conversion"):
# a source of its own, so the Problems panel tells measured truth from static analysis.
CONVERT_SOURCE = "litert-convert"
CONVERT_CODES = frozenset({"LRT901", "LRT902"})


def source_of(code: str) -> str:
    return CONVERT_SOURCE if code in CONVERT_CODES else SOURCE
# Documents larger than this (characters) are analyzed off the event loop.
BIG_DOCUMENT = 400_000
# During a never-ending stream of messages, analyze at least this often (seconds).
MAX_DEFER = 0.3
# Longest wait for the editor's settings before the first diagnostics go out anyway.
HOLD_MAX = 2.0


@dataclass
class Result:
    version: int | None
    generation: int
    findings: list[Finding]
    source: str = ""  # the text the findings belong to
    encoding: str = "utf-16"
    docs_url: str | None = None  # the `docs-url` setting: where the code links point
    _diagnostics: list[types.Diagnostic] | None = None
    _lines: list[str] | None = None

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = split_lines(self.source)
        return self._lines

    @property
    def result_id(self) -> str:
        return f"{self.version}.{self.generation}"

    @property
    def diagnostics(self) -> list[types.Diagnostic]:
        """As lsprotocol objects (pull reports, code actions); built on first use."""
        if self._diagnostics is None:
            self._diagnostics = [to_diagnostic(f, self.lines, self.encoding, self.docs_url) for f in self.findings]
        return self._diagnostics


class DiagnosticsEngine(DiagnosticsProvider):
    """The diagnostics feature (see the module docstring)."""

    def __init__(self, server: LitertServer) -> None:
        super().__init__(server)
        self.analyzers: dict[str, DocumentAnalyzer] = {}
        self.results: dict[str, Result] = {}
        self.published_version: dict[str, int] = {}
        self.pending: dict[str, float] = {}
        self.jobs: dict[str, asyncio.Future[Any]] = {}
        # Bumped whenever something other than the text changes the answer (settings,
        # extra findings), so cached results and pull result ids go stale.
        self.generation = 0
        self.pull_mode = False
        # Until the editor's settings have been read, hold pushes back (at most HOLD_MAX
        # seconds), so a file never flashes diagnostics that its settings would change.
        self.holding = False
        self._armed = False
        self._timer: asyncio.TimerHandle | None = None
        self._pool: ThreadPoolExecutor | None = None
        # uri -> {finding: its diagnostic as JSON}: on a keystroke most findings are the same
        # objects as before, so the protocol JSON for them is reused, not rebuilt.
        self._json: dict[str, dict[tuple[Finding, Any], str]] = {}
        # uri -> (generation, settings, excluded): path checks touch the disk; settings
        # changes bump the generation.
        self._scope: dict[str, tuple[int, Any, bool]] = {}

    # ---- feature hooks ----------------------------------------------------------------------

    def register(self) -> None:
        _register(self)

    def initialize(self, params: types.InitializeParams) -> None:
        _initialize(self, params)

    def idle(self) -> None:
        self.on_idle()

    # ---- scheduling ------------------------------------------------------------------------

    def schedule(self, uri: str) -> None:
        self.pending.setdefault(uri, time.monotonic())
        if not self._armed:
            self._armed = True
            asyncio.get_running_loop().call_soon(self._tick)

    def _tick(self) -> None:
        self._armed = False
        if not self.pending:
            return
        if self.server.input_pending():
            waited = time.monotonic() - min(self.pending.values())
            if waited < MAX_DEFER:
                # The transport calls on_idle once the waiting messages are handled; the
                # timer bounds the wait if the client never stops sending.
                if self._timer is None:
                    self._timer = asyncio.get_running_loop().call_later(MAX_DEFER - waited, self._force)
                return
        self.flush()

    def _force(self) -> None:
        self._timer = None
        self.flush()

    def on_idle(self) -> None:
        if self.pending:
            self.flush()

    def hold(self) -> None:
        self.holding = True
        asyncio.get_running_loop().call_later(HOLD_MAX, self.release)

    def release(self) -> None:
        if self.holding:
            self.holding = False
            if self.pending:
                self.flush()

    def flush(self) -> None:
        if self.holding:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for uri in list(self.pending):
            if uri in self.jobs:
                continue  # the running job re-checks `pending` when it ends
            self.pending.pop(uri, None)
            try:
                self._run(uri)
            except Exception:
                self.server.log.exception("analysis of %s failed", uri)

    # ---- analysis --------------------------------------------------------------------------

    def _run(self, uri: str) -> None:
        document = self.server.open_document(uri)
        if document is None:
            return
        version, source = document.version, document.source
        if len(source) < BIG_DOCUMENT or not is_python_document(document):
            self._store(uri, version, source, self._findings(uri, source))
            return
        loop = asyncio.get_running_loop()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="litert-analysis")
        job = loop.run_in_executor(self._pool, self._findings, uri, source)
        self.jobs[uri] = job
        job.add_done_callback(lambda done: self._job_done(uri, version, source, done))

    def _job_done(self, uri: str, version: int | None, source: str, job: asyncio.Future[Any]) -> None:
        self.jobs.pop(uri, None)
        try:
            findings = job.result()
        except Exception:
            self.server.log.exception("analysis of %s failed", uri)
            findings = None
        document = self.server.open_document(uri)
        if findings is not None and document is not None and document.version == version:
            self._store(uri, version, source, findings)
        if self.pending:
            self.schedule(next(iter(self.pending)))

    def _findings(self, uri: str, source: str) -> list[Finding]:
        """Everything to show for `source`: analyzer findings through the settings, plus the
        extra findings. Runs on the loop or on the analysis thread; never raises."""
        document = self.server.open_document(uri)
        if document is None or not is_python_document(document):
            return []
        path = uri_to_path(uri)
        scope = self._scope.get(uri)
        if scope is None or scope[0] != self.generation:
            settings = self.server.settings_for(uri)
            root = self.server.workspace_root_for(uri)
            scope = self._scope[uri] = (self.generation, settings,
                                        path is not None and settings.is_excluded(path, root))
        settings = scope[1]
        if scope[2]:
            return []
        analyzer = self.analyzers.get(uri)
        if analyzer is None:
            from litert_lsp.analysis import DocumentAnalyzer

            analyzer = self.analyzers[uri] = DocumentAnalyzer(str(path) if path else uri)
        try:
            found = analyzer.analyze(source)
        except Exception:
            # The analyzer promises never to raise; if it does, start it afresh next time.
            self.server.log.exception("the analyzer failed on %s", uri)
            self.analyzers.pop(uri, None)
            found = []
        extra = self.extra_findings.get(uri) or []
        return settings.apply([*found, *extra], path)

    def _store(self, uri: str, version: int | None, source: str, findings: list[Finding]) -> Result:
        scope = self._scope.get(uri)
        docs_url = scope[1].docs_url if scope is not None else None
        result = Result(version, self.generation, findings, source, encoding=self.encoding(), docs_url=docs_url)
        self.results[uri] = result
        self._publish(uri, result)
        return result

    def _publish(self, uri: str, result: Result) -> None:
        if self.pull_mode:
            return
        if result.version is not None:
            if result.version < self.published_version.get(uri, -1):
                return
            self.published_version[uri] = result.version
        # Built by hand from cached per-finding JSON: serializing hundreds of diagnostics
        # through cattrs on every keystroke would cost more than analyzing the edit.
        previous = self._json.get(uri, {})
        current: dict[tuple[Finding, Any], str] = {}
        parts = []
        source = result.source
        # For ASCII text a finding's client range depends only on the finding and on where
        # the document ends (clamping); no need to split the text into lines at all.
        ascii_end = source.count("\n") + source.count("\r") - source.count("\r\n") if source.isascii() else None
        for finding in result.findings:
            key = (finding, ascii_end if ascii_end is not None else _context(finding, result.lines), result.docs_url)
            encoded = previous.get(key)
            if encoded is None:
                encoded = diagnostic_json(finding, result.lines, result.encoding, result.docs_url)
            current[key] = encoded
            parts.append(encoded)
        self._json[uri] = current
        version = "null" if result.version is None else str(int(result.version))
        params = '{"uri":' + json.dumps(uri) + ',"version":' + version + ',"diagnostics":[' + ",".join(parts) + "]}"
        send_raw_notification(self.server, types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, params)

    def encoding(self) -> str:
        try:
            return str(self.server.workspace.position_encoding or "utf-16")
        except RuntimeError:
            return "utf-16"

    # ---- what the other features ask ---------------------------------------------------------

    def current(self, uri: str) -> Result | None:
        """An up-to-date result for an open document, analyzing on the loop if needed."""
        document = self.server.open_document(uri)
        if document is None:
            return None
        result = self.results.get(uri)
        if result is not None and result.version == document.version and result.generation == self.generation:
            return result
        if uri in self.jobs:
            return result  # a large document is being analyzed: the last result is what we have
        if len(document.source) >= BIG_DOCUMENT and is_python_document(document):
            self.schedule(uri)  # never analyze a large document on the loop; answer with what we have
            return result
        self.pending.pop(uri, None)
        return self._store(uri, document.version, document.source, self._findings(uri, document.source))

    async def current_async(self, uri: str) -> Result | None:
        """Like `current`, but waits for (and may start) off-loop analysis of large files."""
        for _ in range(3):
            job = self.jobs.get(uri)
            if job is not None:
                await asyncio.wait([job])
                continue
            document = self.server.open_document(uri)
            if document is None:
                return None
            result = self.results.get(uri)
            if result is not None and result.version == document.version and result.generation == self.generation:
                return result
            if len(document.source) < BIG_DOCUMENT:
                return self.current(uri)
            self.pending.pop(uri, None)
            self._run(uri)
        return self.results.get(uri)

    def findings_for(self, uri: str) -> list[Finding]:
        result = self.current(uri)
        return list(result.findings) if result else []

    def republish(self, uri: str | None = None) -> None:
        self.generation += 1
        uris = [uri] if uri else list(self.server.workspace.text_documents)
        for each in uris:
            if self.server.open_document(each) is not None:
                self.schedule(each)
        if self.pull_mode:
            capabilities = self.server.client_capabilities.workspace
            if capabilities and capabilities.diagnostics and capabilities.diagnostics.refresh_support:
                self.server.workspace_diagnostic_refresh(None)

    def forget(self, uri: str) -> None:
        self._json.pop(uri, None)
        self._scope.pop(uri, None)
        self.analyzers.pop(uri, None)
        self.results.pop(uri, None)
        self.pending.pop(uri, None)
        self.published_version.pop(uri, None)


def _context(finding: Finding, lines: list[str]) -> str | None:
    """What a finding's client range depends on besides the finding: the text of its lines
    when they are not ASCII (UTF-16 columns differ from code points there)."""
    last = len(lines) - 1
    if last < 0:
        return None
    first = lines[min(max(finding.line - 1, 0), last)]
    end = lines[min(max(finding.end_line - 1, 0), last)]
    if first.isascii() and end.isascii() and finding.end_line - 1 <= last:
        return None
    return first + "\n" + end + f"\n{last}"


def diagnostic_json(finding: Finding, lines: list[str], encoding: str, docs_url: str | None = None) -> str:
    """The protocol JSON of one diagnostic (same content as `to_diagnostic`)."""
    diagnostic = to_diagnostic(finding, lines, encoding, docs_url)
    start, end = diagnostic.range.start, diagnostic.range.end
    record: dict[str, Any] = {
        "range": {
            "start": {"line": start.line, "character": start.character},
            "end": {"line": end.line, "character": end.character},
        },
        "message": diagnostic.message,
        "severity": int(diagnostic.severity or 1),
        "code": diagnostic.code,
        "source": diagnostic.source or SOURCE,
    }
    if diagnostic.code_description is not None:
        record["codeDescription"] = {"href": diagnostic.code_description.href}
    if diagnostic.data:
        record["data"] = diagnostic.data
    return json.dumps(record)


def send_raw_notification(server: LitertServer, method: str, params_json: str) -> None:
    """Send a notification whose params are already JSON text."""
    writer = server.protocol.writer
    if writer is None:
        return
    body = ('{"jsonrpc":"2.0","method":' + json.dumps(method) + ',"params":' + params_json + "}").encode("utf-8")
    data = b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    outcome = writer.write(data)
    if inspect.isawaitable(outcome):
        keep(asyncio.ensure_future(outcome))


def to_diagnostic(finding: Finding, lines: list[str], encoding: str,
                  docs_url: str | None = None) -> types.Diagnostic:
    """A finding as an LSP diagnostic, its range clamped inside the document; its code
    links under `docs_url` (the `docs-url` setting) when set."""
    last = len(lines) - 1
    start_line = min(max(finding.line - 1, 0), last)
    end_line = min(max(finding.end_line - 1, start_line), last)
    start = column_to_client(lines[start_line], finding.column, encoding)
    end = column_to_client(lines[end_line], finding.end_column, encoding)
    if end_line == start_line and end < start:
        end = start
    data: dict[str, Any] = {}
    if finding.op:
        data["op"] = finding.op
    if finding.status:
        data["status"] = finding.status
    if finding.data.get("rewrite"):
        data["rewrite"] = finding.data["rewrite"]
    related = [_related(place) for place in finding.data.get("related", [])]
    return types.Diagnostic(
        range=types.Range(
            start=types.Position(line=start_line, character=start),
            end=types.Position(line=end_line, character=end),
        ),
        message=finding.message,
        severity=types.DiagnosticSeverity(int(finding.severity)),
        code=finding.code,
        code_description=_code_description(finding.code, docs_url),
        source=source_of(finding.code),
        data=data or None,
        related_information=related or None,
    )


def _related(place: dict[str, Any]) -> types.DiagnosticRelatedInformation:
    """Another place a finding is about (e.g. the library line a conversion fails in)."""
    # Lines are 1-based; columns (when given) count characters, which is exact for the ASCII
    # code these places are in (the other file is not open, so its text cannot be re-encoded).
    line = max(int(place["line"]) - 1, 0)
    start = types.Position(line=line, character=int(place.get("column", 0)))
    end = types.Position(line=max(int(place.get("end_line", place["line"])) - 1, line),
                         character=int(place.get("end_column", place.get("column", 0))))
    return types.DiagnosticRelatedInformation(
        location=types.Location(uri=from_fs_path(place["path"]) or place["path"], range=types.Range(start=start, end=end)),
        message=place["message"])


def _code_description(code: str, docs_url: str | None = None) -> types.CodeDescription | None:
    """The link editors show on the code (VS Code makes `LRT202` clickable)."""
    link = Settings(docs_url=docs_url).docs_link(code)
    return types.CodeDescription(href=link) if link else None


def _initialize(engine: DiagnosticsEngine, params: types.InitializeParams) -> None:
    capabilities = params.capabilities.text_document
    supports_pull = bool(capabilities and capabilities.diagnostic is not None)
    options = params.initialization_options if isinstance(params.initialization_options, dict) else {}
    mode = str(options.get("diagnosticMode") or options.get("diagnostic_mode") or "auto").lower()
    engine.pull_mode = supports_pull if mode == "auto" else mode == "pull"
    engine.server.log.info("diagnostics are %s", "pulled by the client" if engine.pull_mode else "pushed")


def _register(engine: DiagnosticsEngine) -> None:
    server = engine.server

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: LitertServer, params: types.DidOpenTextDocumentParams) -> None:
        uri = params.text_document.uri
        engine.forget(uri)
        engine.schedule(uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: LitertServer, params: types.DidChangeTextDocumentParams) -> None:
        if ls.open_document(params.text_document.uri) is not None:
            ls.each("changed", params)  # e.g. converter findings follow the edit
            engine.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    def did_save(ls: LitertServer, params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        if ls.open_document(uri) is not None:
            engine.schedule(uri)
        ls.each("saved", uri)  # e.g. settings re-read a saved pyproject.toml

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: LitertServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        was_published = uri in engine.published_version
        engine.forget(uri)
        if was_published and not engine.pull_mode:
            # Clear what we showed; the workspace check may publish for it again.
            ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(identifier=SOURCE, inter_file_dependencies=False, workspace_diagnostics=False),
    )
    async def pull(ls: LitertServer, params: types.DocumentDiagnosticParams) -> types.DocumentDiagnosticReport:
        result = await engine.current_async(params.text_document.uri) if engine.pull_mode else None
        if result is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        if params.previous_result_id == result.result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result.result_id)
        return types.RelatedFullDocumentDiagnosticReport(items=result.diagnostics, result_id=result.result_id)
