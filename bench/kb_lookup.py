"""Cost of the knowledge base for the analyzer: first load, then one lookup (target well under 1 ms).

    python bench/kb_lookup.py
"""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import time


def main() -> None:
    started = time.perf_counter()
    from litert_lsp import kb

    imported = time.perf_counter() - started
    started = time.perf_counter()
    names = [e.name for fw in kb.FRAMEWORKS for e in kb.entries(fw)]
    loaded = time.perf_counter() - started
    random.seed(0)
    sample = [random.choice(names) for _ in range(20000)] + [f"torch.no_such_op_{i}" for i in range(2000)]
    timings = []
    for name in sample:
        t = time.perf_counter_ns()
        kb.lookup(name)
        timings.append(time.perf_counter_ns() - t)
    timings.sort()
    frameworks = subprocess.run(
        [sys.executable, "-c", ("import sys, litert_lsp.kb as c; c.lookup('torch.unique');"
         "print(sorted(m for m in ('torch','tensorflow','numpy','litert_torch','jax') if m in sys.modules))")],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    print(f"entries: {len(names)}")
    print(f"import litert_lsp.kb: {imported * 1000:.1f} ms; first load of both tables: {loaded * 1000:.1f} ms")
    print(f"lookup over {len(sample)} names: median {statistics.median(timings) / 1000:.2f} us, "
          f"p99 {timings[int(0.99 * len(timings))] / 1000:.2f} us, max {timings[-1] / 1000:.1f} us")
    print(f"frameworks imported by a lookup: {frameworks}")


if __name__ == "__main__":
    main()
