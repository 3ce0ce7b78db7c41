"""CPU and wall time of `litert-lsp check` against `ruff check` on one folder.

    .venv/bin/python bench/check_vs_ruff.py [FOLDER] [--profile]   (default: transformers' models folder)

`--profile` then prints where litert-lsp's CPU goes, phase by phase (bench/check_profile.py).

The folder is copied to a temporary place first: inside `.venv` both tools would skip it.
The adoption target is litert-lsp at most 3x ruff's CPU time with the default rules.

Four runs of each tool, as users meet them:
- cold: no cache on either side (`--no-cache`): every file analyzed;
- warm: the same tree again, both tools as installed (each with its own result cache);
- fresh clone: every file touched (new times, same texts), as after a clone or a CI cache restore;
- one edit: one model file changed.
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
        ruff = [str(bin_dir / "ruff"), "check", "--isolated", "-q", "."]
        ours = [sys.executable, "-m", "litert_lsp", "check", "-q", "."]
        cold = [("ruff --no-cache", measure([*ruff, "--no-cache"], folder)),
                (f"litert-lsp --no-cache -j{os.cpu_count()}", measure([*ours, "--no-cache"], folder)),
                ("litert-lsp --no-cache -j1", measure([*ours, "--no-cache", "-j1"], folder))]
        measure(ruff, folder), measure(ours, folder)  # fill both caches
        warm = [("ruff", measure(ruff, folder)), ("litert-lsp", measure(ours, folder))]
        for path in folder.rglob("*.py"):
            os.utime(path)
        clone = [("ruff", measure(ruff, folder)), ("litert-lsp", measure(ours, folder))]
        edited = max(folder.rglob("modeling_*.py"), key=lambda p: p.stat().st_size, default=None)
        if edited is not None:
            edited.write_text(edited.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
        one = [("ruff", measure(ruff, folder)), ("litert-lsp", measure(ours, folder))]
    base_cpu = cold[0][1][1]
    for title, rows in (("cold, no cache", cold), ("warm, each with its cache", warm),
                        ("fresh clone (all touched)", clone), ("one file edited", one)):
        print(f"{title}:")
        base = rows[0][1][1]
        for name, (wall, cpu) in rows:
            print(f"  {name:28} wall {wall:6.2f} s   cpu {cpu:6.2f} s   {cpu / base:5.1f}x ruff's CPU here"
                  f"   {cpu / base_cpu:5.2f}x ruff cold")
    if profile:
        sys.stdout.flush()
        subprocess.run([sys.executable, str(Path(__file__).with_name("check_profile.py")), str(source),
                        "--ruff-cpu", f"{base_cpu:.3f}"], check=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
