"""Temporary files are owned per job: cleaning up after a killed worker removes only the
job's own `.partial` files, never another job's or another process's."""

from __future__ import annotations

from pathlib import Path

from litert_lsp.jobs.client import _remove_partials
from litert_lsp.jobs.job import ExportRequest
from litert_lsp.worker import runtime


def test_a_job_removes_only_its_own_partial_files(tmp_path: Path) -> None:
    output = tmp_path / "model.tflite"
    mine = ExportRequest(source=str(tmp_path / "model.py"), output=str(output), job_token="a1b2c3")
    own = tmp_path / ".model.tflite.a1b2c3.x7y8.partial"
    theirs = tmp_path / ".model.tflite.ffff00.q1w2.partial"  # another job, same output
    unrelated = tmp_path / ".model.tflite.k3l4.partial"  # another tool's, no token
    for path in (own, theirs, unrelated):
        path.write_bytes(b"half")
    _remove_partials(mine)
    assert not own.exists() and theirs.exists() and unrelated.exists()
    # Without a token there is nothing that is surely this job's: nothing is removed.
    _remove_partials(ExportRequest(source=str(tmp_path / "model.py"), output=str(output)))
    assert theirs.exists() and unrelated.exists()


def test_atomic_writes_name_their_temporary_file_after_the_job(tmp_path: Path, monkeypatch) -> None:
    seen = []
    real_replace = runtime.os.replace

    def spy(source, target):
        seen.append(Path(source).name)
        real_replace(source, target)

    monkeypatch.setattr(runtime.os, "replace", spy)
    target = runtime.write_atomically(b"tflite", tmp_path / "m.tflite", owner="a1b2c3")
    assert target.read_bytes() == b"tflite"
    assert seen and seen[0].startswith(".m.tflite.a1b2c3.") and seen[0].endswith(".partial")
    assert not list(tmp_path.glob("*.partial"))


def test_outputs_get_the_mode_a_new_file_gets(tmp_path: Path) -> None:
    import os

    from litert_lsp.core.atomic import write_text_atomically

    umask = os.umask(0o022)
    os.umask(umask)
    tflite = runtime.write_atomically(b"tflite", tmp_path / "m.tflite", owner="t0")
    script = write_text_atomically("print(1)\n", tmp_path / "export_m.py")
    for written in (tflite, script):
        assert written.stat().st_mode & 0o777 == 0o666 & ~umask, oct(written.stat().st_mode)
