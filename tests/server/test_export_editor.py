"""The editor side of exports (issue 13 items 7 and 9), through the real server and a pytest-lsp
client: lenses only for checkpoints whose keys fit the class; the report in the log with the
constructor's provenance and a "Reveal" action; identical exports joined; the input shape given
from the editor; hints for known litert-torch failures; narrowed input dtypes said."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsprotocol import types

from tests.export.provenance_src import META, NET, OTHER, PAIR, TOKENS
from tests.server.conftest import running_server

torch = pytest.importorskip("torch")
pytest.importorskip("litert_torch")


class _Net(torch.nn.Module):
    def __init__(self, width: int = 8) -> None:
        super().__init__()
        self.stem = torch.nn.Linear(16, width)
        self.head = torch.nn.Linear(width, 2)


class _Other(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = torch.nn.Linear(16, 16)


def make(root: Path) -> None:
    (root / "pyproject.toml").write_text("[tool.litert-lsp]\n")
    for name, text in (("net.py", NET), ("other.py", OTHER), ("pair.py", PAIR), ("tagged.py", META),
                       ("tokens.py", TOKENS)):
        (root / name).write_text(text)
    (root / "train.py").write_text("from net import Net\nmodel = Net(8)\n")
    (root / "ckpt").mkdir()
    torch.save({"model": _Net().state_dict(), "epoch": 3}, root / "ckpt" / "net.pt")
    torch.save({f"module.{k}": v for k, v in _Net().state_dict().items()}, root / "ckpt" / "net_dp.pt")
    torch.save(_Other().state_dict(), root / "ckpt" / "other.pt")


async def lens_titles(client, uri: str, text: str) -> list[str]:
    client.open(uri, text)
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    return [lens.command.title for lens in lenses or []]


async def test_lenses_offer_only_checkpoints_whose_keys_fit(tmp_path: Path) -> None:
    make(tmp_path)
    async with running_server(tmp_path) as client:
        net = await lens_titles(client, (tmp_path / "net.py").as_uri(), NET)
        assert "Export Net with ckpt/net.pt" in net and "Export Net with ckpt/net_dp.pt" in net
        assert not any("other.pt" in t for t in net)
        other = await lens_titles(client, (tmp_path / "other.py").as_uri(), OTHER)
        assert [t for t in other if " with " in t] == ["Export Other with ckpt/other.pt"]
        pair = await lens_titles(client, (tmp_path / "pair.py").as_uri(), PAIR)  # no checkpoint has `fc`
        assert "Export Pair" in pair and not any(" with " in t for t in pair)


def _logged(client, text: str) -> list[str]:
    return [m.message for m in client.log_messages if text in m.message]


@pytest.mark.slow
async def test_report_reveal_and_identical_exports_joined(tmp_path: Path) -> None:
    make(tmp_path)
    uri = (tmp_path / "net.py").as_uri()
    async with running_server(tmp_path, kind="visual-studio-code") as client:
        client.answer = "Reveal"
        client.open(uri, NET)
        arguments = {"uri": uri, "model": "Net", "checkpoint": str(tmp_path / "ckpt" / "net.pt")}
        first, second = await asyncio.wait_for(asyncio.gather(
            client.command("litert.export", arguments), client.command("litert.export", dict(arguments))), 300)
        assert first["ok"], first["message"]
        assert first == second  # the second request joined the first
        titles = [reports[0].title for reports in client.progress_reports.values()
                  if reports and isinstance(reports[0], types.WorkDoneProgressBegin)]
        assert titles.count("LiteRT: exporting Net") == 1
        assert first["constructor"] == "Net(8) from train.py:2"

        report = (await client.until(lambda: _logged(client, "exported Net to")))[0]
        for fact in ("constructor   Net(8) from train.py:2", "checkpoint", "weights", "size", "max error",
                     "latency", "input", "ops"):
            assert fact in report, (fact, report)
        asked = await client.until(lambda: [a for a in client.asked if "exported Net to" in a.message])
        assert [a.title for a in asked[0].actions] == ["Reveal"]
        shown = await client.until(lambda: client.shown_documents)
        assert shown[0].external and shown[0].uri == tmp_path.as_uri()
        assert Path(first["output"]).parent == tmp_path


@pytest.mark.slow
async def test_shapes_from_the_editor_hints_and_narrowed_inputs(tmp_path: Path) -> None:
    make(tmp_path)
    async with running_server(tmp_path) as client:
        pair = (tmp_path / "pair.py").as_uri()
        client.open(pair, PAIR)
        asked = await asyncio.wait_for(client.command("litert.checkConversion", {"uri": pair}), 300)
        assert not asked["ok"] and asked["needsInputShape"] and asked["stage"] == "load code"
        assert "Pair.forward takes 2 tensors (x, mask)" in asked["message"]
        assert "--input-shape" not in asked["message"] and "TypeError" not in asked["message"]
        given = await asyncio.wait_for(
            client.command("litert.checkConversion", {"uri": pair, "inputShape": "1,16;1,16"}), 300)
        assert given["ok"], given["message"]
        assert [t["shape"] for t in given["inputs"]] == [[1, 16], [1, 16]]

        tagged = (tmp_path / "tagged.py").as_uri()
        client.open(tagged, META)
        failed = await asyncio.wait_for(client.command("litert.checkConversion", {"uri": tagged}), 300)
        # The real litert-torch message, then the fix.
        assert not failed["ok"] and "references nonexistent attribute weight of meta" in failed["message"]
        assert "Fix: a top-level submodule named `meta`" in failed["message"]
        assert "self.meta_block" in failed["message"]

        tokens = (tmp_path / "tokens.py").as_uri()
        client.open(tokens, TOKENS)
        narrowed = await asyncio.wait_for(client.command("litert.checkConversion", {"uri": tokens}), 300)
        assert narrowed["ok"], narrowed["message"]
        # Measured: the example ids are int64; the converted model's input is int32.
        assert [t["dtype"] for t in narrowed["inputs"]] == ["int32"]
        assert "input 0: int64 → int32: LiteRT has no int64 inputs here" in narrowed["details"]["inputs_from"]
