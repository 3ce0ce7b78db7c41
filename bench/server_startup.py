"""Start-up time and memory of `litert-lsp serve`.

For each run: spawn the server, send `initialize` with VS Code's capabilities, and time until
its result arrives (target < 0.5 s). Then open the generated 2,000-line model file, wait
for its diagnostics and read the server's resident memory from /proc (target < 100 MB).

    python bench/server_startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pytest_lsp import client_capabilities

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server_latency import BenchClient, make_model_source

COMMAND = [sys.executable, "-m", "litert_lsp", "serve"]
# The floor: a pygls server with one feature (importing lsprotocol's ~1,000 attrs classes is
# most of any pygls server's start-up).
BARE_PYGLS = """
from lsprotocol import types
from pygls.lsp.server import LanguageServer
server = LanguageServer("bare", "0")
@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(ls, params):
    return None
server.start_io()
"""


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used (load-independent, unlike wall time)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc status")


async def one_run(folder: Path, source: str, command: list[str] = COMMAND) -> tuple[float, float, float, float]:
    client = BenchClient()
    started = time.perf_counter()
    await client.start_io(*command, cwd=str(folder))
    try:
        await client.initialize_session(
            types.InitializeParams(
                capabilities=client_capabilities("visual-studio-code"),
                root_uri=folder.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=folder.as_uri(), name="bench")],
            )
        )
        initialized = time.perf_counter() - started
        cpu = cpu_seconds(client._server.pid)
        if command is not COMMAND:
            await client.shutdown_session()
            return initialized, 0.0, 0.0, cpu
        path = folder / "model.py"
        path.write_text(source)
        mark = len(client.published)
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=path.as_uri(), language_id="python",
                                                                   version=1, text=source))
        )
        await client.next_publish(path.as_uri(), mark, 1, timeout=60)
        first_diagnostics = time.perf_counter() - started
        memory = rss_mb(client._server.pid)
        await client.shutdown_session()
    finally:
        await client.stop()
    return initialized, first_diagnostics, memory, cpu


async def main_async(args: argparse.Namespace) -> int:
    source = make_model_source(2000)
    results = []
    with tempfile.TemporaryDirectory(prefix="litert-startup-") as tmp:
        for index in range(args.runs):
            folder = Path(tmp) / f"run{index}"
            folder.mkdir()
            results.append(await one_run(folder, source))
        bare_script = Path(tmp) / "bare_pygls.py"
        bare_script.write_text(BARE_PYGLS)
        bare_runs = [await one_run(Path(tmp), source, [sys.executable, str(bare_script)]) for _ in range(args.runs)]
        bare = sorted(r[0] for r in bare_runs)
        bare_cpu = statistics.median(r[3] for r in bare_runs)
    init = sorted(r[0] for r in results)
    first = sorted(r[1] for r in results)
    memory = max(r[2] for r in results)
    print(f"litert-lsp start-up over {args.runs} runs:")
    print(f"  start -> initialize result: median {statistics.median(init):.3f} s, best {init[0]:.3f} s, "
          f"worst {init[-1]:.3f} s (target < 0.5 s)")
    print(f"  CPU time of the server until then: median {statistics.median(r[3] for r in results):.3f} s "
          f"(wall time above includes waiting for a busy machine)")
    print(f"  for comparison, a bare pygls server: median {statistics.median(bare):.3f} s, CPU {bare_cpu:.3f} s")
    print(f"  start -> first diagnostics of a {source.count(chr(10))}-line file: median "
          f"{statistics.median(first):.3f} s")
    print(f"  resident memory after opening it: {memory:.1f} MB (target < 100 MB)")
    ok = statistics.median(init) < 0.5 and memory < 100
    print("  " + ("OK" if ok else "OVER TARGET"))
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
