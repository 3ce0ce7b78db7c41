"""The server object: pygls' LanguageServer, a registry of features, and the roles they play.

A feature (`server/features/<name>.py`) is one `Feature` subclass: it declares its LSP
handlers in `register()` and overrides the hooks it needs (`initialize`, `initialized`,
`saved`, `idle`, `lenses`, `hover_parts`, `code_actions`). Features find each other through the registry,
`server.get_feature(SomeFeature)`, never through attributes set on the server. Two roles are
declared here because the server itself relies on them: `SettingsProvider` (the settings of
a document, as workspace trust allows) and `DiagnosticsProvider` (current findings, extra
findings from real conversions, the position encoding). This module imports no feature.
"""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from litert_lsp import __version__
from litert_lsp.server import errors
from litert_lsp.server.protocol import LitertProtocol

if TYPE_CHECKING:
    from pygls.workspace import TextDocument

    from litert_lsp.core.findings import Finding
    from litert_lsp.core.settings import Settings

NAME = "litert-lsp"
PYTHON_SUFFIXES = (".py", ".pyi")

log = logging.getLogger("litert_lsp.server")

F = TypeVar("F", bound="Feature")


_RUNNING: set[Any] = set()


def keep(task: Any) -> Any:
    """Hold a fire-and-forget task until it ends (the event loop keeps only weak references)."""
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)
    return task


class Feature:
    """One capability of the server. Override what applies; every hook is optional."""

    # Code action kinds this feature returns (advertised at initialize).
    code_action_kinds: tuple[str, ...] = ()

    def __init__(self, server: LitertServer) -> None:
        self.server = server

    def register(self) -> None:
        """Declare this feature's LSP handlers (`server.feature`, `server.command`)."""

    def initialize(self, params: types.InitializeParams) -> None:
        """Before the capabilities are computed."""

    async def initialized(self) -> None:
        """After the client's `initialized` notification (dynamic registrations...)."""

    def saved(self, uri: str) -> None:
        """After a document was saved."""

    def changed(self, params: types.DidChangeTextDocumentParams) -> None:
        """After an open document's edits were applied (before its diagnostics are rescheduled)."""

    def idle(self) -> None:
        """When no client message is waiting (the transport calls it)."""

    def lenses(self, uri: str) -> list[types.CodeLens]:  # noqa: ARG002 - the default offers none
        return []

    def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction | types.Command]:  # noqa: ARG002
        return []

    def hover_parts(self, uri: str, position: types.Position, markdown: bool) -> list[str]:  # noqa: ARG002
        """Paragraphs this feature adds to the hover at `position` (markdown when `markdown`)."""
        return []


class SettingsProvider(Feature):
    """The role of the settings feature."""

    def settings_for(self, uri: str) -> Settings:
        raise NotImplementedError

    def all_settings_for(self, uri: str) -> Settings:
        raise NotImplementedError


class DiagnosticsProvider(Feature):
    """The role of the diagnostics feature."""

    def __init__(self, server: LitertServer) -> None:
        super().__init__(server)
        # Findings from outside the analyzer (LRT901 from a real conversion), per URI; merged
        # into that document's diagnostics after settings filtering. Assign, then republish.
        self.extra_findings: dict[str, list[Finding]] = {}

    def findings_for(self, uri: str) -> list[Finding]:
        raise NotImplementedError

    def republish(self, uri: str | None = None) -> None:
        raise NotImplementedError

    def encoding(self) -> str:
        return "utf-16"

    def hold(self) -> None:
        """Publish nothing until `release` (while the editor's settings are being read)."""

    def release(self) -> None:
        """Publish what `hold` kept back."""


class LitertServer(LanguageServer):
    """The language server: features registered with `add_feature`, found with `get_feature`."""

    def __init__(self) -> None:
        super().__init__(
            NAME,
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=LitertProtocol,
            max_workers=4,
        )
        self.log = logging.getLogger("litert_lsp.server")
        self._features: list[Feature] = []
        # Set by the stdio transport: whether more client messages are already waiting.
        self.input_pending: Callable[[], bool] = lambda: False
        self._register_lifecycle()

    # ---- the registry ----------------------------------------------------------------------

    def add_feature(self, feature: Feature) -> Feature:
        if any(type(known) is type(feature) for known in self._features):
            raise ValueError(f"{type(feature).__name__} is already registered")
        self._features.append(feature)
        return feature

    def get_feature(self, kind: type[F]) -> F | None:
        """The registered feature that is a `kind` (a feature class or a role), or None."""
        return next((f for f in self._features if isinstance(f, kind)), None)

    def features(self) -> Iterator[Feature]:
        return iter(list(self._features))

    def register_features(self) -> None:
        """Let every added feature declare its handlers (a failing one is logged and skipped,
        so a broken export feature never takes diagnostics down with it)."""
        for feature in self.features():
            errors.guarded(self, f"registering {type(feature).__name__}", feature.register)

    def each(self, hook: str, *arguments: Any) -> list[Any]:
        """Call `hook` on every feature; an exception is logged and the rest still run."""
        results = []
        for feature in self.features():
            outcome = errors.guarded(self, f"{type(feature).__name__}.{hook}", getattr(feature, hook), *arguments)
            if outcome is not None:
                results.append(outcome)
        return results

    def _register_lifecycle(self) -> None:
        @self.feature(types.INITIALIZE)
        def on_initialize(ls: LitertServer, params: types.InitializeParams) -> None:
            ls.each("initialize", params)

        @self.feature(types.INITIALIZED)
        async def on_initialized(ls: LitertServer, _params: types.InitializedParams) -> None:
            ls.log.info("%s %s ready (pid %s)", NAME, __version__, os.getpid())
            _prewarm()
            for feature in ls.features():
                try:
                    outcome = feature.initialized()
                    if inspect.isawaitable(outcome):
                        await outcome
                except Exception as error:  # noqa: BLE001 - logged by the error layer
                    errors.log_error(ls, f"{type(feature).__name__}.initialized", error)

    # ---- what the features share ---------------------------------------------------------

    def settings_for(self, uri: str) -> Settings:
        """The settings for `uri` as the workspace's trust allows."""
        provider = self.get_feature(SettingsProvider)
        if provider is None:
            from litert_lsp.core.settings import Settings

            return Settings()
        return provider.settings_for(uri)

    def all_settings_for(self, uri: str) -> Settings:
        """Every setting for `uri`, including risky ones a workspace file named that trust has
        not yet allowed: only for saying what would be used, or for asking for trust."""
        provider = self.get_feature(SettingsProvider)
        if provider is None:
            from litert_lsp.core.settings import Settings

            return Settings()
        return provider.all_settings_for(uri)

    def workspace_root_for(self, uri: str) -> Path | None:
        path = uri_to_path(uri)
        folders = []
        try:
            folders = [uri_to_path(f.uri) for f in self.workspace.folders.values()]
            root_path = self.workspace.root_path
        except RuntimeError:  # not initialized yet
            root_path = None
        if path is not None:
            containing = [f for f in folders if f is not None and _is_within(path, f)]
            if containing:
                return max(containing, key=lambda f: len(f.parts))
            if root_path and _is_within(path, Path(root_path)):
                return Path(root_path)
            from litert_lsp.core.settings import find_project_root

            project = find_project_root(path.parent)
            if project is not None:
                return project
        if root_path:
            return Path(root_path)
        return next((f for f in folders if f is not None), None)

    def republish(self, uri: str | None = None) -> None:
        if (diagnostics := self.get_feature(DiagnosticsProvider)) is not None:
            diagnostics.republish(uri)

    def analysis_for(self, uri: str) -> list[Finding]:
        diagnostics = self.get_feature(DiagnosticsProvider)
        return diagnostics.findings_for(uri) if diagnostics is not None else []

    def extra_findings(self) -> dict[str, list[Finding]]:
        """The diagnostics feature's findings from real conversions, per URI (mutable)."""
        diagnostics = self.get_feature(DiagnosticsProvider)
        return diagnostics.extra_findings if diagnostics is not None else {}

    def position_encoding(self) -> str:
        diagnostics = self.get_feature(DiagnosticsProvider)
        return diagnostics.encoding() if diagnostics is not None else "utf-16"

    def document_text(self, uri: str) -> str | None:
        document = self.open_document(uri)
        return None if document is None else document.source

    def refresh_code_lenses(self) -> None:
        capabilities = self.client_capabilities.workspace
        if capabilities and capabilities.code_lens and capabilities.code_lens.refresh_support:
            self.workspace_code_lens_refresh(None)

    def show_error(self, message: str) -> None:
        self.log.error("%s", message)
        self.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=message))

    def show_warning(self, message: str) -> None:
        self.log.warning("%s", message)
        self.window_show_message(types.ShowMessageParams(type=types.MessageType.Warning, message=message))

    def show_info(self, message: str) -> None:
        self.log.info("%s", message)
        self.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=message))

    # ---- helpers for the feature modules ----------------------------------------------------

    def open_document(self, uri: str) -> TextDocument | None:
        """The open document, or None (never a document read from disk)."""
        try:
            return self.workspace.text_documents.get(unquote(uri))
        except RuntimeError:  # not initialized yet
            return None

    def on_input_idle(self) -> None:
        self.each("idle")

    def report_server_error(self, error: Exception, source: Any) -> None:
        # pygls calls this for every handler exception; one layer decides what the user sees.
        errors.log_error(self, getattr(source, "__name__", str(source)), error)


def _prewarm() -> None:
    """Import what the first document needs, once the initialize result is out (these are
    imported lazily so that answering `initialize` does not wait for them)."""
    import litert_lsp.analysis
    import litert_lsp.core.settings
    import litert_lsp.kb  # noqa: F401 - imported for its side effect: loaded before the first edit


def is_python_document(document: TextDocument) -> bool:
    if document.language_id == "python":
        return True
    return str(document.uri).split("?", 1)[0].endswith(PYTHON_SUFFIXES)


def uri_to_path(uri: str) -> Path | None:
    """The local path of a file: URI, or None for other schemes."""
    if not uri.startswith("file:"):
        return None
    try:
        path = to_fs_path(uri)
    except (ValueError, TypeError, IndexError):
        return None
    return Path(path) if path else None


def _is_within(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True
