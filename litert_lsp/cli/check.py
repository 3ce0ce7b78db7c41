"""`litert-lsp check PATH...`: the analyzer over files and folders, for CI and terminals.

Exit 0 when no finding has error severity, 1 when any does, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

from litert_lsp.analysis import analyze
from litert_lsp.cli.reports import Reported, as_json, as_sarif, as_text
from litert_lsp.core.discovery import iter_python_files, read_source
from litert_lsp.core.findings import Severity
from litert_lsp.core.settings import Settings, find_project_root, load_settings


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", default=["."], metavar="PATH",
                        help="files and folders to check (default: the current folder)")
    parser.add_argument("--format", choices=("text", "json", "sarif"), default="text",
                        help="output format (default: text)")
    parser.add_argument("--output", "-o", metavar="FILE",
                        help="write the report to FILE instead of standard output")
    parser.add_argument("--select", metavar="CODES",
                        help="comma-separated codes or prefixes to report (overrides pyproject)")
    parser.add_argument("--ignore", metavar="CODES",
                        help="comma-separated codes or prefixes to leave out (overrides pyproject)")
    parser.add_argument("--exclude", metavar="GLOBS",
                        help="comma-separated globs to skip, added to the configured ones")
    parser.add_argument("--gpu-compatibility", action="store_true", default=None,
                        help="also report ops the LiteRT GPU delegate will not run (LRT303)")
    parser.add_argument("--quiet", "-q", action="store_true",
                        help="no summary line on standard error")


def run(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.paths]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        print(f"litert-lsp check: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    overrides = _overrides(args)
    extra_excludes = tuple(g.strip() for g in (args.exclude or "").split(",") if g.strip())
    cache: dict[Path | None, tuple[Settings, Path | None]] = {}
    problems_shown: set[str] = set()

    def settings_for(path: Path) -> tuple[Settings, Path | None]:
        root = find_project_root(path if path.is_dir() else path.parent)
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

    started = time.perf_counter()
    reported: Reported = []
    files = 0
    for path, settings, _root in iter_python_files(paths, settings_for):
        source = read_source(path)
        if source.text is None:
            print(f"{path}: {source.problem}", file=sys.stderr)
            continue
        files += 1
        findings = settings.apply(analyze(source.text, str(path)))
        reported.extend((str(path), f) for f in findings)
    elapsed = time.perf_counter() - started

    if args.format == "json":
        output = as_json(reported)
    elif args.format == "sarif":
        output = as_sarif(reported, Path.cwd())
    else:
        output = as_text(reported)
    if args.output:
        Path(args.output).write_text(output, encoding="utf-8")
    else:
        sys.stdout.write(output)

    errors = sum(1 for _, f in reported if f.severity == Severity.ERROR)
    if not args.quiet:
        others = len(reported) - errors
        print(
            f"litert-lsp: {files} file{'s' * (files != 1)} checked in {elapsed:.2f} s: "
            f"{errors} error{'s' * (errors != 1)}, {others} other finding{'s' * (others != 1)}",
            file=sys.stderr,
        )
    return 1 if errors else 0


def _overrides(args: argparse.Namespace) -> dict:
    overrides: dict = {}
    for key in ("select", "ignore"):
        value = getattr(args, key)
        if value is not None:
            overrides[key] = [c.strip() for c in value.split(",") if c.strip()]
    if args.gpu_compatibility:
        overrides["gpu_compatibility"] = True
    return overrides
