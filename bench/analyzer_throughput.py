"""Analyzer throughput on real model code: every `modeling_*.py` of the installed
`transformers` package (found without importing it).

Prints files, lines, lines/s, the ratio of analysis time to `ast.parse` time on the same
text (target: at most 3x), findings per code, and the incremental analyzer's latency when
re-analyzing a ~2,000-line file after one edit inside a `forward` (p50/p95 ms).

    .venv/bin/python bench/analyzer_throughput.py [--limit N] [--json]
"""

from __future__ import annotations

import argparse
import ast
import collections
import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path

from litert_lsp.analysis import DocumentAnalyzer, analyze


def modeling_files() -> list[Path]:
    spec = importlib.util.find_spec("transformers")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("transformers is not installed in this interpreter (it comes with litert-torch)")
    root = Path(next(iter(spec.submodule_search_locations)))
    return sorted(root.rglob("modeling_*.py"))


def best_of(repeats: int, work) -> float:
    """The fastest of `repeats` runs, in CPU time: the least disturbed by other processes."""
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def throughput(files: list[Path], repeats: int) -> dict:
    texts = [f.read_text(encoding="utf-8") for f in files]
    lines = sum(t.count("\n") + 1 for t in texts)
    def parse_all() -> None:
        for text in texts:
            ast.parse(text)

    def analyze_all() -> None:
        for text in texts:
            analyze(text)

    parse_seconds = best_of(repeats, parse_all)
    codes: collections.Counter[str] = collections.Counter()
    for text in texts:
        codes.update(f.code for f in analyze(text))
    analyze_seconds = best_of(repeats, analyze_all)
    return {
        "files": len(files),
        "lines": lines,
        "analyze_seconds": round(analyze_seconds, 3),
        "parse_seconds": round(parse_seconds, 3),
        "lines_per_second": round(lines / analyze_seconds),
        "analyze_parse_ratio": round(analyze_seconds / parse_seconds, 2),
        "findings": dict(sorted(codes.items())),
    }


def incremental(files: list[Path], edits: int) -> dict:
    """Latency of DocumentAnalyzer after typing inside one forward of a ~2,000-line file."""
    path = min(files, key=lambda f: abs(f.read_text(encoding="utf-8").count("\n") - 2000))
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    forwards = [n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.FunctionDef) and n.name == "forward"]
    if not forwards:
        raise SystemExit(f"{path} has no forward")
    # Type a new first statement into the body of the middle forward, a character at a time.
    first = forwards[len(forwards) // 2].body[0]
    target = first.lineno - 1
    indent = " " * first.col_offset
    analyzer = DocumentAnalyzer(str(path))
    fresh = analyze(text)
    assert analyzer.analyze(text) == fresh
    typed = "scale = hidden_states.mean() * 2 + 1"
    timings = []
    for step in range(edits):
        partial = typed[: 1 + step % len(typed)]
        edited = "\n".join(lines[:target] + [indent + partial] + lines[target:])
        started = time.process_time()
        analyzer.analyze(edited)
        timings.append((time.process_time() - started) * 1000)
    full = best_of(3, lambda: analyze(text)) * 1000
    timings.sort()
    return {
        "file": f"{path.parent.name}/{path.name}",
        "file_lines": len(lines),
        "edits": edits,
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
        "fresh_analyze_ms": round(full, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="only the first N files")
    parser.add_argument("--repeats", type=int, default=3, help="timing runs (best is kept)")
    parser.add_argument("--edits", type=int, default=200, help="incremental edits to time")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    files = modeling_files()
    if args.limit:
        files = files[: args.limit]
    result = {"throughput": throughput(files, args.repeats), "incremental": incremental(files, args.edits)}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    t, i = result["throughput"], result["incremental"]
    print(f"files: {t['files']}  lines: {t['lines']}")
    print(f"analyze: {t['analyze_seconds']} s  ({t['lines_per_second']} lines/s)")
    print(f"ast.parse: {t['parse_seconds']} s  ->  analyze/parse ratio {t['analyze_parse_ratio']}x (target <= 3x)")
    print(f"findings: {t['findings']}")
    print(f"incremental ({i['file']}, {i['file_lines']} lines, {i['edits']} edits inside a forward): "
          f"p50 {i['p50_ms']} ms, p95 {i['p95_ms']} ms (fresh analyze: {i['fresh_analyze_ms']} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
