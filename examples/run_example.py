"""The whole workflow on examples/tinynet.py, end to end:

1. train TinyNet for a few steps on random data and save a training checkpoint
   (examples/ckpt/tinynet_epoch1.pth, nested under `model_state_dict`, as training scripts do);
2. `litert-lsp check` the file (the experimental variant's problems are reported);
3. `litert-lsp export` TinyNet with that checkpoint to examples/out/tinynet.tflite, verified
   in the LiteRT runtime, and print the report.

Run it with `./dev example`. Exits with the export's exit code (0 = verified export).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHECKPOINT = HERE / "ckpt" / "tinynet_epoch1.pth"
OUTPUT = HERE / "out" / "tinynet.tflite"


def make_checkpoint() -> None:
    import torch

    sys.path.insert(0, str(HERE))
    from tinynet import TinyNet

    torch.manual_seed(0)
    model = TinyNet()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    images, labels = torch.randn(64, 3, 32, 32), torch.randint(0, 10, (64,))
    model.train()
    for step in range(5):
        loss = torch.nn.functional.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        print(f"  step {step}: loss {loss.item():.3f}")
    CHECKPOINT.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"epoch": 1, "model_state_dict": model.state_dict(), "optimizer": optimizer.state_dict()},
               CHECKPOINT)
    print(f"  saved {CHECKPOINT.relative_to(HERE.parent)}")


def litert_lsp(*arguments: str) -> int:
    command = [sys.executable, "-m", "litert_lsp", *arguments]
    print("$ litert-lsp " + " ".join(arguments), flush=True)
    return subprocess.run(command, cwd=HERE.parent, check=False).returncode


def main() -> int:
    print("==> 1. a training checkpoint")
    make_checkpoint()
    print("\n==> 2. static check (TinyNetExperimental is expected to fail it)")
    litert_lsp("check", "examples/tinynet.py")
    print("\n==> 3. export TinyNet with the checkpoint")
    code = litert_lsp(
        "export", "examples/tinynet.py", "--model", "TinyNet",
        "--checkpoint", str(CHECKPOINT.relative_to(HERE.parent)),
        "--input-shape", "1,3,32,32", "--output", str(OUTPUT.relative_to(HERE.parent)),
    )
    print(f"\nexport exit code {code}" + (f"; wrote {OUTPUT.relative_to(HERE.parent)}" if code == 0 else ""))
    return code


if __name__ == "__main__":
    sys.exit(main())
