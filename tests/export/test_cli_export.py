"""`litert-lsp export` as a user runs it: a fresh process, exit codes, the report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.export.models_src import TINY

pytestmark = pytest.mark.slow
torch = pytest.importorskip("torch")
pytest.importorskip("litert_torch")


def cli(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "litert_lsp", "export", *arguments], cwd=cwd,
                          capture_output=True, text=True, timeout=300, check=False)


def test_export_verified_file_and_json_report(tmp_path: Path) -> None:
    (tmp_path / "tiny.py").write_text(TINY)
    sys.path.insert(0, str(tmp_path))
    try:
        import tiny
        torch.save({"net": {f"module.{k}": v for k, v in tiny.TinyNet().state_dict().items()}}, tmp_path / "w.pth")
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("tiny", None)
    done = cli("tiny.py", "--model", "TinyNet", "--checkpoint", "w.pth", "--input-shape", "1,3,20,20",
               "--output", "out/net.tflite", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["ok"] and report["status"] == "ok" and report["output"] == str(tmp_path / "out" / "net.tflite")
    assert report["inputs"][0]["shape"] == [1, 3, 20, 20]
    assert report["details"]["removed_prefixes"] == ["module."]
    assert (tmp_path / "out" / "net.tflite").stat().st_size == report["size_bytes"]
    for stage in ("load code", "restore", "export", "convert", "verify", "profile"):
        assert f"] {stage}:" in done.stderr  # progress goes to stderr


def test_failed_conversion_exits_1_and_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "tiny.py").write_text(TINY)
    done = cli("tiny.py", "--model", "SvdNet", cwd=tmp_path)
    line = next(i for i, t in enumerate(TINY.splitlines(), 1) if "svdvals" in t)
    assert done.returncode == 1
    assert "export FAILED at 'convert'" in done.stdout and f"tiny.py:{line}:" in done.stdout
    assert not list(tmp_path.glob("*.tflite"))


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    (tmp_path / "tiny.py").write_text(TINY)
    assert cli("missing.py", cwd=tmp_path).returncode == 2
    several = cli("tiny.py", cwd=tmp_path)
    assert several.returncode == 2 and "choose one with --model" in several.stderr
    bad_shape = cli("tiny.py", "--model", "TinyNet", "--input-shape", "a,b", cwd=tmp_path)
    assert bad_shape.returncode == 2 and "input shape" in bad_shape.stderr
