"""The server object: pygls' LanguageServer plus the hooks the feature modules share."""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from litert_lsp import __version__
from litert_lsp.server.protocol import LitertProtocol
from litert_lsp.server.trust import WorkspaceTrust

if TYPE_CHECKING:
    from pygls.workspace import TextDocument

    from litert_lsp.core.findings import Finding
    from litert_lsp.core.settings import Settings
    from litert_lsp.server.diagnostics import DiagnosticsEngine
    from litert_lsp.server.settings import SettingsStore

NAME = "litert-lsp"
PYTHON_SUFFIXES = (".py", ".pyi")

log = logging.getLogger("litert_lsp.server")


class LitertServer(LanguageServer):
    """The language server, with the hooks documented in `litert_lsp.server`."""

    def __init__(self) -> None:
        super().__init__(
            NAME,
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=LitertProtocol,
            max_workers=4,
        )
        self.log = logging.getLogger("litert_lsp.server")
        self.extra_findings: dict[str, list[Finding]] = {}
        self.lens_providers: list[Callable[[LitertServer, str], list[types.CodeLens]]] = []
        self.saved_listeners: list[Callable[[LitertServer, str], None]] = []
        self.code_action_providers: list[
            Callable[[LitertServer, types.CodeActionParams], list[types.CodeAction | types.Command]]
        ] = []
        self.code_action_kinds: list[str] = []
        # Set by the feature modules in register().
        self.diagnostics: DiagnosticsEngine | None = None
        self.settings_store: SettingsStore | None = None
        self.trust = WorkspaceTrust(self)
        # Set by the stdio transport: whether more client messages are already waiting.
        self.input_pending: Callable[[], bool] = lambda: False
        self.idle_callbacks: list[Callable[[], None]] = []
        # Called with the InitializeParams before capabilities are computed, and (possibly
        # async) after the client's `initialized` notification.
        self.initialize_hooks: list[Callable[[types.InitializeParams], None]] = []
        self.initialized_hooks: list[Callable[[], Any]] = []
        self._register_lifecycle()

    def _register_lifecycle(self) -> None:
        @self.feature(types.INITIALIZE)
        def on_initialize(ls: LitertServer, params: types.InitializeParams) -> None:
            ls.trust.read_initialize(params.initialization_options)
            for hook in list(ls.initialize_hooks):
                try:
                    hook(params)
                except Exception:
                    ls.log.exception("initialize hook failed")

        @self.feature(types.INITIALIZED)
        async def on_initialized(ls: LitertServer, params: types.InitializedParams) -> None:
            ls.log.info("%s %s ready (pid %s)", NAME, __version__, os.getpid())
            _prewarm()
            for hook in list(ls.initialized_hooks):
                try:
                    outcome = hook()
                    if inspect.isawaitable(outcome):
                        await outcome
                except Exception:
                    ls.log.exception("initialized hook failed")

    # ---- hooks ---------------------------------------------------------------------------

    def settings_for(self, uri: str) -> Settings:
        """The settings for `uri` as the workspace's trust allows (see `server.trust`)."""
        settings = self.all_settings_for(uri)
        if not settings.workspace_named:
            return settings
        return self.trust.view(settings, self.workspace_root_for(uri))

    def all_settings_for(self, uri: str) -> Settings:
        """Every setting for `uri`, including risky ones a workspace file named that trust has
        not yet allowed: only for saying what would be used, or for `trust.ensure`."""
        if self.settings_store is None:
            from litert_lsp.core.settings import Settings

            return Settings()
        return self.settings_store.settings_for(uri)

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
        if self.diagnostics is not None:
            self.diagnostics.republish(uri)

    def analysis_for(self, uri: str) -> list[Finding]:
        if self.diagnostics is None:
            return []
        return self.diagnostics.findings_for(uri)

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
        for callback in list(self.idle_callbacks):
            try:
                callback()
            except Exception:
                self.log.exception("idle callback failed")

    def report_server_error(self, error: Exception, source: Any) -> None:
        # pygls would show every internal error as a popup; log it instead (user-requested
        # work reports its own failures with show_error).
        self.log.error("internal error (%s): %s", getattr(source, "__name__", source), error)


def _prewarm() -> None:
    """Import what the first document needs, once the initialize result is out (these are
    imported lazily so that answering `initialize` does not wait for them)."""


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
