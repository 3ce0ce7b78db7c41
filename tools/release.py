"""Build the release artifacts and prove they install and run: `./dev release`.

    python tools/release.py [--out dist] [--python PY ...] [--no-vsix]

1. wheel and sdist with `python -m build` (an isolated build, as an index would do it);
2. `twine check --strict` on both; the wheel and the sdist must carry LICENSE, the sdist also
   constraints.txt, docs/ and tests/;
3. the VS Code extension: `npm ci` + `npm run package`, then `vsce ls` lists what it ships;
4. for each `--python` (default: this interpreter), a clean venv with the wheel alone (no
   frameworks): `litert-lsp check` on a file with a finding must exit 1 and name the code, and
   `litert-lsp serve` must answer `initialize` and exit 0 after `shutdown`/`exit`.

Prints one line per step and exits non-zero at the first failure, with what failed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = "import torch\n\n\nclass Net(torch.nn.Module):\n    def forward(self, x):\n        return x.sum().item()\n"


class ReleaseError(RuntimeError):
    pass


def run(command: list[str], cwd: Path | None = None, timeout: float = 900, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False, **kwargs)
    if done.returncode != 0:
        raise ReleaseError(f"`{' '.join(map(str, command))}` failed ({done.returncode}):\n{done.stdout[-3000:]}"
                           f"\n{done.stderr[-3000:]}")
    return done


def build(out: Path) -> tuple[Path, Path]:
    shutil.rmtree(out, ignore_errors=True)
    run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)])
    wheel = next(out.glob("litert_lsp-*.whl"))
    sdist = next(out.glob("litert_lsp-*.tar.gz"))
    run([sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)])
    return wheel, sdist


def check_contents(wheel: Path, sdist: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    for wanted in ("licenses/LICENSE", "litert_lsp/kb/data/torch.json", "litert_lsp/py.typed"):
        if not any(name.endswith(wanted) for name in names):
            raise ReleaseError(f"{wheel.name} lacks {wanted}")
    if any(name.startswith(("tools/", "tests/")) for name in names):
        raise ReleaseError(f"{wheel.name} ships development folders (tools/ or tests/)")
    with tarfile.open(sdist) as archive:
        members = {"/".join(m.name.split("/")[1:]) for m in archive.getmembers()}
    for wanted in ("LICENSE", "constraints.txt", "docs/cli.md", "tests/test_lint.py", "pyproject.toml"):
        if wanted not in members:
            raise ReleaseError(f"{sdist.name} lacks {wanted}")


def build_vsix(out: Path) -> Path:
    client = ROOT / "vscode-client"
    env = {**os.environ, "npm_config_fund": "false", "npm_config_audit": "false"}
    run(["npm", "ci", "--no-audit", "--no-fund"], cwd=client, env=env)
    run(["npm", "run", "package"], cwd=client, env=env)
    listing = run(["npx", "--no-install", "vsce", "ls", "--no-dependencies"], cwd=client, env=env).stdout
    if "dist/extension.js" not in listing:
        raise ReleaseError(f"the .vsix would not ship dist/extension.js:\n{listing}")
    target = out / "litert-lsp.vsix"
    shutil.move(str(client / "litert-lsp.vsix"), target)
    return target


def smoke(wheel: Path, python: str) -> str:
    """Install the wheel alone into a clean venv made by `python`; run check and serve."""
    with tempfile.TemporaryDirectory(prefix="litert-release-") as folder:
        venv = Path(folder) / "venv"
        run([python, "-m", "venv", str(venv)])
        bin_dir = venv / "bin"
        run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(wheel)])
        version = run([str(bin_dir / "python"), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]).stdout.strip()
        sample = Path(folder) / "model.py"
        sample.write_text(SAMPLE)
        checked = subprocess.run([str(bin_dir / "litert-lsp"), "check", str(sample)], capture_output=True,
                                 text=True, timeout=120, check=False)
        if checked.returncode != 1 or "LRT202" not in checked.stdout:
            raise ReleaseError(f"Python {version}: `litert-lsp check` gave {checked.returncode}:\n"
                               f"{checked.stdout}\n{checked.stderr}")
        serve_once(bin_dir / "litert-lsp", Path(folder), version)
        return version


def serve_once(executable: Path, folder: Path, version: str) -> None:
    """initialize → shutdown → exit over stdio, with a minimal hand-written client."""
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"processId": None, "rootUri": folder.as_uri(), "capabilities": {}}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": None},
        {"jsonrpc": "2.0", "method": "exit", "params": None},
    ]
    payload = b"".join(_frame(m) for m in messages)
    done = subprocess.run([str(executable), "serve"], input=payload, capture_output=True, timeout=120, check=False)
    if done.returncode != 0 or b'"capabilities"' not in done.stdout:
        raise ReleaseError(f"Python {version}: `litert-lsp serve` exited {done.returncode}:\n"
                           f"{done.stdout[-2000:]!r}\n{done.stderr[-2000:].decode(errors='replace')}")


def _frame(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "dist"))
    parser.add_argument("--python", action="append", help="interpreter for a clean-venv smoke test (repeatable)")
    parser.add_argument("--no-vsix", action="store_true", help="skip the VS Code extension")
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()
    try:
        wheel, sdist = build(out)
        check_contents(wheel, sdist)
        print(f"built and checked {wheel.name}, {sdist.name}")
        if not args.no_vsix:
            print(f"built {build_vsix(out).name}")
        for python in args.python or [sys.executable]:
            print(f"Python {smoke(wheel, python)}: the wheel alone installs; check and serve run")
    except (ReleaseError, StopIteration, subprocess.TimeoutExpired) as error:
        print(f"release: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
