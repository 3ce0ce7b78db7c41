"""`litert.checkWorkspace`: every Python file of the workspace, with `$/progress`.

Files are read and analyzed on a dedicated thread one at a time (the event loop stays free for
keystrokes); open documents are checked from the editor's text. Diagnostics are published for
files that are not open (open ones already have theirs). Cancellable from the progress UI; the
progress reports a percentage and "12/214 files".

At the end the user gets one sentence ("Checked 214 files: 3 errors, 5 warnings in 4 files") as
`window/showMessage`, unless the command's argument says `{"showSummary": false}`: the VS Code
extension shows it itself, with a "Show Problems" button the server cannot offer.
Returns a summary: {"files", "findings", "errors", "warnings", "files_with_findings", "skipped",
"cancelled", "by_file", "message"}.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import from_fs_path

from litert_lsp.core.text import split_lines
from litert_lsp.server import errors

# Imported at run time: pygls reads command handlers' annotations with get_type_hints.
from litert_lsp.server.app import Feature, LitertServer
from litert_lsp.server.features.diagnostics import to_diagnostic
from litert_lsp.server.progress import Progress

if TYPE_CHECKING:
    from litert_lsp.core.findings import Finding
    from litert_lsp.core.settings import Settings

COMMAND = "litert.checkWorkspace"
TITLE = "LiteRT: checking the workspace"


class WorkspaceChecker:
    def __init__(self, server: LitertServer) -> None:
        self.server = server
        self.running = False
        self.published: set[str] = set()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="litert-workspace")

    def folders(self) -> list[Path]:
        workspace = self.server.workspace
        folders = [Path(p) for f in workspace.folders.values() if (p := _path(f.uri))]
        if not folders and workspace.root_path:
            folders = [Path(workspace.root_path)]
        return [f for f in folders if f.is_dir()]

    def _settings_for_path(self, path: Path) -> tuple[Settings, Path | None]:
        from litert_lsp.core.settings import find_project_root

        root = find_project_root(path if path.is_dir() else path.parent)
        uri = from_fs_path(str(path if not path.is_dir() else path / "_.py")) or ""
        return self.server.settings_for(uri), root

    async def run(self, show_summary: bool = True) -> dict[str, Any]:
        if self.running:
            self.server.show_info("litert-lsp is already checking the workspace.")
            return {"running": True}
        self.running = True
        try:
            summary = await self._run()
        finally:
            self.running = False
        if show_summary and "message" in summary:
            show = self.server.show_error if "error" in summary else self.server.show_info
            show(summary["message"])
        return summary

    async def _run(self) -> dict[str, Any]:
        from litert_lsp.core.discovery import iter_python_files
        from litert_lsp.core.findings import Severity

        server = self.server
        loop = asyncio.get_running_loop()
        folders = self.folders()
        summary: dict[str, Any] = {"files": 0, "findings": 0, "errors": 0, "warnings": 0, "files_with_findings": 0,
                                   "skipped": [], "cancelled": False, "by_file": {}}
        if not folders:
            server.show_warning("litert-lsp: open a folder to check a workspace.")
            return summary
        progress = await Progress.start(server, TITLE, prefix="litert-check")
        started = time.monotonic()
        total = 0
        try:
            # Settings lookups touch the server's state: resolve them on the loop, walk on the pool.
            settings_cache: dict[Path, tuple[Settings, Path | None]] = {}

            def settings_for(path: Path) -> tuple[Settings, Path | None]:
                folder = path if path.is_dir() else path.parent
                if folder not in settings_cache:
                    settings_cache[folder] = asyncio.run_coroutine_threadsafe(
                        _call(self._settings_for_path, folder), loop
                    ).result(timeout=30)
                return settings_cache[folder]

            progress.report("finding Python files", 0)
            files = await loop.run_in_executor(self._pool, lambda: list(iter_python_files(folders, settings_for)))
            total = len(files)
            progress.report(f"0/{total} files", 0)
            last_report = time.monotonic()
            for index, (path, settings, _root) in enumerate(files):
                if progress.cancelled():
                    summary["cancelled"] = True
                    break
                uri = from_fs_path(str(path)) or str(path)
                open_text = server.document_text(uri)
                findings, problem = await loop.run_in_executor(self._pool, _check_file, path, open_text, settings)
                if problem is not None:
                    summary["skipped"].append({"path": str(path), "reason": problem})
                    continue
                summary["files"] += 1
                extra = server.extra_findings().get(uri) or []
                findings = [*findings, *settings.apply(extra, path)]
                summary["findings"] += len(findings)
                summary["errors"] += sum(1 for f in findings if f.severity == Severity.ERROR)
                summary["warnings"] += sum(1 for f in findings if f.severity == Severity.WARNING)
                if findings:
                    summary["by_file"][str(path)] = len(findings)
                if open_text is None:
                    self._publish(uri, findings, path, settings.docs_url)
                now = time.monotonic()
                # A report per file would flood the client on a large tree: at most ten a second.
                if now - last_report > 0.1 or index + 1 == total:
                    last_report = now
                    progress.report(f"{index + 1}/{total} files: {path.name}", 100 * (index + 1) / max(total, 1))
                await asyncio.sleep(0)
        except Exception as error:  # noqa: BLE001 - a user request: say it failed, keep serving
            summary["error"] = str(error)
        finally:
            summary["files_with_findings"] = len(summary["by_file"])
            summary["seconds"] = round(time.monotonic() - started, 3)
            summary["message"] = summary_sentence(summary, total)
            progress.end(summary["message"])
        server.log.info("workspace check (%.1f s): %s", summary["seconds"],
                        {k: v for k, v in summary.items() if k not in ("by_file", "message")})
        return summary

    def _publish(self, uri: str, findings: list[Finding], path: Path, docs_url: str | None = None) -> None:
        if not findings and uri not in self.published:
            return
        if findings:
            from litert_lsp.core.discovery import read_source

            self.published.add(uri)
            text = read_source(path).text or ""
            lines = split_lines(text)
            encoding = self.server.position_encoding()
            diagnostics = [to_diagnostic(f, lines, encoding, docs_url) for f in findings]
        else:
            self.published.discard(uri)
            diagnostics = []
        self.server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics))


async def _call(function: Any, *args: Any) -> Any:
    return function(*args)


def _check_file(path: Path, open_text: str | None, settings: Settings) -> tuple[list[Finding], str | None]:
    """Findings of one file (runs on the workspace thread)."""
    from litert_lsp.analysis import analyze
    from litert_lsp.core.discovery import read_source

    if open_text is None:
        source = read_source(path)
        if source.text is None:
            return [], source.problem
        open_text = source.text
    return settings.apply(analyze(open_text, str(path)), path), None


def _path(uri: str) -> str | None:
    from litert_lsp.server.app import uri_to_path

    path = uri_to_path(uri)
    return str(path) if path else None


def summary_sentence(summary: dict[str, Any], total: int) -> str:
    """One sentence for the user: "Checked 214 files: 3 errors, 5 warnings in 4 files"."""
    if "error" in summary:
        return f"litert-lsp could not check the workspace: {summary['error']}"
    files = summary["files"]
    head = (f"Cancelled after {_count(files, 'file')} of {total}" if summary["cancelled"]
            else f"Checked {_count(files, 'file')}")
    errors, warnings = summary["errors"], summary["warnings"]
    others = summary["findings"] - errors - warnings
    parts = [_count(n, word) for n, word in ((errors, "error"), (warnings, "warning"), (others, "note")) if n]
    if not parts:
        text = f"{head}: no findings"
    else:
        listed = ", ".join(parts)
        text = f"{head}: {listed} in {_count(summary['files_with_findings'], 'file')}"
    if summary["skipped"]:
        text += f" ({_count(len(summary['skipped']), 'file')} could not be read)"
    return text


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _show_summary(arguments: tuple[Any, ...]) -> bool:
    """False when the client asked to show the summary itself (`{"showSummary": false}`)."""
    if len(arguments) == 1 and isinstance(arguments[0], (list, tuple)):
        arguments = tuple(arguments[0])  # some clients wrap the list once more
    first = arguments[0] if arguments else None
    return not (isinstance(first, dict) and first.get("showSummary") is False)


def _register(server: LitertServer) -> None:
    checker = WorkspaceChecker(server)

    @server.command(COMMAND)
    @errors.user_command(server, COMMAND)
    async def check_workspace(ls: LitertServer, *arguments: Any) -> dict[str, Any]:
        return await checker.run(show_summary=_show_summary(arguments))


class WorkspaceCheckFeature(Feature):
    """The `litert.checkWorkspace` command: every Python file, with progress."""

    def register(self) -> None:
        _register(self.server)
