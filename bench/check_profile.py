"""Where the CPU time of `litert-lsp check` goes, phase by phase, on one folder.

    .venv/bin/python bench/check_profile.py [FOLDER] [--cprofile N]
    .venv/bin/python bench/check_vs_ruff.py --profile            (the same, after the table)

Default folder: transformers' models folder, copied to a temporary place first (inside
`.venv` `check` would skip it). Three kinds of figures, all CPU seconds:

- per process: `check` over an empty folder (interpreter start-up and our imports), and
  `-j1` / `-jN` over the folder (their difference is what the worker pool costs);
- per phase, in one `-j1` run inside this process: each phase's own time (a phase that
  calls another is charged only for the rest), found by wrapping the functions that do
  the work. The wrappers cost a little (their count is printed); the phases' sum is the
  in-process total;
- with `--cprofile N`: the N functions with the most own time under cProfile (its own
  overhead inflates pure-Python code, so use it to find hot spots, not to size phases).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import importlib
import io
import os
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

# (phase, module, attribute): each function whose own time counts for the phase. A name
# imported into another module is patched there too (the module is named again).
_PHASES: list[tuple[str, str, str]] = [
    ("discovery (walk, settings)", "litert_lsp.cli.check", "_file_tasks"),
    ("read + decode", "litert_lsp.cli.checking", "read_source"),
    ("pre-filter (framework import?)", "litert_lsp.analysis.document", "may_import_a_framework"),
    ("ast.parse", "litert_lsp.analysis.document", "_parse_whole"),
    ("ast.parse", "litert_lsp.analysis.document", "parse_block"),
    ("ast.parse", "litert_lsp.analysis.module_index", "parse_block"),
    ("units + block summaries", "litert_lsp.analysis.document", "_statement_units"),
    ("units + block summaries", "litert_lsp.analysis.module_index", "summarize"),
    ("units + block summaries", "litert_lsp.analysis.document", "summarize"),
    ("module context", "litert_lsp.analysis.document", "build_context"),
    ("torch walker (rules)", "litert_lsp.analysis.torch.walker", "Program.run"),
    ("TF/Keras finder (rules)", "litert_lsp.analysis.tf.finder", "find_tf_findings"),
    ("KB lookups", "litert_lsp.kb", "lookup"),
    ("KB lookups", "litert_lsp.kb", "entries"),
    ("KB lookups", "litert_lsp.kb.idioms", "idiom"),
    ("KB lookups", "litert_lsp.kb.idioms", "for_call_site"),
    ("tokenize (suppressions)", "litert_lsp.analysis.suppress", "parse_suppressions"),
    ("suppression markers on finding lines?", "litert_lsp.analysis.suppress", "_may_silence"),
    ("analyzer: the rest (freeing trees, sort, clamp)", "litert_lsp.analysis.document", "DocumentAnalyzer.analyze"),
    ("per-file settings (ignores)", "litert_lsp.core.settings", "Settings.apply"),
    ("check_one: the rest", "litert_lsp.cli.checking", "check_one"),
    ("reporting (json)", "litert_lsp.cli.reports", "as_json"),
]


class PhaseClock:
    """Own CPU time per phase: a wrapped call charges its phase for its time minus the
    time of the wrapped calls inside it."""

    def __init__(self) -> None:
        self.own: dict[str, float] = defaultdict(float)
        self.calls = 0
        self._stack: list[list[float]] = []  # [started, time of wrapped calls inside]

    def wrap(self, phase: str, function: Callable) -> Callable:
        clock = time.process_time
        stack = self._stack

        def timed(*args, **kwargs):
            self.calls += 1
            frame = [clock(), 0.0]
            stack.append(frame)
            try:
                return function(*args, **kwargs)
            finally:
                stack.pop()
                spent = clock() - frame[0]
                self.own[phase] += spent - frame[1]
                if stack:
                    stack[-1][1] += spent

        timed.__wrapped__ = function  # type: ignore[attr-defined]
        return timed

    def gc_callback(self) -> Callable[[str, dict], None]:
        """Collections charged to "gc" (and taken out of the phase they interrupted)."""
        started = [0.0]

        def callback(stage: str, _info: dict) -> None:
            now = time.process_time()
            if stage == "start":
                started[0] = now
                return
            spent = now - started[0]
            self.own["gc (cycle collector)"] += spent
            if self._stack:
                self._stack[-1][1] += spent

        return callback


def install(clock: PhaseClock) -> list[str]:
    """Wrap every function of `_PHASES` that exists; the names that do not."""
    missing = []
    for phase, module_name, attribute in _PHASES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            missing.append(f"{module_name}.{attribute}")
            continue
        owner: object = module
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part, None)
        if owner is None or not hasattr(owner, name):
            missing.append(f"{module_name}.{attribute}")
            continue
        setattr(owner, name, clock.wrap(phase, getattr(owner, name)))
    return missing


def process_cpu(command: list[str], cwd: Path) -> float:
    """CPU seconds of a command and its children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def per_process(folder: Path) -> list[tuple[str, float]]:
    ours = [sys.executable, "-m", "litert_lsp", "check", "-q"]
    with tempfile.TemporaryDirectory() as empty:
        start_up = min(process_cpu([*ours, "-j1", empty], folder) for _ in range(3))
    one = process_cpu([*ours, "-j1", "."], folder)
    many = process_cpu([*ours, "."], folder)
    jobs = os.cpu_count() or 1
    return [("start-up + imports (empty folder)", start_up), ("-j1 over the folder", one),
            (f"-j{jobs} over the folder", many), (f"the pool's cost (-j{jobs} minus -j1)", many - one)]


def in_process(folder: Path, top: int) -> tuple[dict[str, float], float, int, list[str], str]:
    """Phase times of one `-j1` check of `folder` in this process."""
    from litert_lsp.cli import check as check_cli
    from litert_lsp.cli import checking, reports

    clock = PhaseClock()
    missing = install(clock)
    parser = argparse.ArgumentParser()
    check_cli.configure(parser)
    previous = Path.cwd()
    os.chdir(folder)
    profiler = cProfile.Profile() if top else None
    gc.callbacks.append(clock.gc_callback())
    try:
        started = time.process_time()
        if profiler:
            profiler.enable()
        args = parser.parse_args(["-q", "-j1", "."])
        tasks = check_cli._file_tasks(args, [Path(".")], check_cli._settings_lookup(args))
        reported = [(r.display, f) for r in checking.check_all(tasks, 1) for f in r.findings]
        reports.as_json(reported)
        if profiler:
            profiler.disable()
        total = time.process_time() - started
    finally:
        gc.callbacks.pop()
        os.chdir(previous)
    listing = ""
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
        listing = out.getvalue()
    return dict(clock.own), total, clock.calls, missing, listing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", type=Path)
    parser.add_argument("--cprofile", type=int, default=0, metavar="N",
                        help="also list the N functions with the most own time (cProfile)")
    parser.add_argument("--ruff-cpu", type=float, default=None,
                        help="ruff's CPU seconds on the folder, to print phases as multiples of it")
    args = parser.parse_args(argv)
    source = args.folder
    if source is None:
        import importlib.util

        spec = importlib.util.find_spec("transformers")
        if spec is None or not spec.submodule_search_locations:
            raise SystemExit("transformers is not installed: name a folder")
        source = Path(next(iter(spec.submodule_search_locations))) / "models"
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "tree"
        shutil.copytree(source, folder, ignore=shutil.ignore_patterns("__pycache__"))
        ruff_cpu = args.ruff_cpu
        if ruff_cpu is None:
            ruff = Path(sys.executable).parent / "ruff"
            if ruff.exists():
                ruff_cpu = process_cpu([str(ruff), "check", "--no-cache", "--isolated", "-q", "."], folder)
        rows = per_process(folder)
        own, total, calls, missing, listing = in_process(folder, args.cprofile)

    def ratio(seconds: float) -> str:
        return f"{seconds / ruff_cpu:5.2f}x ruff" if ruff_cpu else ""

    print("per process (CPU s):")
    if ruff_cpu:
        print(f"  {'ruff check':48} {ruff_cpu:6.2f}")
    for name, seconds in rows:
        print(f"  {name:48} {seconds:6.2f}  {ratio(seconds)}")
    print(f"per phase, one -j1 run in this process ({calls} wrapped calls), CPU s:")
    for phase, seconds in sorted(own.items(), key=lambda item: -item[1]):
        print(f"  {phase:48} {seconds:6.2f}  {100 * seconds / total:5.1f}%  {ratio(seconds)}")
    print(f"  {'(not in any phase)':48} {total - sum(own.values()):6.2f}")
    print(f"  {'total':48} {total:6.2f}         {ratio(total)}")
    if missing:
        print(f"  (not found, so not timed: {', '.join(missing)})")
    if listing:
        print(listing)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
