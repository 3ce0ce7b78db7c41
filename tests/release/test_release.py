"""The release artifacts build, pass `twine check`, carry LICENSE/docs/tests, and the wheel
alone installs and runs (`check`, `serve`) at both ends of the declared Python range."""

from __future__ import annotations

import glob
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def interpreter(version: str) -> str | None:
    """A python`version` on this machine (PATH, or pyenv's versions folder)."""
    found = shutil.which(f"python{version}")
    if found and subprocess.run([found, "-c", "pass"], capture_output=True, check=False).returncode == 0:
        return found
    candidates = sorted(glob.glob(str(Path.home() / ".pyenv" / "versions" / f"{version}.*" / "bin" / f"python{version}")))
    return candidates[-1] if candidates else None


def declared_ends() -> tuple[str, str]:
    text = (ROOT / "pyproject.toml").read_text()
    minimum = text.split('requires-python = ">=', 1)[1].split('"', 1)[0]
    versions = [line.split(":: ")[-1].strip('", ') for line in text.splitlines()
                if "Programming Language :: Python :: 3." in line]
    return minimum, max(versions, key=lambda v: tuple(map(int, v.split("."))))


@pytest.mark.slow
def test_release_builds_and_the_wheel_runs_at_both_ends_of_the_python_range(tmp_path: Path) -> None:
    low, high = declared_ends()
    pythons = [p for p in (interpreter(low), interpreter(high)) if p]
    if not pythons:
        pythons = [sys.executable]
    print(f"smoke-testing the wheel with {pythons}")
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "release.py"), "--out", str(tmp_path / "dist"), "--no-vsix",
         *[arg for p in pythons for arg in ("--python", p)]],
        capture_output=True, text=True, timeout=1200, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "built and checked" in done.stdout
    assert done.stdout.count("check and serve run") == len(pythons)
