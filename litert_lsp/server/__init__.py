"""The litert-lsp language server: pygls wiring only; the analysis lives in `litert_lsp.analysis`.

    create_server() -> LitertServer     every feature registered, ready for start_io/start_tcp
    serve_stdio() / serve_tcp(host, port)

One module per feature group, each with `register(server)`:
    diagnostics       open/change/save/close, pushed (with version) or pulled diagnostics,
                      coalescing of edit bursts, never an old version over a newer one
    hover             what the knowledge base says about the op under the cursor
    code_actions      suppression comment and verified-rewrite quick fixes
    lenses            textDocument/codeLens, filled by providers (the export features)
    settings          workspace/configuration + [tool.litert-lsp], watched pyproject.toml
    workspace_check   the `litert.checkWorkspace` command with $/progress
    debug             `litert.debug.modules` (what the server process has imported; for tests)
    export_features   owned by the export helper: its commands, lenses and actions

Initialization options (all optional): `{"diagnosticMode": "auto" | "push" | "pull"}` (auto:
pull when the client can, else push), plus `litert` settings for clients without
`workspace/configuration` (`{"litert": {...}}` or `{"settings": {"litert": {...}}}`).

Hooks for other features (the export features use these; all run on the event loop):

    server.settings_for(uri) -> config.Settings
        Defaults < [tool.litert-lsp] of the file's project < editor settings (section `litert`).
    server.workspace_root_for(uri) -> pathlib.Path | None
        The workspace folder holding the file, else its project root (pyproject.toml), else
        the client's root.
    server.extra_findings: dict[str, list[Finding]]
        Findings from outside the analyzer (e.g. LRT901 from a real conversion), keyed by
        document URI; merged into that document's diagnostics after settings filtering.
        Assign, then call `server.republish(uri)`.
    server.republish(uri=None) -> None
        Recompute and re-send the diagnostics of one open document (all when None); for
        clients that pull diagnostics, asks them to pull again.
    server.analysis_for(uri) -> list[Finding]
        The current findings of an open document (analyzing it now if they are stale), after
        settings and with extra findings merged; [] for unknown documents.
    server.document_text(uri) -> str | None
        The editor's text of an open document.
    server.lens_providers: list[Callable[[LitertServer, str], list[types.CodeLens]]]
        Each is called with (server, uri) on textDocument/codeLens; append yours in register().
        `server.refresh_code_lenses()` asks the client to ask again.
    server.code_action_providers: list[Callable[[LitertServer, types.CodeActionParams], list[CodeAction]]]
        Called on textDocument/codeAction after the quick fixes; add the kinds you return to
        `server.code_action_kinds` in register() (it is advertised at initialize).
    server.initialize_hooks / server.initialized_hooks
        Callables run with the InitializeParams (before capabilities are computed) / after
        the client's `initialized` notification (may be async): e.g. dynamic registrations.
    server.saved_listeners: list[Callable[[LitertServer, str], None]]
        Called with (server, uri) after a document is saved.
    server.show_error(message) / server.show_info(message)
        window/showMessage plus the log; use for anything a user asked for that failed.
    server.log: logging.Logger
        Goes to the client through window/logMessage (and to stderr with --log-level).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from litert_lsp.server.app import LitertServer


def create_server() -> LitertServer:
    """A fully registered server (not started)."""
    from litert_lsp.server import (
        code_actions,
        debug,
        diagnostics,
        export_features,
        hover,
        lenses,
        settings,
        workspace_check,
    )
    from litert_lsp.server.app import LitertServer
    from litert_lsp.server.logs import attach

    server = LitertServer()
    attach(server)
    settings.register(server)
    diagnostics.register(server)
    hover.register(server)
    code_actions.register(server)
    lenses.register(server)
    workspace_check.register(server)
    debug.register(server)
    try:
        export_features.register(server)
    except Exception:  # a broken export feature must not take diagnostics down with it
        server.log.exception("export features failed to register; diagnostics still work")
    return server


def serve_stdio() -> None:
    """Run the server on stdin/stdout until the client says exit (or closes the pipe)."""
    from litert_lsp.server.transport import serve_stdio as _serve

    _serve(create_server())


def serve_tcp(host: str, port: int) -> None:
    """Run the server on a TCP socket (for debugging a client)."""
    create_server().start_tcp(host, port)


__all__ = ["create_server", "serve_stdio", "serve_tcp"]
