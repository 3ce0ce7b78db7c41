"""Workspace trust: an interpreter or `allow-pickle` named by a workspace file is never used
before the workspace is trusted, and never at initialize (real server over stdio)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from lsprotocol import types

from tests.samples import MODEL_WITH_ITEM
from tests.server.conftest import MODEL, running_server

PYPROJECT = '[tool.litert-lsp]\npython = "tools/fakepy"\n[tool.litert-lsp.export]\nallow-pickle = true\n'


def make_workspace(folder: Path) -> tuple[Path, Path]:
    """A project whose pyproject names a relative interpreter that records every run."""
    (folder / "pyproject.toml").write_text(PYPROJECT)
    (folder / "model.py").write_text(MODEL_WITH_ITEM)
    (folder / "notes.py").write_text("x = 1\n")
    marker = folder / "fakepy-ran"
    fake = folder / "tools" / "fakepy"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\necho "$@" >> "{marker}"\nexit 1\n')
    fake.chmod(0o755)
    return marker, fake


async def touch_everything(client, uri: str) -> None:
    """Open the model and ask for what an editor asks for on opening it."""
    client.open(uri, MODEL)
    await client.diagnostics_for(uri)
    doc = types.TextDocumentIdentifier(uri=uri)
    await client.text_document_code_lens_async(types.CodeLensParams(text_document=doc))
    await client.text_document_hover_async(types.HoverParams(text_document=doc, position=types.Position(5, 10)))
    await client.text_document_code_action_async(types.CodeActionParams(
        text_document=doc, range=types.Range(types.Position(0, 0), types.Position(1, 0)),
        context=types.CodeActionContext(diagnostics=[])))


async def test_untrusted_workspace_never_runs_its_interpreter(tmp_path: Path) -> None:
    marker, _ = make_workspace(tmp_path)
    async with running_server(tmp_path) as client:
        # The commands are offered (the interpreter is checked when an export needs it).
        commands = client.initialize_result.capabilities.execute_command_provider.commands
        assert "litert.checkConversion" in commands
        await touch_everything(client, (tmp_path / "model.py").as_uri())
        assert not marker.exists(), "the workspace's interpreter ran before trust"
        client.answer = "Not now"
        result = await client.command("litert.checkConversion", {"uri": (tmp_path / "notes.py").as_uri()})
        assert len(client.asked) == 1 and "tools/fakepy" in client.asked[0].message
        assert "allow_pickle" in client.asked[0].message or "allow-pickle" in client.asked[0].message
        assert not result["ok"]
        assert any("not trusted" in m.message for m in client.messages), client.messages
        # Declined: not asked again in this session, and still never run.
        await client.command("litert.checkConversion", {"uri": (tmp_path / "notes.py").as_uri()})
        assert len(client.asked) == 1
        assert not marker.exists()


async def test_trust_answer_is_used_and_remembered_outside_the_workspace(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    marker, fake = make_workspace(workspace)
    uri = (workspace / "model.py").as_uri()
    async with running_server(workspace) as client:
        assert not marker.exists()
        client.answer = "Trust this workspace"
        result = await client.command("litert.checkConversion", {"uri": uri})
        assert len(client.asked) == 1
        # Now the named interpreter is used (resolved against the project, not the cwd).
        assert marker.exists()
        assert not result["ok"] and str(fake) in result["message"]
    store = Path(os.environ["LITERT_LSP_STATE_DIR"]) / "trusted-workspaces.json"
    assert str(workspace.resolve()) in json.loads(store.read_text())["trusted"]
    assert not list(workspace.rglob("trusted-workspaces.json"))
    marker.unlink()
    async with running_server(workspace) as client:
        await client.command("litert.checkConversion", {"uri": uri})
        assert client.asked == [] and marker.exists()


async def test_a_client_that_says_untrusted_is_never_asked(tmp_path: Path) -> None:
    marker, _ = make_workspace(tmp_path)
    async with running_server(tmp_path, initialization_options={"trusted": False}) as client:
        await touch_everything(client, (tmp_path / "model.py").as_uri())
        await client.command("litert.checkConversion", {"uri": (tmp_path / "notes.py").as_uri()})
        assert client.asked == [] and not marker.exists()
        assert any("not trusted" in m.message for m in client.messages)


async def test_a_client_that_says_trusted_is_not_asked_but_nothing_runs_at_initialize(tmp_path: Path) -> None:
    marker, _ = make_workspace(tmp_path)
    async with running_server(tmp_path, initialization_options={"trusted": True}) as client:
        assert not marker.exists(), "initialize ran the workspace's interpreter"
        await client.command("litert.checkConversion", {"uri": (tmp_path / "model.py").as_uri()})
        assert client.asked == [] and marker.exists()
