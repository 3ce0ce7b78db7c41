"""Hover on a call of a public framework name no probe measured: "not measured", not silence."""

from __future__ import annotations

import textwrap

from lsprotocol import types

from litert_lsp import kb
from litert_lsp.kb.public_names import public_names, unmeasured
from tests.server.conftest import running_server


def _an_unmeasured_function() -> str:
    """A lowercase `torch.xxx` public name with no knowledge-base entry (read from the
    generated names file, so the test follows the knowledge base as it grows)."""
    return next(n for n in public_names("torch")
                if n.count(".") == 1 and n.split(".")[1][:1].islower() and unmeasured(n))


async def test_unmeasured_call_says_not_measured_and_measured_or_local_names_do_not(tmp_path):
    name = _an_unmeasured_function()
    short = name.split(".", 1)[1]
    measured = next(e.name for e in kb.entries("torch") if e.name.count(".") == 1 and e.ok)
    source = textwrap.dedent(
        f"""\
        import torch as th
        from torch import nn


        class Net(nn.Module):
            def forward(self, x):
                y = th.{short}(x)
                z = th.{measured.split(".", 1)[1]}(y)
                return self.head.{short}(z), th.{short}
        """
    )
    uri = (tmp_path / "model.py").as_uri()
    lines = source.splitlines()
    async with running_server(tmp_path) as client:
        client.open(uri, source)
        await client.diagnostics_for(uri, version=1)

        async def hover(line: int, needle: str, start: int = 0) -> types.Hover | None:
            column = lines[line].index(needle, start) + 1
            return await client.text_document_hover_async(
                types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(line, column)))

        found = await hover(6, short)
        assert found is not None
        text = found.contents.value
        assert f"**{name}** not measured" in text and f"no probe for `{name}`" in text
        assert "litert-lsp check --convert" in text

        # A measured name still gets its table; a local value's method (it may not be a
        # tensor) and a name that is not called say nothing of the kind.
        table = await hover(7, measured.split(".", 1)[1])
        assert table is not None and "not measured" not in table.contents.value
        for needle, start in ((f"head.{short}", 0), (f"th.{short}", lines[8].index("),"))):
            other = await hover(8, needle.split(".")[-1], lines[8].index(needle, start))
            assert other is None or "not measured" not in other.contents.value
