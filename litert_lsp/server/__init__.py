"""The litert-lsp language server: pygls wiring only; the analysis lives in `litert_lsp.analysis`.

    create_server() -> LitertServer     every feature added and registered, ready to start
    serve_stdio() / serve_tcp(host, port)

Layout:
    app.py        LitertServer (pygls' server + a feature registry), the `Feature` base and
                  the two roles the server relies on (`SettingsProvider`, `DiagnosticsProvider`)
    errors.py     the one place that turns handler and hook exceptions into log lines, and a
                  crashed command into one sentence for the user
    protocol.py   the JSON-RPC/LSP layer: error responses for every bad request, cancellation
    framing.py    reading Content-Length frames, resynchronising after broken ones
    transport.py  stdio: a reader thread, idle detection, the editor's processId watch
    logs.py, progress.py   window/logMessage handler; work-done progress
    features/     one module per feature (see `litert_lsp.server.features`)

What features share, on the server object (all run on the event loop):
    server.add_feature(f) / server.get_feature(FeatureClassOrRole) / server.each(hook, ...)
    server.settings_for(uri) -> Settings       as workspace trust allows
    server.all_settings_for(uri) -> Settings   including untrusted workspace-named values
    server.workspace_root_for(uri), server.document_text(uri), server.open_document(uri)
    server.analysis_for(uri), server.republish(uri=None), server.extra_findings()
    server.position_encoding(), server.refresh_code_lenses()
    server.show_error / show_warning / show_info(message), server.log

Initialization options (all optional): `{"diagnosticMode": "auto" | "push" | "pull"}` (auto:
pull when the client can, else push), `{"trusted": true | false}` (the client's workspace
trust), plus `litert` settings for clients without `workspace/configuration`
(`{"litert": {...}}` or `{"settings": {"litert": {...}}}`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from litert_lsp.server.app import LitertServer


def create_server() -> LitertServer:
    """A server with every feature added and registered (not started)."""
    from litert_lsp.server.app import LitertServer
    from litert_lsp.server.features import FEATURES
    from litert_lsp.server.logs import attach

    server = LitertServer()
    attach(server)
    for feature in FEATURES:
        try:
            server.add_feature(feature(server))
        except Exception:  # a broken feature (the export one, say) must not take diagnostics down
            server.log.exception("%s failed to start; the other features still work", feature.__name__)
    server.register_features()
    return server


def serve_stdio() -> None:
    """Run the server on stdin/stdout until the client says exit (or closes the pipe)."""
    from litert_lsp.server.transport import serve_stdio as _serve

    _serve(create_server())


def serve_tcp(host: str, port: int) -> None:
    """Run the server on a TCP socket (for debugging a client)."""
    create_server().start_tcp(host, port)


__all__ = ["create_server", "serve_stdio", "serve_tcp"]
