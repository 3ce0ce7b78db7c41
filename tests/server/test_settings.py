"""Settings from pyproject.toml and the editor, the editor winning, re-read on every change."""

from __future__ import annotations

from lsprotocol import types

from tests.server.conftest import MODEL, codes, running_server

SECOND = MODEL.replace("return self.fc(x) * scale", "return self.fc(x) * scale if x.sum() > 0 else x")


async def test_pyproject_settings_and_editor_overrides(project):
    folder = project({"pyproject.toml": '[tool.litert-lsp]\nignore = ["LRT202"]\n', "model.py": SECOND})
    uri = (folder / "model.py").as_uri()
    async with running_server(folder, configuration={"litert": {"severity": {"LRT201": "hint"}}}) as client:
        client.open(uri, SECOND)
        diagnostics = await client.diagnostics_for(uri, version=1)
        assert "LRT202" not in codes(diagnostics)
        control_flow = [d for d in diagnostics if d.code == "LRT201"]
        assert control_flow and control_flow[0].severity == types.DiagnosticSeverity.Hint

        # The editor wins over pyproject.toml, and a change is picked up at once.
        client.set_configuration({"litert": {"ignore": ["LRT201"]}})
        published = len(client.published)
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await client.until(lambda: len(client.published) > published)
        latest = await client.diagnostics_for(uri)
        assert "LRT202" in codes(latest) and "LRT201" not in codes(latest)


async def test_pyproject_changes_are_picked_up_when_watched_and_on_save(project):
    folder = project({"pyproject.toml": "[tool.litert-lsp]\n", "model.py": MODEL})
    uri = (folder / "model.py").as_uri()
    pyproject = folder / "pyproject.toml"
    async with running_server(folder) as client:
        client.open(uri, MODEL)
        assert "LRT202" in codes(await client.diagnostics_for(uri, version=1))
        watcher = await client.until(lambda: [r for r in client.registrations
                                              if r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES])
        assert watcher[0].register_options["watchers"][0]["globPattern"] == "**/pyproject.toml"

        pyproject.write_text('[tool.litert-lsp]\nselect = ["LRT1"]\n')
        published = len(client.published)
        client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
            types.FileEvent(uri=pyproject.as_uri(), type=types.FileChangeType.Changed)
        ]))
        await client.until(lambda: len(client.published) > published)
        assert "LRT202" not in codes(await client.diagnostics_for(uri))

        pyproject.write_text('[tool.litert-lsp]\nseverity = { tensor-to-python = "warning", LRT202 = "warning" }\n')
        published = len(client.published)
        client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(pyproject.as_uri())))
        await client.until(lambda: len(client.published) > published)
        item = [d for d in await client.diagnostics_for(uri) if d.code == "LRT202"]
        assert item and item[0].severity == types.DiagnosticSeverity.Warning


async def test_bad_editor_settings_warn_once(project):
    folder = project({"model.py": MODEL})
    uri = (folder / "model.py").as_uri()
    bad = {"litert": {"select": 42, "severity": {"LRT202": "loud"}}}
    async with running_server(folder, configuration=bad) as client:
        client.open(uri, MODEL)
        assert "LRT202" in codes(await client.diagnostics_for(uri, version=1))
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        client.open((folder / "b.py").as_uri(), MODEL)
        await client.diagnostics_for((folder / "b.py").as_uri(), version=1)
        warnings = [m.message for m in client.messages if m.type == types.MessageType.Warning]
        assert len([w for w in warnings if "select" in w]) == 1, warnings
        assert len([w for w in warnings if "loud" in w]) == 1, warnings


async def test_per_file_ignores_apply_to_the_matching_documents(project):
    folder = project({
        "pyproject.toml": '[tool.litert-lsp.per-file-ignores]\n"tests/*.py" = ["LRT202"]\n',
        "tests/model.py": MODEL,
        "src/model.py": MODEL,
    })
    ignored, checked = (folder / "tests" / "model.py").as_uri(), (folder / "src" / "model.py").as_uri()
    async with running_server(folder) as client:
        client.open(ignored, MODEL)
        client.open(checked, MODEL)
        assert "LRT202" not in codes(await client.diagnostics_for(ignored, version=1))
        assert "LRT202" in codes(await client.diagnostics_for(checked, version=1))
