"""Edit-to-diagnostics latency of `litert-lsp serve` next to `ruff server`, through the protocol.

Both servers get the same generated 2,000-line PyTorch model file and the same client (pygls'
client from pytest-lsp, over stdio). Each edit changes one character inside a `forward` in
the middle of the file; the time is from sending `didChange` to receiving the
`publishDiagnostics` for that edit. Prints p50/p95 for each server and the ratio of p95s.

    python bench/server_latency.py [--edits 200] [--lines 2000] [--pause 0.02]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, LanguageClient
from pytest_lsp.protocol import LanguageClientProtocol

_BLOCK = '''

class Block{n}(nn.Module):
    """Block {n}: a small residual unit."""

    def __init__(self, channels: int = 16):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.norm = nn.BatchNorm2d(channels)
        self.proj = nn.Linear(channels, channels)

    def forward(self, x):
        y = self.conv(x)
        y = self.norm(y)
        y = F.relu(y) * 2.0
        z = torch.flatten(y, 1)
{problems}        return y + z.mean()


def helper_{n}(x):
    return torch.cat([x, x], dim=1)
'''


_PROBLEMS = """\
        if x.sum() > 0:
            z = z + 1
        scale = y.mean().item()
        keys = torch.unique(z)
        y = y * scale + keys.sum()
"""


def make_model_source(lines: int = 2000, problem_every: int = 10) -> str:
    """A model file of about `lines` lines: many small nn.Module blocks; every
    `problem_every`-th block's forward has four LiteRT problems (1: every block)."""
    parts = ["import torch\nfrom torch import nn\nimport torch.nn.functional as F\n"]
    count = 0
    while sum(p.count("\n") for p in parts) < lines:
        problems = _PROBLEMS if problem_every and count % problem_every == 0 else ""
        parts.append(_BLOCK.format(n=count, problems=problems))
        count += 1
    return "".join(parts)


def edit_position(source: str) -> tuple[int, int]:
    """Line and column of the `2.0` constant in the middle block's forward."""
    lines = source.split("\n")
    target = len(lines) // 2
    for number in range(target, len(lines)):
        if "F.relu(y) * 2.0" in lines[number]:
            return number, lines[number].index("2.0")
    raise RuntimeError("no forward found in the generated source")


class RawInitializeProtocol(LanguageClientProtocol):
    """Keeps the initialize result as plain JSON: lsprotocol 2025.0.0 cannot parse the
    notebook selector ruff advertises, and the benchmark needs none of it."""

    def get_result_type(self, method: str) -> Any:
        return None if method == types.INITIALIZE else super().get_result_type(method)


class BenchClient(LanguageClient):
    """The pytest-lsp client, also keeping every publishDiagnostics in arrival order."""

    def __init__(self) -> None:
        super().__init__(converter_factory=default_converter, protocol_cls=RawInitializeProtocol)
        self.published: list[tuple[float, types.PublishDiagnosticsParams]] = []
        self.arrived = asyncio.Event()
        for method, handler in DEFAULT_CLIENT_FEATURES.items():
            if method != types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS:
                self.feature(method)(handler)

        @self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_publish(client: BenchClient, params: types.PublishDiagnosticsParams) -> None:
            client.diagnostics[params.uri] = params.diagnostics
            client.published.append((time.perf_counter(), params))
            client.arrived.set()

    async def next_publish(self, uri: str, since: int, version: int | None, timeout: float = 30) -> float:
        """Arrival time of the first publish for `uri` after index `since` (with `version`,
        when the server sends versions)."""
        deadline = time.perf_counter() + timeout
        while True:
            for arrived, params in self.published[since:]:
                if params.uri == uri and (params.version is None or version is None or params.version == version):
                    return arrived
            since = len(self.published)
            self.arrived.clear()
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"no diagnostics for {uri} version {version}")
            await asyncio.wait_for(self.arrived.wait(), remaining)


async def measure(command: list[str], folder: Path, source: str, edits: int, pause: float) -> dict[str, Any]:
    client = BenchClient()
    await client.start_io(*command, cwd=str(folder))
    try:
        await client.initialize_session(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(
                    text_document=types.TextDocumentClientCapabilities(
                        publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True),
                        synchronization=types.TextDocumentSyncClientCapabilities(did_save=True),
                    ),
                    general=types.GeneralClientCapabilities(position_encodings=[types.PositionEncodingKind.Utf16]),
                ),
                root_uri=folder.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=folder.as_uri(), name="bench")],
            )
        )
        path = folder / "model.py"
        path.write_text(source)
        uri = path.as_uri()
        mark = len(client.published)
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=uri, language_id="python", version=1, text=source)
            )
        )
        await client.next_publish(uri, mark, 1, timeout=60)
        line, column = edit_position(source)
        latencies = []
        warmup = 10
        for index in range(edits + warmup):
            version = index + 2
            digit = str(3 + index % 6)
            mark = len(client.published)
            started = time.perf_counter()
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[
                        types.TextDocumentContentChangePartial(
                            range=types.Range(
                                start=types.Position(line=line, character=column),
                                end=types.Position(line=line, character=column + 1),
                            ),
                            text=digit,
                        )
                    ],
                )
            )
            arrived = await client.next_publish(uri, mark, version)
            if index >= warmup:
                latencies.append((arrived - started) * 1000)
            await asyncio.sleep(pause)
        diagnostics = len(client.diagnostics.get(uri, []))
        await client.shutdown_session()
    finally:
        await client.stop()
    latencies.sort()
    return {
        "p50": statistics.median(latencies),
        "p95": latencies[int(0.95 * (len(latencies) - 1))],
        "mean": statistics.fmean(latencies),
        "max": latencies[-1],
        "diagnostics": diagnostics,
    }


async def main_async(args: argparse.Namespace) -> int:
    source = make_model_source(args.lines, args.problem_every)
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    servers = {"litert-lsp": [sys.executable, "-m", "litert_lsp", "serve"]}
    if ruff:
        servers["ruff server"] = [ruff, "server"]
    else:
        print("ruff not found: measuring litert-lsp alone", file=sys.stderr)
    results = {}
    with tempfile.TemporaryDirectory(prefix="litert-bench-") as tmp:
        for name, command in servers.items():
            folder = Path(tmp) / name.replace(" ", "-")
            folder.mkdir()
            results[name] = await measure(command, folder, source, args.edits, args.pause)
    print(f"edit-to-diagnostics latency, {source.count(chr(10))}-line file, {args.edits} edits (ms):")
    for name, r in results.items():
        print(f"  {name:12s} p50 {r['p50']:7.2f}  p95 {r['p95']:7.2f}  mean {r['mean']:7.2f}  "
              f"max {r['max']:7.2f}  ({r['diagnostics']} diagnostics)")
    if "ruff server" in results:
        ratio = results["litert-lsp"]["p95"] / results["ruff server"]["p95"]
        verdict = "OK" if ratio <= args.target else "OVER TARGET"
        print(f"  p95 ratio litert-lsp / ruff: {ratio:.2f} (target <= {args.target:g}): {verdict}")
        return 0 if ratio <= args.target else 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=200)
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--problem-every", type=int, default=10,
                        help="every N-th model block has LiteRT problems (1: all of them)")
    parser.add_argument("--pause", type=float, default=0.02, help="seconds between edits (typing pace)")
    parser.add_argument("--target", type=float, default=5.0, help="allowed p95 ratio to ruff")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
