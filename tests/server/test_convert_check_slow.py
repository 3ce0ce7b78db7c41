"""The background conversion check through the real server, worker and converter: a save in
a trusted workspace turns a converter failure into LRT901 on the right line with no command;
the finding follows a line inserted above it and is dropped when its own line is edited; a
fixed, saved file clears it."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from lsprotocol import types

from tests.export.models_src import TINY
from tests.server.conftest import running_server

pytest.importorskip("torch")
pytest.importorskip("litert_torch")
pytestmark = pytest.mark.slow

SVD_LINE = next(i for i, text in enumerate(TINY.splitlines()) if "svdvals" in text)  # 0-based
FIXED = TINY.replace("torch.linalg.svdvals(y)", "torch.tanh(y)")


def _save(client, uri: str) -> None:
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))


async def test_a_save_checks_in_the_background_and_findings_follow_edits(tmp_path: Path) -> None:
    source = tmp_path / "models.py"
    source.write_text(TINY)
    uri = source.as_uri()
    async with running_server(tmp_path, initialization_options={"trusted": True}) as client:
        client.open(uri, TINY)
        await client.diagnostics_for(uri)

        def lrt901():
            return [d for d in client.diagnostics.get(uri, []) if d.code == "LRT901"]

        _save(client, uri)
        found = await client.until(lrt901, timeout=400)
        assert [d.range.start.line for d in found] == [SVD_LINE]
        # The converter's truth has a source of its own beside static analysis's "litert".
        assert [d.source for d in found] == ["litert-convert"]
        assert not list(tmp_path.glob("*.tflite")), "a background check never writes a file"

        # A line inserted above: the finding moves with its line (no new check: not saved).
        client.change(uri, 2, "import os\n", start=(0, 0), end=(0, 0))
        await client.until(lambda: [d.range.start.line for d in lrt901()] == [SVD_LINE + 1])
        # Its own line edited: dropped.
        client.change(uri, 3, "#", start=(SVD_LINE + 1, 0), end=(SVD_LINE + 1, 0))
        await client.until(lambda: not lrt901() and client.published and client.published[-1].version == 3)

        def said(*parts: str):
            return [m.message for m in client.log_messages if all(part in m.message for part in parts)]

        # Fixed and saved: the check passes (and clears what the failure left).
        source.write_text(FIXED)
        client.change(uri, 4, FIXED)
        started = time.monotonic()
        _save(client, uri)
        await client.until(lambda: said("background check of models.py", "SvdNet: ok"), timeout=300)
        print(f"warm-worker check of the fixed file: {time.monotonic() - started:.1f} s")
        assert not lrt901()

        # The failing text again: its verdict comes from the cache, on the right line.
        source.write_text(TINY)
        client.change(uri, 5, TINY)
        _save(client, uri)
        found = await client.until(lrt901, timeout=30)
        assert [d.range.start.line for d in found] == [SVD_LINE]
        assert said("background check of models.py", "cached")

        # A new text saved, then changed at once: the check is cancelled and shows nothing.
        changed = TINY + "\n# another version\n"
        source.write_text(changed)
        client.change(uri, 6, changed)
        _save(client, uri)
        client.change(uri, 7, "# edited\n", start=(0, 0), end=(0, 0))
        await client.until(lambda: said("cancelled by a change"), timeout=60)
        await asyncio.sleep(1.0)
        assert not lrt901()  # the whole-text change dropped the old one; the cancelled check adds none
        assert not list(tmp_path.glob("*.tflite"))


RUNAWAYS = '''\
import os
import time

import torch
from torch import nn


class Hog(nn.Module):
    def __init__(self):
        super().__init__()
        # 20 GB: far over the background budget. bytearray asks for zeroed pages, so even
        # without a cap nothing would be touched; with it the allocation fails at once.
        self.buffer = bytearray(20 << 30)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x)


class Crasher(nn.Module):
    def __init__(self):
        super().__init__()
        os.abort()

    def forward(self, x):
        return x


class Sleeper(nn.Module):
    def __init__(self):
        super().__init__()
        time.sleep(10**6)

    def forward(self, x):
        return x


class Fine(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return torch.tanh(self.fc(x))
'''


async def test_a_model_that_hogs_memory_crashes_or_hangs_costs_one_message(tmp_path: Path) -> None:
    from tests.server.test_convert_check import StatusClient

    source = tmp_path / "runaways.py"
    source.write_text(RUNAWAYS)
    uri = source.as_uri()
    lines = {name: i for i, text in enumerate(RUNAWAYS.splitlines()) for name in ("Hog", "Crasher", "Sleeper", "Fine")
             if text.startswith(f"class {name}(")}
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    # Long enough for Fine on a fresh, niced worker on a busy machine (litert-torch's import
    # counts: it happens at the first conversion), short enough for the test.
    configuration = {"litert": {"export": {"timeoutSeconds": 20}}}
    async with running_server(tmp_path, configuration=configuration, initialization_options={"trusted": True}) as client:
        status = StatusClient(client)
        client.open(uri, RUNAWAYS)
        await client.diagnostics_for(uri)
        started = time.monotonic()
        _save(client, uri)
        done = await client.until(lambda: [s for s in status.seen if s["state"] == "done"], timeout=400)
        print(f"four models, three of them runaways: {time.monotonic() - started:.1f} s")
        verdict = {m["name"]: (m["status"], m["message"]) for m in done[0]["models"]}
        assert verdict["Fine"] == ("ok", ""), verdict  # the worker was replaced each time
        assert verdict["Hog"][0] == verdict["Crasher"][0] == verdict["Sleeper"][0] == "not_checked"
        assert "needs more than the 4096 MB background budget" in verdict["Hog"][1]
        assert "crashed the worker (killed by SIGABRT)" in verdict["Crasher"][1]
        assert "took longer than 20 s" in verdict["Sleeper"][1]
        running = [s for s in status.seen if s["state"] == "running"]
        assert [next(m["name"] for m in s["models"] if m["status"] == "running") for s in running] == \
            ["Hog", "Crasher", "Sleeper", "Fine"]
        # $/progress, as the status says it.
        titles = [getattr(r, "title", None) for reports in client.progress_reports.values() for r in reports]
        assert "LiteRT: converting Hog" in titles

        # Each says why once: a lens and the hover on its class line, one log line; no diagnostic.
        lenses = await client.text_document_code_lens_async(types.CodeLensParams(types.TextDocumentIdentifier(uri)))
        said = {lens.range.start.line: lens.command.title for lens in lenses
                if lens.command and lens.command.title.startswith("LiteRT: not checked")}
        assert said == {lines[name]: verdict[name][1] for name in ("Hog", "Crasher", "Sleeper")}
        hover = await client.text_document_hover_async(types.HoverParams(
            types.TextDocumentIdentifier(uri), types.Position(line=lines["Crasher"], character=8)))
        assert hover is not None and verdict["Crasher"][1] in hover.contents.value
        for name in ("Hog", "Crasher", "Sleeper"):
            assert len([m for m in client.log_messages if f"background check skips {name} " in m.message]) == 1
        assert not [d for d in client.diagnostics.get(uri, []) if d.code in ("LRT901", "LRT902")]
        assert not [m for m in client.messages if any(n in m.message for n in ("Hog", "Crasher", "Sleeper"))]

        # The server kept serving: an edit gets its diagnostics.
        client.change(uri, 2, "# edited\n", start=(0, 0), end=(0, 0))
        await client.diagnostics_for(uri, version=2)
    # No file written: no .tflite, no partial, no core dump, no __pycache__.
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


PAUSED_MODEL = '''import pathlib
import time

import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        pathlib.Path(__file__).with_name("building").write_text("now")
        time.sleep(2.0)
        raise ValueError("built after the pause")
'''


async def test_a_paused_worker_is_stopped_and_its_time_budget_stops_with_it(tmp_path: Path) -> None:
    """While the user types the background worker is SIGSTOPped; a pause longer than the job's
    budget must not time the job out, and the process must really be stopped meanwhile."""
    from litert_lsp.jobs.client import WorkerClient
    from litert_lsp.jobs.job import ExportRequest

    (tmp_path / "model.py").write_text(PAUSED_MODEL)
    client = WorkerClient()
    request = ExportRequest(source=str(tmp_path / "model.py"), model="Net", input_shapes=[[1, 4]],
                            write_output=False, workspace=str(tmp_path))
    job = asyncio.ensure_future(client.export(request, None, timeout=4.0, startup_timeout=120.0))
    try:
        while not (tmp_path / "building").exists():  # the model's own 4 s budget is running now
            assert not job.done(), job.result()
            await asyncio.sleep(0.05)
        client.pause()
        await asyncio.sleep(0.3)
        assert client.process is not None
        state = Path(f"/proc/{client.process.pid}/stat").read_text().split(")")[-1].split()[0]
        assert state == "T"  # stopped: it takes no CPU while the user types
        await asyncio.sleep(5.0)  # longer than the whole budget
        assert not job.done()
        client.resume()
        result = await asyncio.wait_for(job, 60)
        assert result.status != "timeout" and "built after the pause" in result.message, result.message
    finally:
        await client.close()


KERAS_DET = '''import keras
import numpy as np
import tensorflow as tf


class DetNet(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(16)

    def call(self, x):
        matrices = tf.reshape(self.dense(x), (-1, 4, 4))
        return tf.linalg.det(matrices)


def example_inputs():
    return [np.linspace(-1.0, 1.0, 6, dtype=np.float32).reshape(1, 6)]
'''
KERAS_DET_LINE = KERAS_DET.splitlines().index("        return tf.linalg.det(matrices)")  # 0-based


async def test_a_keras_model_is_checked_in_the_background_too(tmp_path: Path) -> None:
    """Both frameworks: a saved Keras model whose op needs Select TF ops gets LRT901 on that line
    from the background check, with its status notification; fixing and saving clears it."""
    pytest.importorskip("tensorflow")
    from tests.server.test_convert_check import StatusClient

    source = tmp_path / "keras_model.py"
    source.write_text(KERAS_DET)
    uri = source.as_uri()
    async with running_server(tmp_path, initialization_options={"trusted": True}) as client:
        status = StatusClient(client)
        client.open(uri, KERAS_DET)
        await client.diagnostics_for(uri)
        _save(client, uri)

        def done() -> list[dict]:
            return [s for s in status.seen if s["state"] == "done"]

        await asyncio.wait_for(client.until(lambda: done() and any(
            d.code == "LRT901" for d in client.diagnostics.get(uri, []))), 300)
        finding = next(d for d in client.diagnostics[uri] if d.code == "LRT901")
        assert finding.range.start.line == KERAS_DET_LINE and "MatrixDeterminant" in finding.message
        assert [m["name"] for m in done()[-1]["models"]] == ["DetNet"] and done()[-1]["findings"] >= 1
        assert done()[-1]["models"][0]["status"] not in ("ok", "not_checked")
        fixed = KERAS_DET.replace("tf.linalg.det(matrices)", "tf.reduce_sum(matrices, axis=[1, 2])")
        source.write_text(fixed)
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            [types.TextDocumentContentChangeWholeDocument(text=fixed)]))
        _save(client, uri)
        await asyncio.wait_for(client.until(lambda: len(done()) >= 2 and not any(
            d.code == "LRT901" for d in client.diagnostics.get(uri, []))), 300)
        assert done()[-1]["models"][0]["status"] == "ok"


TWO_FAILING = '''import torch
from torch import nn


class SvdNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return torch.linalg.svdvals(self.fc(x))


class HistNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return torch.histc(self.fc(x), bins=4)
'''


async def test_every_failing_model_of_a_file_gets_its_finding(tmp_path: Path) -> None:
    source = tmp_path / "two.py"
    source.write_text(TWO_FAILING)
    uri = source.as_uri()
    lines = TWO_FAILING.splitlines()
    expected = sorted(i for i, text in enumerate(lines) if "svdvals" in text or "histc" in text)
    async with running_server(tmp_path, initialization_options={"trusted": True}) as client:
        client.open(uri, TWO_FAILING)
        await client.diagnostics_for(uri)

        def converter_lines():
            return sorted(d.range.start.line for d in client.diagnostics.get(uri, []) if d.code == "LRT901")

        _save(client, uri)
        await client.until(lambda: converter_lines() == expected, timeout=400)
