"""Settings: the editor's `litert` section over `[tool.litert-lsp]`, kept current.

Sources, later winning: defaults < the project's pyproject.toml < initializationOptions <
`workspace/configuration` (section `litert`). Re-read on `workspace/didChangeConfiguration`,
on a watched pyproject.toml change (watcher registered dynamically when the client allows)
and on saving a pyproject.toml. Problems in either source: one warning popup per distinct
problem, plus the log.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

# Imported at run time: pygls reads handlers' annotations with get_type_hints.
from litert_lsp.server.app import DiagnosticsProvider, LitertServer, SettingsProvider, uri_to_path
from litert_lsp.server.features.trust import WorkspaceTrust

if TYPE_CHECKING:
    from litert_lsp.core.settings import Settings

SECTION = "litert"
SETTINGS_FILE = "pyproject.toml"
WATCHER_ID = "litert-lsp-pyproject-watcher"


class SettingsStore:
    def __init__(self, server: LitertServer) -> None:
        self.server = server
        self.editor: dict[str, Any] = {}
        self._cache: dict[Path | None, Settings] = {}
        self._reported: set[str] = set()

    def settings_for(self, uri: str) -> Settings:
        from litert_lsp.core.settings import find_project_root, load_settings

        path = uri_to_path(uri)
        start = path.parent if path is not None else self._fallback_folder()
        root = find_project_root(start) if start is not None else None
        cached = self._cache.get(root)
        if cached is not None:
            return cached
        settings, problems = load_settings(root or start or Path.cwd(), self.editor)
        for problem in problems:
            self.report(problem)
        self._cache[root] = settings
        return settings

    def _fallback_folder(self) -> Path | None:
        try:
            root = self.server.workspace.root_path
        except RuntimeError:
            return None
        return Path(root) if root else None

    def report(self, problem: str) -> None:
        """Tell the user once about a settings problem (and log it every time)."""
        self.server.log.warning("settings: %s", problem)
        if problem in self._reported:
            return
        self._reported.add(problem)
        self.server.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Warning, message=f"litert-lsp settings: {problem}")
        )

    def set_editor(self, value: Any, origin: str) -> None:
        if value is None:
            value = {}
        if not isinstance(value, Mapping):
            self.report(f"the `{SECTION}` settings from {origin} must be an object; ignoring them")
            value = {}
        self.editor = dict(value)

    def is_settings_file(self, uri: str) -> bool:
        return uri.rsplit("/", 1)[-1] == SETTINGS_FILE

    def reload(self, why: str) -> None:
        """Forget every cached settings object and re-check the open documents."""
        self.server.log.info("settings reloaded (%s)", why)
        self._cache.clear()
        self.server.republish()

    async def fetch_from_client(self) -> None:
        capabilities = self.server.client_capabilities.workspace
        if not (capabilities and capabilities.configuration):
            return
        try:
            values = await self.server.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
            )
        except Exception as error:  # noqa: BLE001 - the client may answer with an error; defaults stand
            self.server.log.warning("could not read the editor settings: %s", error)
            return
        self.set_editor(values[0] if values else None, "the editor")


class SettingsFeature(SettingsProvider):
    """Settings for every document, kept current, as workspace trust allows."""

    def __init__(self, server: LitertServer) -> None:
        super().__init__(server)
        self.store = SettingsStore(server)
        self.trust = WorkspaceTrust(server)

    def settings_for(self, uri: str) -> Settings:
        settings = self.store.settings_for(uri)
        if not settings.workspace_named:
            return settings
        return self.trust.view(settings, self.server.workspace_root_for(uri))

    def all_settings_for(self, uri: str) -> Settings:
        return self.store.settings_for(uri)

    def initialize(self, params: types.InitializeParams) -> None:
        self.trust.read_initialize(params.initialization_options)
        workspace = params.capabilities.workspace
        diagnostics = self.server.get_feature(DiagnosticsProvider)
        if workspace and workspace.configuration and diagnostics is not None:
            diagnostics.hold()  # released once initialized() has read the settings
        options = params.initialization_options
        if isinstance(options, Mapping):
            # Clients without workspace/configuration may pass settings here, either as the
            # `litert` section itself or nested under `settings`.
            nested = options.get("settings")
            if isinstance(nested, Mapping):
                options = nested
            section = options.get(SECTION, options)
            if isinstance(section, Mapping):
                values = {k: v for k, v in section.items() if k not in ("diagnosticMode", "diagnostic_mode", "trusted")}
                self.store.set_editor(values, "initializationOptions")

    async def initialized(self) -> None:
        store = self.store
        before = dict(store.editor)
        try:
            await store.fetch_from_client()
        finally:
            if store.editor != before:
                store.reload("editor settings read")
            diagnostics = self.server.get_feature(DiagnosticsProvider)
            if diagnostics is not None:
                diagnostics.release()
        await _watch_settings_files(self.server)

    def saved(self, uri: str) -> None:
        if self.store.is_settings_file(uri):
            self.store.reload("saved " + uri.rsplit("/", 1)[-1])

    def register(self) -> None:
        store = self.store

        @self.server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
        async def did_change_configuration(ls: LitertServer, params: types.DidChangeConfigurationParams) -> None:
            capabilities = ls.client_capabilities.workspace
            if capabilities and capabilities.configuration:
                await store.fetch_from_client()
            elif isinstance(params.settings, Mapping) and SECTION in params.settings:
                store.set_editor(params.settings[SECTION], "the editor")
            store.reload("editor settings changed")

        @self.server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
        def did_change_watched_files(ls: LitertServer, params: types.DidChangeWatchedFilesParams) -> None:
            changed = [c.uri for c in params.changes if store.is_settings_file(c.uri)]
            if changed:
                store.reload(f"{len(changed)} pyproject.toml changed")


async def _watch_settings_files(server: LitertServer) -> None:
    capabilities = server.client_capabilities.workspace
    watched = capabilities.did_change_watched_files if capabilities else None
    if not (watched and watched.dynamic_registration):
        return  # didSave of a pyproject.toml still re-reads settings
    registration = types.Registration(
        id=WATCHER_ID,
        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        register_options=types.DidChangeWatchedFilesRegistrationOptions(
            watchers=[types.FileSystemWatcher(glob_pattern=f"**/{SETTINGS_FILE}")]
        ),
    )
    try:
        await server.client_register_capability_async(types.RegistrationParams(registrations=[registration]))
    except Exception as error:  # noqa: BLE001 - optional: didSave of pyproject.toml still works
        server.log.warning("could not watch pyproject.toml files: %s", error)
