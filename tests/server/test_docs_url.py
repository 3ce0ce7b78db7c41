"""The `docs-url` setting moves the code links of diagnostics (codeDescription.href)."""

from __future__ import annotations

from lsprotocol import types

from tests.server.conftest import MODEL, running_server


async def test_code_links_follow_pyproject_then_the_editor(project):
    folder = project({"pyproject.toml": '[tool.litert-lsp]\ndocs-url = "https://docs.example.com/litert/"\n',
                      "model.py": MODEL})
    uri = (folder / "model.py").as_uri()
    async with running_server(folder) as client:
        client.open(uri, MODEL)
        diagnostics = await client.diagnostics_for(uri, version=1)
        item = [d for d in diagnostics if d.code == "LRT202"]
        assert item and item[0].code_description.href == (
            "https://docs.example.com/litert/diagnostics.md#lrt202-tensor-to-python")

        # The editor's `litert.docsUrl` wins, and the pushed diagnostics change with it.
        client.set_configuration({"litert": {"docsUrl": "http://intranet.local/ml/docs"}})
        published = len(client.published)
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await client.until(lambda: len(client.published) > published)
        latest = [d for d in await client.diagnostics_for(uri) if d.code == "LRT202"]
        assert latest[0].code_description.href == "http://intranet.local/ml/docs/diagnostics.md#lrt202-tensor-to-python"


async def test_a_url_that_is_not_http_is_refused_and_the_published_docs_stay(project):
    folder = project({"pyproject.toml": '[tool.litert-lsp]\ndocs-url = "file:///srv/docs"\n', "model.py": MODEL})
    uri = (folder / "model.py").as_uri()
    async with running_server(folder) as client:
        client.open(uri, MODEL)
        diagnostics = await client.diagnostics_for(uri, version=1)
        item = [d for d in diagnostics if d.code == "LRT202"]
        assert item[0].code_description.href.startswith("https://github.com/")
        await client.until(lambda: any("`docs-url` must be an http(s) URL" in m.message for m in client.messages
                                       if m.type == types.MessageType.Warning))
