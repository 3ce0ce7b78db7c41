"""Export time: `litert-lsp export` against a hand-written litert-torch script doing the same
steps (load code, restore a checkpoint, convert, verify in LiteRT, time 50 runs, write), each in
a fresh process; then the same export again through a warm worker (what the editor pays after
its first export).

    .venv/bin/python bench/export_time.py [--repeat 3]

Prints the median wall time of each and the ratio (target: CLI <= 1.1x the script).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HAND_WRITTEN = '''\
import sys, time
from pathlib import Path
import numpy as np
import torch
import litert_torch
from ai_edge_litert.interpreter import Interpreter

folder = Path(sys.argv[1])
sys.path.insert(0, str(folder))
from tinynet import TinyNet

model = TinyNet()
state = torch.load(folder / "ckpt.pth", map_location="cpu", weights_only=True)["model_state_dict"]
model.load_state_dict(state)
model.eval()
x = torch.randn(1, 3, 32, 32)
with torch.no_grad():
    expected = model(x).numpy()
content = bytes(litert_torch.convert(model, (x,)).model_content())
interpreter = Interpreter(model_content=content)
runner = interpreter.get_signature_runner()
out = runner(args_0=x.numpy())["output_0"]
assert np.allclose(out, expected, atol=1e-4, rtol=1e-3)
timings = []
for _ in range(50):
    start = time.perf_counter()
    runner(args_0=x.numpy())
    timings.append(time.perf_counter() - start)
(folder / "hand.tflite").write_bytes(content)
'''


def prepare(folder: Path) -> None:
    import torch

    (folder / "tinynet.py").write_text((ROOT / "examples" / "tinynet.py").read_text())
    (folder / "hand.py").write_text(HAND_WRITTEN)
    sys.path.insert(0, str(folder))
    from tinynet import TinyNet

    torch.manual_seed(0)
    torch.save({"model_state_dict": TinyNet().state_dict()}, folder / "ckpt.pth")


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr[-3000:]}")
    return elapsed


async def warm_pair(folder: Path) -> tuple[float, float]:
    from litert_lsp.jobs.client import WorkerClient
    from litert_lsp.jobs.job import ExportRequest

    client = WorkerClient()
    request = ExportRequest(source=str(folder / "tinynet.py"), model="TinyNet", checkpoint=str(folder / "ckpt.pth"),
                            input_shapes=[[1, 3, 32, 32]], output=str(folder / "warm.tflite"))
    try:
        times = []
        for _ in range(2):
            start = time.perf_counter()
            result = await client.export(request)
            times.append(time.perf_counter() - start)
            assert result.ok, result.message
        return times[0], times[1]
    finally:
        await client.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        prepare(folder)
        cli = [sys.executable, "-m", "litert_lsp", "export", "tinynet.py", "--model", "TinyNet",
               "--checkpoint", "ckpt.pth", "--input-shape", "1,3,32,32", "--output", "cli.tflite"]
        hand = [sys.executable, "hand.py", str(folder)]
        hand_times, cli_times = [], []
        for _ in range(args.repeat):  # alternate, so background load hits both alike
            hand_times.append(timed(hand, folder))
            cli_times.append(timed(cli, folder))
        first, second = asyncio.run(warm_pair(folder))
    hand_median, cli_median = statistics.median(hand_times), statistics.median(cli_times)
    print(f"hand-written litert-torch script (fresh process): median {hand_median:.2f} s  "
          f"runs {', '.join(f'{t:.2f}' for t in hand_times)}")
    print(f"litert-lsp export CLI (fresh process):          median {cli_median:.2f} s  "
          f"runs {', '.join(f'{t:.2f}' for t in cli_times)}")
    print(f"ratio CLI / script: {cli_median / hand_median:.2f}x (target <= 1.10x)")
    print(f"worker: first export {first:.2f} s (cold start), second export {second:.2f} s (warm)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
