"""VS Code, for real: the packaged extension in code-server 4.100.3 (VS Code 1.100), driven in
headless Chromium by Playwright (tests/e2e/vscode/drive.mjs).

One run, as a user would: install the .vsix, open the sample project, see the squiggle under the
unsupported call, read the Problems panel, hover it, export TinyNet from its code lens using a
checkpoint saved next to it, and see the result message and the .tflite.

Screenshots land in test-artifacts/; LITERT_E2E_UPDATE_DOC_IMAGES=1 also copies them to
docs/images/ (the pictures the docs show).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.install.installer import Tools
from tests.e2e.sample import MODEL_SOURCE, UNSUPPORTED_OP, make_checkpoint, make_project

pytestmark = pytest.mark.e2e

DRIVER = Path(__file__).parent / "vscode" / "drive.mjs"
DOC_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(port: int, process: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"code-server exited {process.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"code-server did not answer /healthz within {seconds:.0f} s: {log.read_text()[-2000:]}")


def _descendants(root: int) -> list[int]:
    """Pids of every process below `root` (read from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _language_servers(root: int) -> set[int]:
    """The `litert_lsp serve` processes that code-server's extension host started."""
    pids = set()
    for pid in _descendants(root):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"litert_lsp" in command and b"serve" in command:
            pids.add(pid)
    return pids


def _kill_server_and_wait_for_restart(root: int, handshake: Path, driver: subprocess.Popen) -> dict:
    """Waits for the driver's `ready`, kills the server like a crash would, waits for a new one."""
    deadline = time.monotonic() + 150
    while not (handshake / "ready").exists():
        if driver.poll() is not None or time.monotonic() > deadline:
            return {"error": "the driver never reached the restart step"}
        time.sleep(0.1)
    before = _language_servers(root)
    assert before, "no litert_lsp serve process under code-server"
    for pid in before:
        os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()
    while time.monotonic() - killed_at < 30:
        after = _language_servers(root) - before
        if after:
            (handshake / "restarted").write_text("")
            return {"killed": sorted(before), "restarted": sorted(after),
                    "seconds": round(time.monotonic() - killed_at, 1)}
        time.sleep(0.1)
    (handshake / "restarted").write_text("")  # let the driver finish and report
    return {"killed": sorted(before), "restarted": [], "error": "no new server within 30 s"}


class CodeServer:
    def __init__(self, tools: Tools, home: Path, env: dict[str, str]) -> None:
        self.tools = tools
        self.home = home
        self.user_data = home / "user-data"
        self.extensions = home / "extensions"
        self.env = {**env, "XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home / "data"),
                    "XDG_CACHE_HOME": str(home / "cache")}
        self.process: subprocess.Popen | None = None
        self.port = 0

    def install_extension(self) -> str:
        done = subprocess.run(
            ["node", str(self.tools.code_server), "--extensions-dir", str(self.extensions),
             "--user-data-dir", str(self.user_data), "--install-extension", str(self.tools.vsix)],
            check=False, env=self.env, capture_output=True, text=True, timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def write_settings(self, settings: dict) -> None:
        folder = self.user_data / "User"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "settings.json").write_text(json.dumps(settings, indent=1))

    def start(self, folder: Path, trust: bool = False) -> None:
        """Starts VS Code on `folder`; with `trust`, workspace trust is on and the folder untrusted."""
        self.port = _free_port()
        log = self.home / "code-server.log"
        self.process = subprocess.Popen(
            ["node", str(self.tools.code_server), "--auth", "none", "--bind-addr", f"127.0.0.1:{self.port}",
             "--disable-telemetry", "--disable-update-check", *([] if trust else ["--disable-workspace-trust"]),
             "--user-data-dir", str(self.user_data), "--extensions-dir", str(self.extensions), str(folder)],
            env=self.env, stdout=log.open("w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stopping it stops the extension host too
        )
        _wait_healthy(self.port, self.process, log)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@pytest.fixture
def code_server(vscode_tools: Tools, server_env: dict[str, str], tmp_path: Path,
                artifacts: Path) -> Iterator[CodeServer]:
    server = CodeServer(vscode_tools, tmp_path / "code-server", server_env)
    try:
        yield server
    finally:
        server.stop()
        # VS Code's logs (the extension's output channel among them) for whoever reads a failure.
        logs = artifacts / "vscode" / "logs"
        shutil.rmtree(logs, ignore_errors=True)
        if (server.user_data / "logs").is_dir():
            shutil.copytree(server.user_data / "logs", logs)
        if (server.home / "code-server.log").is_file():
            shutil.copy2(server.home / "code-server.log", artifacts / "vscode" / "code-server.log")


def _settings(trusted: bool) -> dict:
    return {
        "litert.python": sys.executable,
        "workbench.startupEditor": "none",
        "workbench.tips.enabled": False,
        "workbench.enableExperiments": False,
        "workbench.secondarySideBar.defaultVisibility": "hidden",
        "chat.commandCenter.enabled": False,
        "chat.disableAIFeatures": True,
        "telemetry.telemetryLevel": "off",
        "extensions.ignoreRecommendations": True,
        "editor.hover.delay": 150,
        "editor.minimap.enabled": False,
        "window.commandCenter": False,
        "security.workspace.trust.enabled": not trusted,
        # Untrusted run: open straight into Restricted Mode, no trust dialog to answer.
        "security.workspace.trust.startupPrompt": "never",
    }


def _drive(code_server: CodeServer, options: dict) -> dict:
    done = subprocess.run(["node", str(DRIVER), json.dumps(options)], check=False, capture_output=True,
                          text=True, timeout=600, env=code_server.env)
    assert done.stdout.strip(), f"driver printed nothing (exit {done.returncode}): {done.stderr[-3000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_vscode_untrusted_workspace_has_diagnostics_but_no_export(code_server: CodeServer, artifacts: Path,
                                                                  tmp_path: Path) -> None:
    project = tmp_path / "project"
    make_project(project)
    make_checkpoint(project)
    code_server.install_extension()
    code_server.write_settings(_settings(trusted=False))
    code_server.start(project, trust=True)
    shots = artifacts / "vscode-untrusted"
    shots.mkdir(parents=True, exist_ok=True)
    seen = _drive(code_server, {
        "playwright": str(code_server.tools.playwright_dir),
        "chromium": str(code_server.tools.chromium),
        "url": f"http://127.0.0.1:{code_server.port}/?folder={project}",
        "file": "model.py",
        "untrusted": True,
        "artifacts": str(shots),
        "profile": str(tmp_path / "chromium-profile"),
        "timeoutMs": 90000,
    })
    (shots / "result.json").write_text(json.dumps(seen, indent=1))
    assert seen["ok"], f"{seen.get('error')}\nsteps: {seen['steps']}"
    assert seen["restrictedMode"] >= 1, "VS Code did not open the folder in Restricted Mode"
    assert seen["squiggles"] >= 1  # reading code is safe: diagnostics still work
    # Nothing that would import and run the model code is offered.
    assert not [lens for lens in seen["lenses"] if "Export" in lens or "Check conversion" in lens], seen["lenses"]
    palette = "\n".join(seen["palette"])
    assert "Restart the language server" in palette, palette
    assert "Export to .tflite" not in palette and "Check conversion" not in palette, palette
    if os.environ.get("LITERT_E2E_UPDATE_DOC_IMAGES") == "1":
        DOC_IMAGES.mkdir(parents=True, exist_ok=True)
        _copy_small(shots / "vscode-untrusted-palette.png", DOC_IMAGES / "vscode-untrusted-palette.png")


def _wrapper(path: Path, command: str) -> Path:
    """An executable shell script at `path` that runs `command` with the script's arguments."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/bin/sh\nexec {command} "$@"\n')
    path.chmod(0o755)
    return path


def _output_channel(code_server: CodeServer) -> str:
    """What the extension wrote to its output channel (VS Code logs each channel to a file)."""
    logs = sorted((code_server.user_data / "logs").rglob("*LiteRT LSP*.log"))
    return "\n".join(log.read_text(errors="replace") for log in logs)


def test_vscode_bad_interpreter_then_recovery(code_server: CodeServer, artifacts: Path, tmp_path: Path) -> None:
    """A wrong `litert.python`: one clear notice; "Choose interpreter" in it offers the project's
    virtual environments (a broken one is refused with the reason), writes the choice to the
    folder's settings, the server starts and the notice is gone. Then, in the same window: the
    setting shows in the Settings editor, "Check all Python files" ends with a summary whose
    button opens the Problems panel, and a deliberate restart leaves no noise in the output."""
    project = tmp_path / "project"
    make_project(project)
    (project / "lib").mkdir()
    (project / "lib" / "second.py").write_text(MODEL_SOURCE)  # not opened: only the workspace check sees it
    venv_python = _wrapper(project / ".venv" / "bin" / "python", shlex.quote(sys.executable))
    # Without site-packages (-S) and isolated from the cwd (-I), it cannot import litert_lsp.
    _wrapper(project / "venv" / "bin" / "python", f"{shlex.quote(sys.executable)} -I -S")
    code_server.install_extension()
    missing = tmp_path / "no-such-venv" / "bin" / "python"
    code_server.write_settings({**_settings(trusted=True), "litert.python": str(missing)})
    code_server.start(project)
    shots = artifacts / "vscode-bad-python"
    shots.mkdir(parents=True, exist_ok=True)
    seen = _drive(code_server, {
        "playwright": str(code_server.tools.playwright_dir),
        "chromium": str(code_server.tools.chromium),
        "url": f"http://127.0.0.1:{code_server.port}/?folder={project}",
        "file": "model.py",
        "startFailure": True,
        "recover": {"venv": r"^\s*\.venv\s*in ", "broken": r"^\s*venv\s*in "},
        "artifacts": str(shots),
        "profile": str(tmp_path / "chromium-profile"),
        "timeoutMs": 60000,
    })
    channel = _output_channel(code_server)
    (shots / "result.json").write_text(json.dumps({**seen, "output": channel}, indent=1))
    assert seen["ok"], f"{seen.get('error')}\nsteps: {seen['steps']}\nnotifications: {seen['notifications']}"
    # Exactly one message, naming the interpreter and what is wrong with it.
    failures = seen["failureToasts"]
    assert len(failures) == 1, failures
    assert "did not start" in failures[0] and f"{missing} does not exist" in failures[0], failures
    assert seen["failedStatus"] == 1, "the status bar item does not show the failure"

    # The quick pick offered both environments, said which works, and refused the broken one.
    candidates = "\n".join(seen["candidates"])
    assert str(venv_python) in candidates and "has litert-lsp" in candidates, candidates
    assert "litert-lsp is not installed there" in candidates, candidates
    assert "Choose another" in (seen["refusal"] or ""), seen["refusal"]
    folder_settings = json.loads((project / ".vscode" / "settings.json").read_text())
    assert folder_settings["litert.python"] == str(venv_python), folder_settings

    # Recovered: the failure notice is gone, not merely hidden behind newer ones.
    assert not [t for t in seen["toastsAfterRecovery"] if "did not start" in t], seen["toastsAfterRecovery"]
    # The setting is in the Settings editor of this (remote) window, not "No Settings Found".
    assert "No Settings Found" not in seen["settingsText"], seen["settingsText"][:2000]
    assert "Python interpreter that runs the server" in seen["settingsText"], seen["settingsText"][:2000]

    # The workspace check's summary, and its button's Problems panel with the unopened file.
    assert re.search(r"Checked 2 files: \d+ errors?.* in 2 files", seen["workspaceSummary"]), seen["workspaceSummary"]
    assert "second.py" in seen["problems"] and UNSUPPORTED_OP in seen["problems"], seen["problems"]

    # A deliberate restart: said once by us, not reported as a server exit.
    assert channel.count("Restarting the server.") >= 2, channel[-3000:]  # the choice, then the command
    assert "exited with code 0" not in channel, channel[-3000:]


def test_vscode_extension_end_to_end(code_server: CodeServer, artifacts: Path, tmp_path: Path) -> None:
    timings: dict[str, float] = {}
    started = time.monotonic()
    project = tmp_path / "project"
    make_project(project)
    checkpoint = make_checkpoint(project)
    timings["checkpoint"] = time.monotonic() - started

    installed = code_server.install_extension()
    assert "successfully installed" in installed
    code_server.write_settings(_settings(trusted=True))
    code_server.start(project)
    timings["code-server up"] = time.monotonic() - started

    shots = artifacts / "vscode"
    shots.mkdir(parents=True, exist_ok=True)
    handshake = tmp_path / "handshake"
    handshake.mkdir()
    options = {
        "playwright": str(code_server.tools.playwright_dir),
        "chromium": str(code_server.tools.chromium),
        "url": f"http://127.0.0.1:{code_server.port}/?folder={project}",
        "file": "model.py",
        "hoverText": UNSUPPORTED_OP,
        "exportLens": r"Export TinyNet with tiny_net\.pt",
        "exportResult": r"exported TinyNet to .*\.tflite",
        "paletteCheck": {"line": "class TinyNet", "result": r"TinyNet converts and verifies"},
        "saveCheck": True,
        "artifacts": str(shots),
        "profile": str(tmp_path / "chromium-profile"),
        "timeoutMs": 90000,
        "handshake": str(handshake),
    }
    driver = subprocess.Popen(["node", str(DRIVER), json.dumps(options)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=code_server.env)
    try:
        restart = _kill_server_and_wait_for_restart(code_server.process.pid, handshake, driver)
        stdout, stderr = driver.communicate(timeout=600)
    finally:
        if driver.poll() is None:
            driver.kill()
    timings["driver"] = time.monotonic() - started
    assert stdout.strip(), f"driver printed nothing (exit {driver.returncode}): {stderr[-3000:]}"
    seen = json.loads(stdout.strip().splitlines()[-1])
    (shots / "result.json").write_text(json.dumps({**seen, "restart": restart, "timings": timings}, indent=1))
    assert seen["ok"], f"{seen.get('error')}\nsteps: {seen['steps']}\nnotifications: {seen['notifications']}"

    # Killed like a crash, the server came back by itself and the editor recovered.
    assert restart.get("restarted") and "error" not in restart, restart

    # The squiggle, the Problems panel and the hover all name the op and our code.
    assert seen["squiggles"] >= 1
    assert UNSUPPORTED_OP in seen["problems"] and "LRT1" in seen["problems"], seen["problems"]
    assert "litert" in seen["problems"].lower(), seen["problems"]
    assert UNSUPPORTED_OP in seen["hover"], seen["hover"]

    # The export wrote a verified .tflite beside the project and said so.
    written = sorted(project.rglob("*.tflite"))
    assert written, f"no .tflite under {project}; notifications: {seen['notifications']}"
    assert written[0].stat().st_size > 1000
    assert written[0].read_bytes()[4:8] == b"TFL3"  # the flatbuffer identifier of a LiteRT model
    assert any(".tflite" in n for n in seen["notifications"]), seen["notifications"]
    # The palette's "Check conversion" found the class under the cursor by itself.
    assert any("TinyNet converts and verifies" in n for n in seen["notifications"]), seen["notifications"]
    # While it ran, the status bar item counted it (from the server's $/progress).
    assert "LiteRT: 1 job" in (seen.get("statusDuringExport") or ""), seen.get("statusDuringExport")
    # A save ran the background conversion check (litert/convertCheckStatus): the item said what
    # it converted, then the verdict, with the model that could not be built named in the tooltip.
    assert "LiteRT: converting TinyNet" in seen["statusWhileConverting"], seen["statusWhileConverting"]
    assert seen["statusTooltip"].startswith("TinyNet converts and matches (background check of model.py)"), \
        seen["statusTooltip"]
    assert "Vocabulary" in seen["statusTooltip"], seen["statusTooltip"]
    assert checkpoint.is_file()

    for picture in seen["screenshots"]:
        assert Path(picture).stat().st_size > 10_000, f"{picture} looks blank"
    if os.environ.get("LITERT_E2E_UPDATE_DOC_IMAGES") == "1":
        DOC_IMAGES.mkdir(parents=True, exist_ok=True)
        for picture in seen["screenshots"]:
            if "failure" not in picture:
                _copy_small(Path(picture), DOC_IMAGES / Path(picture).name)


def _copy_small(source: Path, target: Path) -> None:
    """Copies a screenshot for the docs, as a 128-colour PNG when Pillow is there (a third the size)."""
    try:
        from PIL import Image
    except ImportError:
        shutil.copy2(source, target)
        return
    with Image.open(source) as image:
        image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)
