"""Checking one file, and many files in parallel processes, for `litert-lsp check`.

The analyzer is pure Python and CPU-bound, so threads would not help: files are spread over
worker processes (`--jobs`, default every core). Each worker reads, analyzes and, with
`--fix`/`--diff`, rewrites its files; the parent only collects results in input order.
With a result cache (cli/cache.py) the parent first answers every file that did not change
from the cache, by its size and modification time, and sends only the others to the
workers, with what the cache holds for them: a worker that finds the same text (a fresh
clone) reuses the stored findings instead of analyzing.
"""

from __future__ import annotations

import ast
import contextlib
import gc
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from litert_lsp.analysis import analyze
from litert_lsp.analysis.project_index import recording_reads
from litert_lsp.analysis.rewrites import apply_rewrites, rewrite_for
from litert_lsp.cli.cache import Known, ResultCache, decode, deps_unchanged, digest_of, encode, stamp_of
from litert_lsp.core.discovery import read_source
from litert_lsp.core.findings import Finding
from litert_lsp.core.settings import Settings

# Below this many files a pool costs more than it saves.
_POOL_THRESHOLD = 8


@dataclass(frozen=True)
class Task:
    display: str  # the path as reported
    path: str | None  # the file to read; None when `text` is given (standard input)
    settings: Settings
    text: str | None = None
    fix: bool = False  # compute the verified rewrites
    cached: bool = False  # the result goes into the cache (see `record`); set by `check_all`
    known: Known | None = None  # what the cache holds for the file, its stamp out of date


@dataclass(frozen=True)
class FileResult:
    display: str
    findings: list[Finding]
    problem: str | None = None  # why the file was not checked
    original: str | None = None  # set when a fix changed the text
    fixed: str | None = None
    fixes: int = 0
    # For the cache: (stamp, text digest, other files read, the analyzer's findings encoded).
    record: tuple[Any, ...] | None = None


def check_one(task: Task) -> FileResult:
    """Analyze one file; with `task.fix`, apply the verified rewrites and report what remains."""
    with _collector_paused():
        return _check_one(task)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while one file is analyzed. A module's tree is a
    million-odd objects without cycles, and the collector would scan them again and again
    as they are built (a fifth of the CPU time of `check`, measured on transformers'
    models); the little cyclic garbage left is collected once it is back on."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _check_one(task: Task) -> FileResult:
    text = task.text
    # Taken before reading: a file changed while it is read must not get the older text's result.
    stamp = stamp_of(task.path) if task.cached and task.path is not None else None
    if text is None:
        from pathlib import Path

        source = read_source(Path(task.path or task.display))
        if source.text is None:
            return FileResult(task.display, [], source.problem)
        text = source.text
    # `per-file-ignores` match the file's own path: the one read, or --stdin-filename's.
    where = task.path or (task.display if task.display != "-" else None)
    if task.cached and task.path is not None:
        raw, record = _analyze_for_cache(task, text, stamp)
        return FileResult(task.display, task.settings.apply(raw, where), record=record)
    findings = task.settings.apply(analyze(text, task.display), where)
    if not task.fix or not findings:
        return FileResult(task.display, findings)
    fixed, count = _fixed_text(text, findings)
    if not count:
        return FileResult(task.display, findings)
    remaining = task.settings.apply(analyze(fixed, task.display), where)
    return FileResult(task.display, remaining, None, text, fixed, count)


def _analyze_for_cache(task: Task, text: str, stamp: tuple[int, int] | None) -> tuple[list[Finding], tuple | None]:
    """The analyzer's findings and the cache record for them; the stored findings when the
    text is the one they were found in (only its stamp changed) and so is all they read."""
    digest = digest_of(text)
    known = task.known
    if known is not None and known.digest == digest and deps_unchanged(known):
        try:
            found = [decode(r) for r in known.findings]
            return found, (stamp, digest, known.deps, list(known.findings)) if stamp is not None else None
        except (TypeError, ValueError):
            pass  # a record of another shape: analyze
    with recording_reads() as reads:
        found = analyze(text, task.display)
    deps = tuple((str(path), *(stamp_of(path) or (-1, -1))) for path in sorted(reads))
    return found, (stamp, digest, deps, [encode(f) for f in found]) if stamp is not None else None


def _fixed_text(text: str, findings: list[Finding]) -> tuple[str, int]:
    from litert_lsp.analysis.names import ImportTable

    try:
        imports = ImportTable.from_tree(ast.parse(text))
    except (SyntaxError, ValueError, RecursionError):
        return text, 0
    # Split on "\n" only, so "\r\n" files keep their endings ("\r" stays on each line).
    lines = text.split("\n")
    rewrites = [r for f in findings if (r := rewrite_for(f, lines, imports)) is not None]
    if not rewrites:
        return text, 0
    fixed = "\n".join(apply_rewrites(lines, rewrites))
    return fixed, len(rewrites) if fixed != text else 0


def check_all(tasks: list[Task], jobs: int | None, cache: ResultCache | None = None) -> Iterator[FileResult]:
    """Results in the order of `tasks`, computed by `jobs` processes (None: every core);
    with `cache`, unchanged files come from it and the others' results go into it."""
    if cache is None:
        yield from _check_all(tasks, jobs)
        return
    answered: list[FileResult | None] = []
    pending: list[Task] = []
    for task in tasks:
        stored = cache.fresh(task.path) if task.path is not None else None
        if stored is not None:
            answered.append(FileResult(task.display, task.settings.apply(stored, task.path)))
        else:
            answered.append(None)
            pending.append(replace(task, cached=True, known=cache.known(task.path)) if task.path else task)
    computed = _check_all(pending, jobs)
    for result in answered:
        if result is None:
            result = next(computed)
            if result.record is not None and result.problem is None:
                cache.store(result.display, *result.record)
        yield result


def _check_all(tasks: list[Task], jobs: int | None) -> Iterator[FileResult]:
    workers = jobs or os.cpu_count() or 1
    # What is loaded by now (the analyzer, settings) lives as long as the process: out of
    # the cycle collector's sight, so its full collections do not walk it again and again
    # (and forked workers do not copy pages just to have the collector look at them).
    gc.freeze()
    if workers <= 1 or len(tasks) < _POOL_THRESHOLD:
        yield from map(check_one, tasks)
        return
    # fork: the workers inherit the imported analyzer and knowledge base instead of
    # importing them again (the CLI runs no threads of its own).
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    chunk = max(1, min(32, len(tasks) // (workers * 8)))
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=context) as pool:
        yield from pool.map(check_one, tasks, chunksize=chunk)

