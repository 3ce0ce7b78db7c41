"""Hover, quick fixes, code lenses, the workspace check and the no-framework rule, end to end."""

from __future__ import annotations

import ast
import asyncio
import sys
import textwrap

import pytest
from lsprotocol import types

from litert_lsp import kb
from tests.server.conftest import ITEM_LINE, MODEL, codes, running_server

FRAMEWORKS = ("torch", "tensorflow", "litert_torch", "numpy", "jax", "keras", "ai_edge_litert")


def failing_torch_function() -> kb.Entry:
    """A knowledge-base function entry (not a tensor method) that does not simply work."""
    for entry in kb.entries("torch"):
        plain_function = entry.get("kind", "function") == "function" and entry.name.count(".") == 1
        if not entry.ok and plain_function:
            return entry
    pytest.skip("the knowledge base has no failing torch.* function yet")


def apply_edits(text: str, edits: list[types.TextEdit]) -> str:
    """Apply non-overlapping single-line-or-more edits (ASCII text) from last to first."""
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        start = offsets[edit.range.start.line] + edit.range.start.character
        end = offsets[edit.range.end.line] + edit.range.end.character
        text = text[:start] + edit.new_text + text[end:]
    return text


async def test_hover_explains_a_knowledge_base_op(tmp_path):
    entry = failing_torch_function()
    function = entry.name.split(".", 1)[1]
    source = textwrap.dedent(
        f"""\
        import torch as th
        from torch import nn


        class Net(nn.Module):
            def forward(self, x):
                return th.{function}(x)
        """
    )
    uri = (tmp_path / "model.py").as_uri()
    async with running_server(tmp_path) as client:
        client.open(uri, source)
        diagnostics = await client.diagnostics_for(uri, version=1)
        column = source.splitlines()[6].index(function) + 1
        hover = await client.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(6, column))
        )
        assert hover is not None
        text = hover.contents.value
        assert entry.name in text
        here = [d for d in diagnostics if d.range.start.line == 6]
        if here:  # the hover says what the diagnostic under the cursor says
            assert f"**{here[0].code}**" in text and here[0].message in text
        else:  # no diagnostic: the measured table speaks, with its advice
            assert "Instead:" in text
        assert hover.range.start.line == 6
        # A tensor method, known through the analyzer's finding at the cursor.
        if kb.lookup("torch.Tensor.item") is not None:
            client.change(uri, 2, MODEL)
            diagnostics = await client.diagnostics_for(uri, version=2)
            [item] = [d for d in diagnostics if d.code == "LRT202"]
            column = MODEL.splitlines()[ITEM_LINE].index("item") + 1
            method = await client.text_document_hover_async(
                types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(ITEM_LINE, column))
            )
            assert method is not None and "**LRT202**" in method.contents.value
            assert item.message in method.contents.value
            assert "LRT103" not in method.contents.value  # never a verdict the diagnostic does not give
            client.change(uri, 3, source)
            await client.diagnostics_for(uri, version=3)
        # Nothing for names the knowledge base does not know, or outside any name.
        for position in (types.Position(5, 9), types.Position(2, 0)):
            none = await client.text_document_hover_async(
                types.HoverParams(types.TextDocumentIdentifier(uri), position)
            )
            assert none is None


async def test_suppression_quick_fix_adds_then_merges_the_comment(tmp_path):
    uri = (tmp_path / "model.py").as_uri()
    async with running_server(tmp_path) as client:
        client.open(uri, MODEL)
        diagnostics = await client.diagnostics_for(uri, version=1)
        item = next(d for d in diagnostics if d.code == "LRT202")
        actions = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri),
                range=item.range,
                context=types.CodeActionContext(diagnostics=[item]),
            )
        )
        ignore = next(a for a in actions if a.title == "Ignore LRT202 on this line")
        assert ignore.kind == types.CodeActionKind.QuickFix
        assert ignore.diagnostics and ignore.diagnostics[0].code == "LRT202"
        fixed = apply_edits(MODEL, ignore.edit.changes[uri])
        assert fixed.splitlines()[ITEM_LINE].endswith(".item()  # litert: ignore[LRT202]")
        client.change(uri, 2, fixed)
        assert "LRT202" not in codes(await client.diagnostics_for(uri, version=2))

        # An existing ignore comment for another code gets this code merged in.
        other = MODEL.replace(".item()", ".item()  # litert: ignore[LRT105]")
        client.change(uri, 3, other)
        item = next(d for d in await client.diagnostics_for(uri, version=3) if d.code == "LRT202")
        actions = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri), range=item.range,
                context=types.CodeActionContext(diagnostics=[item]),
            )
        )
        merged = apply_edits(other, next(a for a in actions if a.title.startswith("Ignore")).edit.changes[uri])
        assert merged.splitlines()[ITEM_LINE].endswith("# litert: ignore[LRT105, LRT202]")


async def test_rewrite_quick_fix_when_the_knowledge_base_has_one(tmp_path):
    rewritable = [e for e in kb.entries("torch") if e.rewrite and ".Tensor." not in e.name
                  and e.name.count(".") == 1]
    if not rewritable:
        pytest.skip("no verified rewrite in the knowledge base yet (render_rewrite is unit-tested)")
    entry = rewritable[0]
    function = entry.name.split(".", 1)[1]
    # Operand slots are the template's *names* x, y, z (not letters: `zeros_like` has a z).
    names = {n.id for n in ast.walk(ast.parse(entry.rewrite["code"], mode="eval")) if isinstance(n, ast.Name)}
    slots = sum(1 for s in ("x", "y", "z") if s in names)
    args = ", ".join(["a", "b", "c"][:slots])
    source = f"import torch\nfrom torch import nn\n\n\nclass Net(nn.Module):\n    def forward(self, a, b, c):\n" \
             f"        return torch.{function}({args})\n"
    uri = (tmp_path / "model.py").as_uri()
    async with running_server(tmp_path) as client:
        client.open(uri, source)
        diagnostics = await client.diagnostics_for(uri, version=1)
        target = [d for d in diagnostics if d.range.start.line == 6]
        assert target, diagnostics
        actions = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri), range=target[0].range,
                context=types.CodeActionContext(diagnostics=target),
            )
        )
        rewrite = next(a for a in actions if a.title.startswith("Rewrite as"))
        rewritten = apply_edits(source, rewrite.edit.changes[uri])
        assert f"torch.{function}(" not in rewritten.splitlines()[6]
        compile(rewritten, "model.py", "exec")

        # source.fixAll.litert (editor.codeActionsOnSave) applies the same verified rewrite,
        # and gives what `litert-lsp check --fix` writes.
        everything = types.Range(types.Position(0, 0), types.Position(0, 0))
        [fix_all] = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri), range=everything,
            context=types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.SourceFixAll]),
        ))
        assert fix_all.kind == "source.fixAll.litert"
        assert apply_edits(source, fix_all.edit.changes[uri]) == rewritten
        (tmp_path / "cli.py").write_text(source)
        fixer = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "litert_lsp", "check", "--fix", str(tmp_path / "cli.py"),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        await asyncio.wait_for(fixer.wait(), 60)
        assert (tmp_path / "cli.py").read_text() == rewritten


async def test_fix_all_edit_is_resolved_lazily_for_clients_that_can(tmp_path):
    rewritable = [e for e in kb.entries("torch") if e.rewrite and ".Tensor." not in e.name
                  and e.name.count(".") == 1]
    if not rewritable:
        pytest.skip("no verified rewrite in the knowledge base yet")
    function = rewritable[0].name.split(".", 1)[1]
    names = {n.id for n in ast.walk(ast.parse(rewritable[0].rewrite["code"], mode="eval")) if isinstance(n, ast.Name)}
    args = ", ".join(["a", "b", "c"][:sum(1 for s in ("x", "y", "z") if s in names)])
    source = f"import torch\nfrom torch import nn\n\n\nclass Net(nn.Module):\n    def forward(self, a, b, c):\n" \
             f"        return torch.{function}({args})\n"
    uri = (tmp_path / "model.py").as_uri()
    async with running_server(tmp_path, kind="visual-studio-code") as client:
        client.open(uri, source)
        await client.diagnostics_for(uri)
        [fix_all] = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri), range=types.Range(types.Position(0, 0), types.Position(0, 0)),
            context=types.CodeActionContext(diagnostics=[], only=["source.fixAll.litert"]),
        ))
        assert fix_all.edit is None and fix_all.data["uri"] == uri
        resolved = await client.code_action_resolve_async(fix_all)
        fixed = apply_edits(source, resolved.edit.changes[uri])
        assert f"torch.{function}(" not in fixed.splitlines()[6]


async def test_code_lens_and_unknown_documents_answer_quietly(tmp_path):
    uri = (tmp_path / "model.py").as_uri()
    unknown = (tmp_path / "never-opened.py").as_uri()
    async with running_server(tmp_path) as client:
        client.open(uri, MODEL)
        await client.diagnostics_for(uri, version=1)
        lenses = await client.text_document_code_lens_async(
            types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri))
        )
        assert lenses is None or isinstance(lenses, (list, tuple))
        document = types.TextDocumentIdentifier(unknown)
        assert await client.text_document_hover_async(types.HoverParams(document, types.Position(0, 0))) is None
        assert await client.text_document_code_lens_async(types.CodeLensParams(text_document=document)) is None
        actions = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=document, range=types.Range(types.Position(0, 0), types.Position(0, 0)),
            context=types.CodeActionContext(diagnostics=[]),
        ))
        assert not actions
        report = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(text_document=document))
        assert report.kind == "full" and not report.items
        client.change(unknown, 2, "x = 1\n")  # a change to a document that was never opened
        client.text_document_did_close(types.DidCloseTextDocumentParams(document))
        client.change(uri, 2, MODEL + "\n")
        assert "LRT202" in codes(await client.diagnostics_for(uri, version=2))


async def test_workspace_check_reports_every_file_with_progress(project):
    folder = project({
        "pyproject.toml": '[tool.litert-lsp]\nexclude = ["skipped"]\n',
        "models/net.py": MODEL,
        "models/clean.py": "import torch\n\nx = torch.zeros(3)\n",
        "broken.py": "def f(:\n",
        "skipped/other.py": MODEL,
        ".venv/lib/site.py": MODEL,
    })
    async with running_server(folder) as client:
        summary = await client.command("litert.checkWorkspace")
        assert summary["files"] == 3, summary
        assert summary["errors"] >= 2
        assert str(folder / "models" / "net.py") in summary["by_file"]
        assert not any("skipped" in path or ".venv" in path for path in summary["by_file"])
        net = (folder / "models" / "net.py").as_uri()
        assert "LRT202" in codes(await client.diagnostics_for(net))
        assert "LRT001" in codes(await client.diagnostics_for((folder / "broken.py").as_uri()))
        reports = [r for token, rs in client.progress_reports.items() if str(token).startswith("litert-check")
                   for r in rs]
        kinds = [r.kind for r in reports]
        assert kinds[0] == "begin" and kinds[-1] == "end" and "report" in kinds
        assert "3 files" in reports[-1].message


async def test_the_server_process_never_imports_a_framework(tmp_path):
    uri = (tmp_path / "model.py").as_uri()
    (tmp_path / "tf_model.py").write_text("import tensorflow as tf\nx = tf.linalg.svd(tf.ones((2, 2)))\n")
    async with running_server(tmp_path) as client:
        client.open(uri, MODEL)
        await client.diagnostics_for(uri, version=1)
        await client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(uri),
                                                                 types.Position(ITEM_LINE, 25)))
        await client.command("litert.checkWorkspace")
        loaded = (await client.command("litert.debug.modules"))["modules"]
        assert "litert_lsp.server" in loaded
        leaked = [m for m in loaded if m.split(".")[0] in FRAMEWORKS]
        assert not leaked, f"the server imported {leaked[:5]}"
