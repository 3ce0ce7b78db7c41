"""Regenerate the knowledge base: `python -m tools.probes [--framework F] [--only NAME...]`.

Each framework is a *suite*: the module `tools.probes.<framework>_suite`, which has

    FRAMEWORK       "torch" | "tensorflow"
    WORKER_MODULE   module run as `python -m WORKER_MODULE` in each worker; its main() calls
                    `isolation.serve(probe_one)`
    jobs()          -> list[str]: job ids, "NAME" or "NAME::VARIANT" (NAME = the entry's name)
    probe_one(job)  -> dict: runs inside a worker, returns a JSON-able result
    build_document(outcomes, seconds) -> dict: the whole data file (schema in litert_lsp/kb/__init__)

This runner isolates every probe (`run_isolated`), writes `litert_lsp/kb/data/<framework>.json`
atomically, regenerates `docs/ops.md`, and says how long it took. With `--only`, the fresh
entries replace the same-named ones of the existing file and the rest are kept.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from litert_lsp import kb
from tools.probes.isolation import ProbeOutcome, run_isolated

DATA_DIR = Path(kb.__file__).resolve().parent / "data"  # the tables ship inside the wheel
DOCS_PAGE = Path(__file__).resolve().parents[2] / "docs" / "ops.md"


def job_name(job: str) -> str:
    """The entry name a job id belongs to ("torch.unfold::4d" -> "torch.unfold")."""
    return job.split("::", 1)[0]


def load_suite(framework: str) -> Any:
    return importlib.import_module(f"tools.probes.{framework}_suite")


def _suite_exists(framework: str) -> bool:
    return importlib.util.find_spec(f"tools.probes.{framework}_suite") is not None


def select(jobs: list[str], only: list[str] | None) -> list[str]:
    if not only:
        return jobs
    wanted = set(only)
    return [job for job in jobs if job_name(job) in wanted or job in wanted]


def merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """`new` with the entries of `old` that it did not re-measure, in name order."""
    fresh = {entry["name"] for entry in new.get("entries", [])}
    kept = [entry for entry in old.get("entries", []) if entry["name"] not in fresh]
    merged = dict(new)
    merged["entries"] = sorted(kept + list(new.get("entries", [])), key=lambda e: e["name"])
    if "duration_seconds" in old:
        merged["duration_seconds"] = old["duration_seconds"]  # the full run's time stays
    return merged


def write_text_atomically(text: str, target: Path) -> None:
    """Temp file in the same folder + rename: readers see the old file or the whole new one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    try:
        # mkstemp makes the file private; the data ships with the package, so use the umask's mode.
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def run_suite(framework: str, only: list[str] | None, processes: int, timeout: float,
              log_path: str | None, quiet: bool, data_dir: Path = DATA_DIR,
              outcomes_path: Path | None = None, rebuild: Path | None = None) -> dict[str, Any]:
    suite = load_suite(framework)
    jobs = select(list(suite.jobs()), only)
    if not jobs:
        raise SystemExit(f"no {framework} probe matches {only}")
    total = len(jobs)
    done = 0
    started = time.monotonic()

    def progress(outcome: ProbeOutcome) -> None:
        nonlocal done
        done += 1
        if quiet:
            return
        result = outcome.result or {}
        status = outcome.failure or result.get("status") or result.get("probe_error") or "?"
        print(f"[{done}/{total}] {outcome.job}: {str(status)[:90]} ({outcome.seconds:.1f} s)",
              flush=True)

    if rebuild:  # re-derive the document from saved raw outcomes, without probing again
        saved = json.loads(rebuild.read_text(encoding="utf-8"))
        outcomes = [ProbeOutcome(**o) for o in saved["outcomes"] if o["job"] in set(jobs)]
        seconds = float(saved["seconds"])
    else:
        outcomes = run_isolated(jobs, suite.WORKER_MODULE, processes=processes, timeout=timeout,
                                log_path=log_path, on_outcome=progress)
        seconds = time.monotonic() - started
        if outcomes_path:
            write_text_atomically(json.dumps({"seconds": seconds, "outcomes": [vars(o) for o in outcomes]}),
                                  outcomes_path)
    document = suite.build_document(outcomes, seconds)
    target = data_dir / f"{framework}.json"
    if only and target.exists():
        document = merge(json.loads(target.read_text(encoding="utf-8")), document)
    write_text_atomically(json.dumps(document, indent=1, sort_keys=False) + "\n", target)
    print(f"{framework}: {len(jobs)} probes -> {len(document.get('entries', []))} entries in "
          f"{target} ({seconds:.0f} s wall, {processes} workers)", flush=True)
    return document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.probes", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--framework", choices=kb.FRAMEWORKS, action="append",
                        help="suite to run (repeatable; default: every suite)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="probe only these entry names")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per probe")
    parser.add_argument("--log", help="append the workers' stderr to this file")
    parser.add_argument("--no-docs", action="store_true", help="do not regenerate docs/ops.md")
    parser.add_argument("--save-outcomes", type=Path, metavar="FILE",
                        help="also keep the raw probe outcomes here (for --rebuild)")
    parser.add_argument("--rebuild", type=Path, metavar="FILE",
                        help="build the data file from outcomes saved by --save-outcomes, probing nothing")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR,
                        help="write <framework>.json here instead of the package (implies --no-docs)")
    parser.add_argument("--quiet", action="store_true", help="no per-probe progress lines")
    args = parser.parse_args(argv)
    started = time.monotonic()
    for framework in args.framework or kb.FRAMEWORKS:
        if not args.framework and not _suite_exists(framework):
            print(f"{framework}: no suite module yet, skipped", flush=True)
            continue
        run_suite(framework, args.only, max(1, args.jobs), args.timeout, args.log, args.quiet, args.data_dir,
                  args.save_outcomes, args.rebuild)
    kb._load.cache_clear()  # the tables just changed on disk
    if not args.no_docs and args.data_dir == DATA_DIR:
        from litert_lsp.kb import docs

        write_text_atomically(docs.render(), DOCS_PAGE)
        print(f"wrote {DOCS_PAGE}")
    print(f"regeneration took {time.monotonic() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
