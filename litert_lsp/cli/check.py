"""`litert-lsp check PATH...`: the analyzer over files and folders, for CI and terminals.

Exit 0 when no finding has error severity, 1 when any does (or, with `--diff`, when a fix
would change a file), 2 on bad usage. `--convert` adds the dynamic lane (cli/convert_lane.py):
its LRT901/LRT902 count as errors like the static ones.
"""

from __future__ import annotations

import argparse
import difflib
import sys
import time
from dataclasses import replace
from pathlib import Path

from litert_lsp.cli.cache import ResultCache, default_folder
from litert_lsp.cli.checking import FileResult, Task, check_all
from litert_lsp.cli.reports import (
    Reported,
    as_github,
    as_gitlab,
    as_json,
    as_sarif,
    as_statistics,
    as_text,
)
from litert_lsp.core.discovery import iter_python_files
from litert_lsp.core.findings import Severity
from litert_lsp.core.settings import Settings, find_config_root, load_settings

FORMATS = ("text", "json", "sarif", "github", "gitlab")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", default=["."], metavar="PATH",
                        help="files and folders to check (default: the current folder); "
                             "`-` reads standard input")
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="output format (default: text)")
    parser.add_argument("--output", "-o", metavar="FILE",
                        help="write the report to FILE instead of standard output")
    parser.add_argument("--select", metavar="CODES",
                        help="comma-separated codes or prefixes to report (overrides pyproject)")
    parser.add_argument("--ignore", metavar="CODES",
                        help="comma-separated codes or prefixes to leave out (overrides pyproject)")
    parser.add_argument("--exclude", metavar="GLOBS",
                        help="comma-separated globs to skip, added to the configured ones")
    parser.add_argument("--force-exclude", action="store_true",
                        help="apply the excludes to files named on the command line too (pre-commit)")
    parser.add_argument("--gpu-compatibility", action="store_true", default=None,
                        help="also report ops the LiteRT GPU delegate will not run (LRT303)")
    parser.add_argument("--statistics", action="store_true",
                        help="print how many findings each code has instead of the findings")
    parser.add_argument("--fix", action="store_true",
                        help="apply the knowledge base's verified rewrites to the files")
    parser.add_argument("--diff", action="store_true",
                        help="print the verified rewrites as a unified diff; change no file")
    parser.add_argument("--stdin-filename", metavar="PATH",
                        help="with `-`: the path the standard input stands for (settings, reports)")
    parser.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                        help="check files in N processes (default: every core)")
    parser.add_argument("--convert", action="store_true",
                        help="after the static findings, convert and verify each model class that can be built "
                             "without asking (the export worker; writes nothing): failures are LRT901/LRT902")
    parser.add_argument("--no-cache", action="store_true",
                        help="analyze every file, neither reading nor writing the result cache")
    parser.add_argument("--cache-dir", metavar="DIR",
                        help="where the result cache lives (default: $LITERT_LSP_CACHE_DIR, else "
                             ".litert-lsp-cache in the project root)")
    parser.add_argument("--quiet", "-q", action="store_true",
                        help="no summary line on standard error")


def run(args: argparse.Namespace) -> int:
    if args.jobs is not None and args.jobs < 1:
        print("litert-lsp check: --jobs must be at least 1", file=sys.stderr)
        return 2
    from_stdin = "-" in args.paths
    if from_stdin and len(args.paths) > 1:
        print("litert-lsp check: `-` (standard input) cannot be mixed with other paths", file=sys.stderr)
        return 2
    if args.stdin_filename and not from_stdin:
        print("litert-lsp check: --stdin-filename needs `-` as the path", file=sys.stderr)
        return 2
    paths = [] if from_stdin else [Path(p) for p in args.paths]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        print(f"litert-lsp check: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    settings_for = _settings_lookup(args)

    started = time.perf_counter()
    tasks = _stdin_tasks(args, settings_for) if from_stdin else _file_tasks(args, paths, settings_for)
    reported: Reported = []
    changed: list[FileResult] = []
    files = 0
    cache = _result_cache(args, from_stdin)
    for result in check_all(tasks, args.jobs, cache):
        if result.problem:
            print(f"{result.display}: {result.problem}", file=sys.stderr)
            continue
        files += 1
        reported.extend((result.display, f) for f in result.findings)
        if result.fixed is not None:
            changed.append(result)
    if cache is not None and (problem := cache.save()):
        print(f"litert-lsp check: {problem}", file=sys.stderr)
    if args.convert and not from_stdin:
        from litert_lsp.cli.convert_lane import convert_findings

        checked = [Path(t.path) for t in tasks if t.path is not None]
        reported.extend(convert_findings(checked, settings_for))
    elapsed = time.perf_counter() - started

    if args.diff:
        sys.stdout.write("".join(_unified_diff(r) for r in changed))
    elif args.fix and from_stdin:
        # Like other fixers: the fixed source goes to standard output.
        sys.stdout.write(changed[0].fixed if changed else (tasks[0].text if tasks else "") or "")
    else:
        if args.fix:
            for result in changed:
                Path(result.display).write_bytes(result.fixed.encode("utf-8"))
        _write_report(args, reported, settings_for(Path.cwd())[0].docs_url)

    errors = sum(1 for _, f in reported if f.severity == Severity.ERROR)
    if not args.quiet:
        others = len(reported) - errors
        fixed = sum(r.fixes for r in changed)
        fix_note = ""
        if args.fix or args.diff:
            verb = "would fix" if args.diff else "fixed"
            fix_note = f"; {verb} {fixed} finding{'s' * (fixed != 1)} in {len(changed)} file{'s' * (len(changed) != 1)}"
        print(
            f"litert-lsp: {files} file{'s' * (files != 1)} checked in {elapsed:.2f} s: "
            f"{errors} error{'s' * (errors != 1)}, {others} other finding{'s' * (others != 1)}{fix_note}",
            file=sys.stderr,
        )
    if args.diff:
        return 1 if changed else 0
    return 1 if errors else 0


def _result_cache(args: argparse.Namespace, from_stdin: bool) -> ResultCache | None:
    """The result cache, unless asked not to; never for standard input or a fix (a fix
    rewrites the text it analyzes, and standard input has no file to stamp)."""
    if args.no_cache or from_stdin or args.fix or args.diff:
        return None
    folder = Path(args.cache_dir) if args.cache_dir else default_folder(Path.cwd(), find_config_root(Path.cwd()))
    return ResultCache(folder)


def _settings_lookup(args: argparse.Namespace):
    overrides = _overrides(args)
    extra_excludes = tuple(g.strip() for g in (args.exclude or "").split(",") if g.strip())
    cache: dict[Path | None, tuple[Settings, Path | None]] = {}
    problems_shown: set[str] = set()

    def settings_for(path: Path) -> tuple[Settings, Path | None]:
        root = find_config_root(path if path.is_dir() else path.parent)
        if root not in cache:
            settings, problems = load_settings(root or Path.cwd(), overrides)
            if extra_excludes:
                settings = replace(settings, exclude=settings.exclude + extra_excludes)
            for problem in problems:
                if problem not in problems_shown:
                    problems_shown.add(problem)
                    print(f"litert-lsp check: {problem}", file=sys.stderr)
            cache[root] = (settings, root)
        return cache[root]

    return settings_for


def _file_tasks(args: argparse.Namespace, paths: list[Path], settings_for) -> list[Task]:
    from litert_lsp.cli.gitignore import GitIgnore

    gitignore = GitIgnore()
    found = iter_python_files(paths, settings_for, force_exclude=args.force_exclude,
                              skip=gitignore.ignored)
    fix = args.fix or args.diff
    return [Task(str(path), str(path), settings, fix=fix) for path, settings, _root in found]


def _stdin_tasks(args: argparse.Namespace, settings_for) -> list[Task]:
    text = sys.stdin.read()
    display = args.stdin_filename or "-"
    where = Path(args.stdin_filename) if args.stdin_filename else Path.cwd() / "-"
    settings, root = settings_for(where.parent if where.parent.exists() else Path.cwd())
    if args.stdin_filename and args.force_exclude and settings.is_excluded(where, root):
        return []
    return [Task(display, None, settings, text=text, fix=args.fix or args.diff)]


def _write_report(args: argparse.Namespace, reported: Reported, docs_url: str | None) -> None:
    if args.statistics:
        output = as_statistics(reported)
    elif args.format == "json":
        output = as_json(reported)
    elif args.format == "sarif":
        output = as_sarif(reported, Path.cwd(), docs_url)
    elif args.format == "github":
        output = as_github(reported)
    elif args.format == "gitlab":
        output = as_gitlab(reported, Path.cwd())
    else:
        output = as_text(reported)
    if args.output:
        Path(args.output).write_text(output, encoding="utf-8")
    else:
        sys.stdout.write(output)


def _unified_diff(result: FileResult) -> str:
    return "".join(difflib.unified_diff(
        (result.original or "").splitlines(keepends=True), (result.fixed or "").splitlines(keepends=True),
        fromfile=f"a/{result.display}", tofile=f"b/{result.display}",
    ))


def _overrides(args: argparse.Namespace) -> dict:
    overrides: dict = {}
    for key in ("select", "ignore"):
        value = getattr(args, key)
        if value is not None:
            overrides[key] = [c.strip() for c in value.split(",") if c.strip()]
    if args.gpu_compatibility:
        overrides["gpu_compatibility"] = True
    return overrides
