"""Drive the real `litert-lsp serve` over stdio with pytest-lsp's client."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, LanguageClient

from tests.samples import ITEM_LINE as SAMPLE_ITEM_LINE
from tests.samples import MODEL_WITH_ITEM

SERVER = [sys.executable, "-m", "litert_lsp", "serve", "--log-level", "info"]

MODEL = MODEL_WITH_ITEM
ITEM_LINE = SAMPLE_ITEM_LINE - 1  # 0-based, as LSP counts lines


class Client(LanguageClient):
    """pytest-lsp's client, also keeping every publishDiagnostics (with its version)."""

    def __init__(self) -> None:
        super().__init__(converter_factory=default_converter)
        self.published: list[types.PublishDiagnosticsParams] = []
        self.arrived = asyncio.Event()
        for method, handler in DEFAULT_CLIENT_FEATURES.items():
            if method != types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS:
                self.feature(method)(handler)

        self.registrations: list[types.Registration] = []
        # window/showMessageRequest: every request is kept; answered with the action titled
        # `self.answer` (None: dismissed).
        self.asked: list[types.ShowMessageRequestParams] = []
        self.answer: str | None = None

        @self.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
        def on_message_request(client: Client, params: types.ShowMessageRequestParams):
            client.asked.append(params)
            client.arrived.set()
            return next((a for a in params.actions or [] if a.title == client.answer), None)

        @self.feature(types.CLIENT_REGISTER_CAPABILITY)
        def on_register(client: Client, params: types.RegistrationParams) -> None:
            client.registrations.extend(params.registrations)

        @self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_publish(client: Client, params: types.PublishDiagnosticsParams) -> None:
            client.diagnostics[params.uri] = params.diagnostics
            client.published.append(params)
            client.arrived.set()

    async def until(self, condition: Callable[[], Any], timeout: float = 20.0) -> Any:
        """Wait until `condition()` is truthy (checked whenever diagnostics, messages or logs
        arrive, and every 50 ms)."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {condition}")
            self.arrived.clear()
            with suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), 0.05)

    async def diagnostics_for(self, uri: str, version: int | None = None, timeout: float = 20.0):
        """The diagnostics published for `uri` (for `version`, when given)."""

        def found():
            for params in reversed(self.published):
                if params.uri == uri and (version is None or params.version == version):
                    return [params.diagnostics]
            return None

        return (await self.until(found, timeout))[0]

    def open(self, uri: str, text: str, version: int = 1, language: str = "python") -> None:
        self.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=uri, language_id=language, version=version,
                                                                   text=text))
        )

    def change(self, uri: str, version: int, text: str, start: tuple[int, int] | None = None,
               end: tuple[int, int] | None = None) -> None:
        """Replace [start, end) with `text` (or the whole document when no range)."""
        if start is None:
            change: Any = types.TextDocumentContentChangeWholeDocument(text=text)
        else:
            end = end or start
            change = types.TextDocumentContentChangePartial(
                range=types.Range(start=types.Position(*start), end=types.Position(*end)), text=text
            )
        self.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[change],
            )
        )

    async def command(self, name: str, *arguments: Any) -> Any:
        return await self.workspace_execute_command_async(
            types.ExecuteCommandParams(command=name, arguments=list(arguments))
        )


def capabilities(kind: str = "basic") -> types.ClientCapabilities:
    """`basic`: push diagnostics with versions, markdown hovers, work-done progress,
    configuration and watched-file registration; `pull`: the same, pulling diagnostics.
    Else a pytest-lsp client spec (`visual-studio-code`, `neovim`)."""
    if kind not in ("basic", "pull"):
        return client_capabilities(kind)
    return types.ClientCapabilities(
        workspace=types.WorkspaceClientCapabilities(
            configuration=True,
            diagnostics=types.DiagnosticWorkspaceClientCapabilities(refresh_support=True) if kind == "pull" else None,
            did_change_configuration=types.DidChangeConfigurationClientCapabilities(dynamic_registration=True),
            did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(dynamic_registration=True),
        ),
        text_document=types.TextDocumentClientCapabilities(
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True),
            hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown]),
            synchronization=types.TextDocumentSyncClientCapabilities(did_save=True),
            diagnostic=types.DiagnosticClientCapabilities() if kind == "pull" else None,
        ),
        window=types.WindowClientCapabilities(work_done_progress=True),
    )


@asynccontextmanager
async def running_server(
    folder: Path,
    kind: str = "basic",
    configuration: dict[str, Any] | None = None,
    initialization_options: Any = None,
) -> AsyncIterator[Client]:
    client = Client()
    if configuration is not None:
        client.set_configuration(configuration)
    await client.start_io(*SERVER, cwd=str(folder))
    try:
        result = await client.initialize_session(
            types.InitializeParams(
                capabilities=capabilities(kind),
                root_uri=folder.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=folder.as_uri(), name=folder.name)],
                initialization_options=initialization_options,
            )
        )
        client.initialize_result = result  # type: ignore[attr-defined]
        yield client
        await asyncio.wait_for(client.shutdown_session(), 20)
        assert client._server.returncode == 0, "the server did not exit cleanly after shutdown/exit"
        assert client.error is None, client.error
    finally:
        # pygls' stop() waits for the server to exit; after a failed test it may still run.
        if client._server is not None and client._server.returncode is None:
            client._server.kill()
        await client.stop()


@pytest.fixture
def project(tmp_path: Path) -> Callable[[dict[str, str | bytes]], Path]:
    """A folder factory: project({"a.py": "...", "pyproject.toml": "..."})."""

    def make(files: dict[str, str | bytes]) -> Path:
        for name, content in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return tmp_path

    return make


def codes(diagnostics) -> list[str]:
    return sorted(str(d.code) for d in diagnostics)
