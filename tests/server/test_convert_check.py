"""The background conversion check (`litert.convertCheck`) without converting: converter
findings following edits, the content key, strict validation of the setting, and a saved
model in an untrusted workspace (never run; said once in the log). The converting lane is in
test_convert_check_slow.py."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types

from litert_lsp.core.findings import Finding, Severity
from litert_lsp.core.settings import Settings
from litert_lsp.server.features.convert_check import content_key
from litert_lsp.server.features.follow_edits import follow
from tests.server.conftest import running_server

MODEL = "import torch\nfrom torch import nn\n\n\nclass Net(nn.Module):\n    def forward(self, x):\n        return x + 1\n"


def _finding(line: int, code: str = "LRT901") -> Finding:
    return Finding(line, 4, line, 20, Severity.ERROR, code, "conversion failed")


def _edit(start: tuple[int, int], end: tuple[int, int], text: str) -> types.TextDocumentContentChangePartial:
    return types.TextDocumentContentChangePartial(
        range=types.Range(start=types.Position(*start), end=types.Position(*end)), text=text)


def test_a_line_inserted_above_moves_the_finding_down() -> None:
    moved = follow([_finding(5)], [_edit((0, 0), (0, 0), "import os\n")])
    assert [(f.line, f.end_line) for f in moved] == [(6, 6)]


def test_lines_deleted_above_move_it_up_and_edits_below_leave_it() -> None:
    moved = follow([_finding(5)], [_edit((0, 0), (2, 0), "")])
    assert [f.line for f in moved] == [3]
    assert [f.line for f in follow([_finding(5)], [_edit((7, 0), (7, 3), "abc\n\n")])] == [5]


def test_editing_the_finding_line_drops_it_and_other_codes_stay() -> None:
    static = _finding(5, "LRT101")
    kept = follow([_finding(5), static], [_edit((4, 2), (4, 3), "y")])
    assert kept == [static]


def test_a_whole_text_change_drops_converter_findings() -> None:
    whole = types.TextDocumentContentChangeWholeDocument(text="x = 1\n")
    assert follow([_finding(2), _finding(3, "LRT902")], [whole]) == []


def test_changes_apply_in_order() -> None:
    # Insert two lines above, then edit the (moved) line 7: dropped.
    changes = [_edit((0, 0), (0, 0), "a\nb\n"), _edit((6, 0), (6, 1), "z")]
    assert follow([_finding(5)], changes) == []


def test_the_content_key_covers_imported_project_modules(tmp_path: Path) -> None:
    helper = tmp_path / "blocks.py"
    helper.write_text("X = 1\n")
    model = tmp_path / "model.py"
    text = "from blocks import X\n"
    before = content_key(model, text, tmp_path)
    assert content_key(model, text, tmp_path) == before
    helper.write_text("X = 2\n")
    assert content_key(model, text, tmp_path) != before
    assert content_key(model, text + "\n", tmp_path) != content_key(model, text, tmp_path)


def test_the_setting_is_validated_strictly() -> None:
    assert Settings().convert_check == "onSave"
    assert Settings().merged({"convertCheck": "off"})[0].convert_check == "off"
    for bad in ("sometimes", 1, True):
        settings, problems = Settings().merged({"convertCheck": bad})
        assert settings.convert_check == "onSave" and problems and "convert-check" in problems[0]


async def test_an_untrusted_workspace_never_checks_and_says_so_once(tmp_path: Path) -> None:
    source = tmp_path / "net.py"
    source.write_text(MODEL)
    uri = source.as_uri()
    async with running_server(tmp_path, initialization_options={"trusted": False}) as client:
        client.open(uri, MODEL)
        await client.diagnostics_for(uri)
        for _ in range(2):
            client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))
        said = await client.until(lambda: [m for m in client.log_messages if "not trusted" in m.message
                                           and "background conversion check" in m.message])
        await asyncio.sleep(1.0)
        assert len([m for m in client.log_messages if "background conversion check" in m.message]) == 1, said
        assert not [d for d in client.diagnostics.get(uri, []) if d.code in ("LRT901", "LRT902")]
