"""The export features through the real server and protocol (pytest-lsp): advertised commands,
code lenses per class and checkpoint, export with $/progress and a result message,
"Check conversion" turning a converter failure into LRT901 on the right line, cleared by
the next success, and the export-script code action."""

from __future__ import annotations

import ast
import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types

from tests.export.models_src import TINY
from tests.server.conftest import running_server

torch = pytest.importorskip("torch")
pytest.importorskip("litert_torch")
pytestmark = pytest.mark.slow

SVD_LINE = next(i for i, text in enumerate(TINY.splitlines()) if "svdvals" in text)  # 0-based
FIXED = TINY.replace("torch.linalg.svdvals(y)", "torch.tanh(y)")


def make_project(root: Path) -> Path:
    (root / "pyproject.toml").write_text('[tool.litert-lsp.models.Wide]\nkwargs = { width = 3 }\n'
                                         '[tool.litert-lsp.models.PoolIndices]\ninput-shape = [1, 2, 8, 8]\n')
    (root / "tiny.py").write_text(TINY)
    (root / "ckpt").mkdir()
    code = (
        "import sys, torch; sys.path.insert(0, sys.argv[1]); import tiny\n"
        "torch.manual_seed(3); torch.save({'model_state_dict': tiny.TinyNet().state_dict()}, sys.argv[2])\n"
    )
    subprocess.run([sys.executable, "-c", code, str(root), str(root / "ckpt" / "epoch7.pth")], check=True,
                   timeout=120, capture_output=True)
    return root / "tiny.py"


async def test_lenses_export_progress_and_check_conversion(tmp_path: Path) -> None:
    source = make_project(tmp_path)
    uri = source.as_uri()
    async with running_server(tmp_path) as client:
        commands = client.initialize_result.capabilities.execute_command_provider.commands
        assert {"litert.export", "litert.checkConversion", "litert.writeExportScript"} <= set(commands)
        client.open(uri, TINY)
        lenses = await client.text_document_code_lens_async(
            types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        titles = [lens.command.title for lens in lenses]
        assert "Export TinyNet" in titles and "Export TinyNet with ckpt/epoch7.pth" in titles
        assert "Check conversion" in titles
        tiny_line = next(i for i, t in enumerate(TINY.splitlines()) if t.startswith("class TinyNet"))
        with_ckpt = next(lens for lens in lenses if lens.command.title == "Export TinyNet with ckpt/epoch7.pth")
        assert with_ckpt.range.start.line == tiny_line

        result = await asyncio.wait_for(client.command(with_ckpt.command.command, *with_ckpt.command.arguments), 240)
        assert result["ok"], result["message"]
        output = Path(result["output"])
        assert output == tmp_path / "TinyNet.tflite" and output.stat().st_size == result["size_bytes"]
        assert result["details"]["checkpoint"].endswith("epoch7.pth")
        # $/progress: begin, one report per stage, end.
        reports = next(iter(v for v in client.progress_reports.values() if "TinyNet" in v[0].title))
        assert isinstance(reports[0], types.WorkDoneProgressBegin) and reports[0].cancellable
        stages = [r.message.split(":")[0] for r in reports[1:-1]]
        assert stages == ["load code", "restore", "export", "convert", "verify", "profile"]
        assert isinstance(reports[-1], types.WorkDoneProgressEnd)
        await client.until(lambda: any("exported TinyNet to" in m.message and str(output) in m.message
                                       and "max abs error" in m.message for m in client.messages))

        # A failing conversion: LRT901 on the svdvals line, merged with the static findings.
        failed = await asyncio.wait_for(client.command("litert.checkConversion", {"uri": uri, "model": "SvdNet"}), 240)
        assert not failed["ok"] and failed["stage"] == "convert"

        def lrt901():
            return [d for d in client.diagnostics.get(uri, []) if d.code == "LRT901"]

        found = await client.until(lrt901)
        assert [d.range.start.line for d in found] == [SVD_LINE]
        assert "_linalg_svd" in found[0].message
        assert not (tmp_path / "SvdNet.tflite").exists()

        # Fixed and saved: the next check succeeds and clears LRT901.
        source.write_text(FIXED)
        client.change(uri, 2, FIXED)
        passed = await asyncio.wait_for(client.command("litert.checkConversion", {"uri": uri, "model": "SvdNet"}), 240)
        assert passed["ok"], passed["message"]
        assert passed["output"] is None and not (tmp_path / "SvdNet.tflite").exists()
        await client.until(lambda: uri in client.diagnostics and not lrt901())

        # The export-script code action on the class line.
        actions = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(line=tiny_line, character=0),
                              end=types.Position(line=tiny_line, character=0)),
            context=types.CodeActionContext(diagnostics=[]),
        ))
        # lsprotocol's client-side hook reads any CodeAction that has a `command` as a bare Command
        # (lsprotocol _hooks._code_action_hook), leaving the real command as text: read it back.
        commands = [ast.literal_eval(a.command) if isinstance(a, types.Command) else
                    {"command": a.command.command, "arguments": a.command.arguments} for a in actions]
        script_action = next(c for c in commands if c["command"] == "litert.writeExportScript")
        assert any(c["command"] == "litert.export" for c in commands)
        written = await client.command("litert.writeExportScript", *script_action["arguments"])
        script = Path(written["path"])
        assert script == tmp_path / "export_tinynet.py"
        compile(script.read_text(), str(script), "exec")
        assert "litert_torch.convert" in script.read_text() and "weights_only=True" in script.read_text()
        (tmp_path / "TinyNet.tflite").unlink()
        ran = await asyncio.create_subprocess_exec(sys.executable, str(script), cwd=str(tmp_path / "ckpt"),
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(ran.communicate(), 240)
        assert ran.returncode == 0, err.decode()[-2000:]
        assert b"max abs error" in out and (tmp_path / "TinyNet.tflite").stat().st_size > 1000


async def test_constructor_args_from_config_and_cancel_via_progress(tmp_path: Path) -> None:
    source = make_project(tmp_path)
    uri = source.as_uri()
    async with running_server(tmp_path) as client:
        client.open(uri, TINY)
        # Wide(width) has no default: pyproject gives width = 3.
        result = await asyncio.wait_for(client.command("litert.checkConversion", {"uri": uri, "model": "Wide"}), 240)
        assert result["ok"], result["message"]
        assert result["outputs"][0]["shape"] == [1, 3]

        # Converts and runs, but the numbers are wrong: LRT902 on the class line.
        wrong = await asyncio.wait_for(client.command("litert.checkConversion", {"uri": uri, "model": "PoolIndices"}), 240)
        assert not wrong["ok"] and wrong["stage"] == "verify"
        class_line = next(i for i, t in enumerate(TINY.splitlines()) if t.startswith("class PoolIndices"))
        found = await client.until(lambda: [d for d in client.diagnostics.get(uri, []) if d.code == "LRT902"])
        assert [d.range.start.line for d in found] == [class_line]

        # Cancel from the progress UI as soon as the job reports a stage.
        job = asyncio.ensure_future(client.command("litert.export", {"uri": uri, "model": "TinyNet"}))

        def token():
            return next((t for t, v in client.progress_reports.items()
                         if "exporting TinyNet" in getattr(v[0], "title", "") and len(v) > 1), None)

        cancel_token = await client.until(token, timeout=120)
        client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=cancel_token))
        cancelled = await asyncio.wait_for(job, 120)
        assert not cancelled["ok"] and cancelled["status"] == "cancelled" and cancelled["details"].get("cancelled")
        assert not list(tmp_path.glob("*.tflite")) and not list(tmp_path.glob(".*.partial"))
        # The server still answers at once while the worker restarts.
        lenses = await asyncio.wait_for(client.text_document_code_lens_async(
            types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))), 5)
        assert lenses


async def test_commands_not_offered_without_the_export_stack(tmp_path: Path) -> None:
    (tmp_path / "tiny.py").write_text(TINY)
    uri = (tmp_path / "tiny.py").as_uri()
    async with running_server(tmp_path, initialization_options={"litert": {"python": str(tmp_path / "no-python")}}) as client:
        commands = client.initialize_result.capabilities.execute_command_provider.commands
        assert "litert.export" not in commands and "litert.checkWorkspace" in commands
        client.open(uri, TINY)
        lenses = await client.text_document_code_lens_async(
            types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri)))
        assert not lenses
