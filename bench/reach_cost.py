"""What cross-file reach (analysis/project_index.py) costs, on real model code.

For every `modeling_*.py` of the installed transformers (up to --limit), times, in CPU time:
`ast.parse` of the file; reach over its already parsed units (as the analyzer hands them) with a cold cache (every imported file of the package read and
analyzed once); reach again with the cache warm (what each keystroke pays once the imported files
are known). Prints totals, the warm/parse ratio (the analyzer's budget is 3x parse for all of it),
the p95 warm cost per file, and how many use-site findings came out.

    .venv/bin/python bench/reach_cost.py [--limit N]
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import statistics
import time
from functools import partial
from pathlib import Path

from litert_lsp.analysis import project_index
from litert_lsp.analysis.module_index import Unit, parse_block


def modeling_files(limit: int) -> list[Path]:
    spec = importlib.util.find_spec("transformers")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("transformers is not installed in this interpreter")
    root = Path(next(iter(spec.submodule_search_locations)))
    return sorted(root.rglob("modeling_*.py"))[:limit]


def cpu(work) -> float:
    started = time.process_time()
    work()
    return time.process_time() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=60)
    args = parser.parse_args(argv)
    files = modeling_files(args.limit)
    parse = cold = 0.0
    warm: list[float] = []
    findings = 0
    project_index.clear_cache()
    for path in files:
        text = path.read_text(encoding="utf-8")
        parse += min(cpu(partial(ast.parse, text)) for _ in range(3))
        # The document's units come parsed (the analyzer made them): reach walks them.
        reach = partial(project_index.reach_findings, str(path), [Unit(0, parse_block(text))])
        cold += cpu(reach)
        warm.append(min(cpu(reach) for _ in range(3)))
        findings += len(reach())
    total_warm = sum(warm)
    p95 = statistics.quantiles(warm, n=20)[-1] if len(warm) >= 2 else warm[0]
    print(f"{len(files)} files: ast.parse {parse * 1e3:.0f} ms, reach cold {cold * 1e3:.0f} ms, "
          f"reach warm {total_warm * 1e3:.0f} ms ({total_warm / parse:.2f}x parse), "
          f"warm p95 {p95 * 1e3:.1f} ms per file, {findings} use-site findings")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
