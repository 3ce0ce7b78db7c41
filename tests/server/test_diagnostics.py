"""Diagnostics through the real protocol: push with versions, pull, bursts, syntax errors."""

from __future__ import annotations

import asyncio

from lsprotocol import types

from tests.server.conftest import ITEM_LINE, MODEL, codes, running_server


async def test_server_info_capabilities_and_log(tmp_path):
    async with running_server(tmp_path) as client:
        result = client.initialize_result
        assert result.server_info.name == "litert-lsp"
        assert result.server_info.version
        caps = result.capabilities
        assert caps.hover_provider
        assert types.CodeActionKind.QuickFix in caps.code_action_provider.code_action_kinds
        assert caps.code_lens_provider is not None
        assert caps.diagnostic_provider.identifier == "litert"
        assert "litert.checkWorkspace" in caps.execute_command_provider.commands
        assert caps.text_document_sync.change == types.TextDocumentSyncKind.Incremental
        await client.until(lambda: any("ready" in m.message for m in client.log_messages))


async def test_push_diagnostics_follow_edits_with_versions(tmp_path):
    uri = (tmp_path / "model.py").as_uri()
    async with running_server(tmp_path) as client:
        client.open(uri, MODEL)
        first = await client.diagnostics_for(uri, version=1)
        item = [d for d in first if d.code == "LRT202"]
        assert item and item[0].range.start.line == ITEM_LINE
        assert item[0].source == "litert" and item[0].severity == types.DiagnosticSeverity.Error
        # The code links to its documentation (the anchor is checked against the docs' headings
        # in tests/analysis/test_codes.py).
        assert item[0].code_description.href.endswith("/docs/diagnostics.md#lrt202-tensor-to-python")

        # Mid-typing: the line becomes a syntax error, then gets fixed.
        line = MODEL.splitlines()[ITEM_LINE]
        client.change(uri, 2, "scale = x.mean().item(", start=(ITEM_LINE, 8), end=(ITEM_LINE, len(line)))
        broken = await client.diagnostics_for(uri, version=2)
        assert "LRT001" in codes(broken)
        syntax = next(d for d in broken if d.code == "LRT001")
        assert syntax.range.start.line >= ITEM_LINE - 1

        client.change(uri, 3, "scale = 2.0", start=(ITEM_LINE, 8), end=(ITEM_LINE, len("scale = x.mean().item(") + 8))
        fixed = await client.diagnostics_for(uri, version=3)
        assert "LRT001" not in codes(fixed) and "LRT202" not in codes(fixed)
        versions = [p.version for p in client.published if p.uri == uri]
        assert versions == sorted(versions)


async def test_burst_of_1000_edits_coalesces_and_ends_on_the_last_version(tmp_path):
    uri = (tmp_path / "model.py").as_uri()
    async with running_server(tmp_path) as client:
        client.open(uri, MODEL)
        await client.diagnostics_for(uri, version=1)
        published_before = len(client.published)
        text = MODEL
        for version in range(2, 1002):
            # Type and delete a character at the end of the `.item()` line, 1,000 times.
            if version % 2 == 0:
                client.change(uri, version, "#", start=(ITEM_LINE, 35))
            else:
                client.change(uri, version, "", start=(ITEM_LINE, 35), end=(ITEM_LINE, 36))
        final = await client.diagnostics_for(uri, version=1001, timeout=60)
        assert "LRT202" in codes(final)
        burst = [p.version for p in client.published[published_before:] if p.uri == uri]
        assert burst == sorted(burst), "an older version was published after a newer one"
        assert len(burst) < 500, f"{len(burst)} publishes for 1,000 edits: bursts are not coalesced"
        # Still answering requests at once.
        hover = await asyncio.wait_for(
            client.text_document_hover_async(
                types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(0, 0))
            ),
            5,
        )
        assert hover is None or hover.contents
        assert text == MODEL


async def test_pull_diagnostics_for_clients_that_pull(tmp_path):
    uri = (tmp_path / "model.py").as_uri()
    async with running_server(tmp_path, kind="pull") as client:
        client.open(uri, MODEL)
        report = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri))
        )
        assert report.kind == "full"
        assert "LRT202" in codes(report.items)
        again = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri),
                                           previous_result_id=report.result_id)
        )
        assert again.kind == "unchanged"
        client.change(uri, 2, "", start=(ITEM_LINE, 0), end=(ITEM_LINE + 1, 0))
        changed = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri),
                                           previous_result_id=report.result_id)
        )
        assert changed.kind == "full" and "LRT202" not in codes(changed.items)
        # Settings changes ask a pulling client to pull again.
        refreshes = client.diagnostic_refresh_count
        client.set_configuration({"litert": {"ignore": ["LRT2"]}})
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await client.until(lambda: client.diagnostic_refresh_count > refreshes)
        await asyncio.sleep(0.3)
        assert not [p for p in client.published if p.uri == uri], "pull clients must not also get pushes"


async def test_close_clears_and_reopen_analyzes_again(tmp_path):
    uri = (tmp_path / "model.py").as_uri()
    async with running_server(tmp_path) as client:
        client.open(uri, MODEL)
        await client.diagnostics_for(uri, version=1)
        client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))
        await client.until(lambda: client.published[-1].uri == uri and not client.published[-1].diagnostics)
        client.open(uri, MODEL, version=7)
        assert "LRT202" in codes(await client.diagnostics_for(uri, version=7))
