"""Workspace trust: what a workspace file may make the server do.

A `pyproject.toml` can name an interpreter (`python`), `export.allow-pickle` and
`export.allow-select-tf-ops`. Each of them makes an export run more than the user's own model
code, so the server uses them only once the workspace is trusted:

- the client says so: `initializationOptions.trusted` (the VS Code extension sends VS Code's
  workspace trust); `false` is final for the session;
- or, when the client says nothing (Neovim, most clients), the user answers a one-time
  `window/showMessageRequest`, asked when an export first needs such a setting, never at
  `initialize`. "Trust" is remembered per workspace folder in a file outside every workspace
  (`$XDG_STATE_HOME/litert-lsp/trusted-workspaces.json`, or `$LITERT_LSP_STATE_DIR`).

Until then the server behaves as if those keys were not set (`Settings.without_workspace_risks`).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

if TYPE_CHECKING:
    from litert_lsp.core.settings import Settings
    from litert_lsp.server.app import LitertServer

TRUST = "Trust this workspace"
NOT_NOW = "Not now"
STORE_NAME = "trusted-workspaces.json"


def state_dir() -> Path:
    """Where the server keeps what it remembers between sessions (outside any workspace)."""
    explicit = os.environ.get("LITERT_LSP_STATE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "litert-lsp"


class TrustStore:
    """The set of workspace folders the user trusted, in a JSON file written atomically."""

    def __init__(self, folder: Path | None = None) -> None:
        self.path = (folder or state_dir()) / STORE_NAME
        self._loaded: set[str] | None = None

    def load(self) -> set[str]:
        """The trusted folders, read once per server (settings are looked up per keystroke)."""
        if self._loaded is None:
            self._loaded = self._read()
        return self._loaded

    def _read(self) -> set[str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return set()
        folders = data.get("trusted") if isinstance(data, dict) else None
        return {f for f in folders if isinstance(f, str)} if isinstance(folders, list) else set()

    def contains(self, folder: Path) -> bool:
        return _key(folder) in self.load()

    def add(self, folder: Path) -> None:
        folders = self._read() | {_key(folder)}  # another server may have added some meanwhile
        self._loaded = folders
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".trusted-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump({"trusted": sorted(folders)}, stream, indent=1)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


class WorkspaceTrust:
    """The server's view of workspace trust (see the module docstring)."""

    def __init__(self, server: LitertServer, store: TrustStore | None = None) -> None:
        self.server = server
        self.store = store or TrustStore()
        self.client_says: bool | None = None
        self._declined: set[str] = set()
        self._accepted: set[str] = set()  # answered "Trust" (also kept when the file cannot be written)

    def read_initialize(self, options: Any) -> None:
        """Take the client's `trusted` flag from initializationOptions (a real boolean only)."""
        if isinstance(options, dict) and isinstance(options.get("trusted"), bool):
            self.client_says = options["trusted"]

    def is_trusted(self, folder: Path | None) -> bool:
        if self.client_says is not None:
            return self.client_says
        if folder is None:
            return False
        if _key(folder) in self._accepted:
            return True
        try:
            return self.store.contains(folder)
        except OSError:
            return False

    def view(self, settings: Settings, folder: Path | None) -> Settings:
        """`settings` as this workspace may use them now."""
        if not settings.workspace_named or self.is_trusted(folder):
            return settings
        return settings.without_workspace_risks()

    async def ensure(self, settings: Settings, folder: Path | None) -> bool:
        """Whether the workspace-named risky settings may be used; asks the user once when
        the client has not said (never when it said no)."""
        if not settings.workspace_named or self.is_trusted(folder):
            return True
        if self.client_says is False or folder is None or _key(folder) in self._declined:
            return False
        message = (
            f"{folder / 'pyproject.toml'} asks litert-lsp to use {settings.describe_workspace_named()}. "
            "An export would run that interpreter or unpickle files. Trust this workspace?"
        )
        try:
            answer = await self.server.window_show_message_request_async(
                types.ShowMessageRequestParams(
                    type=types.MessageType.Warning,
                    message=message,
                    actions=[types.MessageActionItem(title=TRUST), types.MessageActionItem(title=NOT_NOW)],
                )
            )
        except Exception as error:  # noqa: BLE001 - a client that cannot ask: stay untrusted
            self.server.log.warning("could not ask whether to trust %s: %s", folder, error)
            answer = None
        if answer is not None and answer.title == TRUST:
            self._accepted.add(_key(folder))
            try:
                self.store.add(folder)
            except OSError as error:
                self.server.log.warning("could not remember trust for %s (trusted for this session): %s",
                                        folder, error)
            return True
        self._declined.add(_key(folder))
        return False


def _key(folder: Path) -> str:
    return str(folder.expanduser().resolve())
