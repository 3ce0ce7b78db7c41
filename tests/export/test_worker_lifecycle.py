"""The worker dies, is cancelled or hangs: the caller gets a clear answer, no partial file is
left behind, and the next export starts a fresh worker."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from tests.export.conftest import request_for

pytest.importorskip("litert_torch")
pytestmark = pytest.mark.slow

SLEEPY = '''\
import time
import torch
from torch import nn


class Sleepy(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        time.sleep(60)
        return self.fc(x)
'''


def test_worker_killed_mid_job_then_restarted(warm_worker, workspace, tmp_path) -> None:
    client = warm_worker.client
    seen = []

    def progress(stage: str, message: str, percent: float | None) -> None:
        seen.append(stage)
        if stage == "convert" and client.process is not None:
            os.kill(client.process.pid, signal.SIGKILL)  # as the OOM killer would

    assert warm_worker.export(request_for(workspace, "TinyNet", tmp_path, write_output=False)).ok  # warm
    starts = client.starts
    result = warm_worker.export(request_for(workspace, "TinyNet", tmp_path), progress)
    assert not result.ok and result.stage == "convert"
    assert "stopped unexpectedly" in result.message and "SIGKILL" in result.message
    assert not list(tmp_path.iterdir())
    again = warm_worker.export(request_for(workspace, "TinyNet", tmp_path))
    assert again.ok, again.message
    assert client.starts == starts + 1


@pytest.mark.parametrize("at_stage", ["convert", "profile"])
def test_cancel_mid_job_leaves_no_partial_output(warm_worker, workspace, tmp_path, at_stage) -> None:
    client = warm_worker.client
    target = tmp_path / "TinyNet.tflite"
    target.write_bytes(b"previous export")  # a cancelled job must not touch it either
    pending = []

    def progress(stage: str, message: str, percent: float | None) -> None:
        if stage == at_stage:
            pending.append(asyncio.ensure_future(client.cancel()))  # runs on the client's loop, like an LSP cancel

    result = warm_worker.export(request_for(workspace, "TinyNet", tmp_path), progress)
    assert not result.ok and result.status == "cancelled" and result.details.get("cancelled")
    assert "cancelled" in result.message
    assert target.read_bytes() == b"previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["TinyNet.tflite"]


def test_hung_job_times_out_and_worker_recovers(warm_worker, workspace, tmp_path) -> None:
    (tmp_path / "sleepy.py").write_text(SLEEPY)
    request = request_for(workspace, "Sleepy", tmp_path, source=str(tmp_path / "sleepy.py"))
    result = warm_worker.export(request, timeout=8)
    assert not result.ok and result.status == "timeout" and result.details.get("timeout")
    assert "longer than 8 s" in result.message
    assert not list(tmp_path.glob("*.tflite"))
    assert warm_worker.export(request_for(workspace, "TinyNet", tmp_path)).ok


def test_protocol_ignores_noise_and_answers_ping(tmp_path: Path) -> None:
    """The raw protocol: bad lines get an error object, ping answers, shutdown exits 0."""
    import json
    import subprocess
    import sys

    process = subprocess.run(
        [sys.executable, "-m", "litert_lsp.worker"],
        input='not json\n{"id": 1, "method": "ping"}\n{"id": 2, "method": "nope"}\n{"id": 3, "method": "shutdown"}\n',
        capture_output=True, text=True, timeout=60, check=False,
    )
    replies = [json.loads(line) for line in process.stdout.splitlines()]
    assert process.returncode == 0
    assert replies[0]["error"]["message"] == "not a JSON object"
    assert replies[1]["id"] == 1 and replies[1]["result"]["ok"]
    assert "unknown method" in replies[2]["error"]["message"]
    assert replies[3] == {"id": 3, "result": {"ok": True}}
