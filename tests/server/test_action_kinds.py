"""Code action kinds as the client sees them on the wire (pytest-lsp's client rewrites
CodeActions that carry a command, so this reads the raw JSON): export actions are in the
light-bulb menu on a model's class line, and a client asking only for some kinds gets only
those."""

from __future__ import annotations

from pathlib import Path

from tests.samples import MODEL_WITH_ITEM
from tests.server.raw_client import RawServer, frame, initialize, notification, request


def actions(server: RawServer, msg_id: int, uri: str, line: int, only: list[str] | None) -> list[dict]:
    context = {"diagnostics": []} | ({"only": only} if only else {})
    server.send(frame(request(msg_id, "textDocument/codeAction", {
        "textDocument": {"uri": uri},
        "range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}},
        "context": context,
    })))
    return server.wait_for({msg_id})[msg_id]["result"] or []


def test_export_actions_reach_the_light_bulb_on_the_class_line(tmp_path: Path) -> None:
    source = tmp_path / "model.py"
    source.write_text(MODEL_WITH_ITEM)
    uri = source.as_uri()
    class_line = next(i for i, text in enumerate(MODEL_WITH_ITEM.splitlines()) if text.startswith("class "))
    server = RawServer(tmp_path)
    try:
        server.send(frame(initialize(1, root=tmp_path)))
        server.wait_for({1})
        server.send(frame(notification("initialized", {})))
        server.send(frame(notification("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1, "text": MODEL_WITH_ITEM}})))
        plain = actions(server, 2, uri, class_line, None)
        export = [a for a in plain if a.get("command", {}).get("command") == "litert.export"]
        assert export and export[0]["kind"] == "refactor.litert", plain
        sourced = actions(server, 3, uri, class_line, ["source"])
        assert sourced and all(a["kind"].startswith("source") for a in sourced), sourced
        quick = actions(server, 4, uri, class_line, ["quickfix"])
        assert all(a["kind"] == "quickfix" for a in quick), quick
    finally:
        server.close()
