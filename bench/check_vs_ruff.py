"""CPU and wall time of `litert-lsp check` against `ruff check` on one folder.

    .venv/bin/python bench/check_vs_ruff.py [FOLDER] [--profile]   (default: transformers' models folder)

`--profile` then prints where litert-lsp's CPU goes, phase by phase (bench/check_profile.py).

The folder is copied to a temporary place first: inside `.venv` both tools would skip it.
The adoption target is litert-lsp at most 3x ruff's CPU time with the default rules.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def measure(command: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    arguments = sys.argv[1:]
    profile = "--profile" in arguments
    arguments = [a for a in arguments if a != "--profile"]
    if arguments:
        source = Path(arguments[0])
    else:
        import transformers

        source = Path(transformers.__file__).parent / "models"
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "tree"
        shutil.copytree(source, folder)
        ruff = [str(bin_dir / "ruff"), "check", "--no-cache", "--isolated", "-q", "."]
        ours = [sys.executable, "-m", "litert_lsp", "check", "-q", "."]
        rows = [("ruff", measure(ruff, folder)),
                (f"litert-lsp -j{os.cpu_count()}", measure(ours, folder)),
                ("litert-lsp -j1", measure([*ours, "-j1"], folder))]
    base_cpu = rows[0][1][1]
    for name, (wall, cpu) in rows:
        print(f"{name:16} wall {wall:6.2f} s   cpu {cpu:6.2f} s   {cpu / base_cpu:5.1f}x ruff's CPU")
    if profile:
        sys.stdout.flush()
        subprocess.run([sys.executable, str(Path(__file__).with_name("check_profile.py")), str(source),
                        "--ruff-cpu", f"{base_cpu:.3f}"], check=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
