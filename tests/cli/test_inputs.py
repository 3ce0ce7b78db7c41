"""Which files `litert-lsp check` reads: standard input, .gitignore, hidden folders, named
files under excluded folders, and parallel runs."""

from __future__ import annotations

import json

from tests.cli.conftest import ITEM_LINE, MODEL_WITH_ITEM


def _paths(run) -> set[str]:
    return {entry["path"] for entry in json.loads(run.stdout)}


def test_stdin_with_a_filename(cli, project, tmp_path):
    import subprocess
    import sys

    root = project({"pyproject.toml": "[tool.litert-lsp]\nignore = ['LRT2']\n", "sub/x.txt": ""})
    command = [sys.executable, "-m", "litert_lsp", "check", "--format", "json", "-"]
    done = subprocess.run([*command, "--stdin-filename", "sub/net.py"], input=MODEL_WITH_ITEM,
                          cwd=root, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and json.loads(done.stdout) == []  # the project's ignore applies
    done = subprocess.run(command, input=MODEL_WITH_ITEM, cwd=tmp_path.parent, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert [(e["path"], e["line"]) for e in json.loads(done.stdout)] == [("-", ITEM_LINE)]


def test_gitignore_and_hidden_folders_are_skipped(cli, project):
    root = project({
        ".git/HEAD": "ref: refs/heads/main\n",
        ".gitignore": "build/\ngenerated_*.py\n!generated_keep.py\n",
        "build/a.py": MODEL_WITH_ITEM, ".cache/b.py": MODEL_WITH_ITEM,
        "src/generated_c.py": MODEL_WITH_ITEM, "src/generated_keep.py": MODEL_WITH_ITEM,
        "src/.gitignore": "local.py\n", "src/local.py": MODEL_WITH_ITEM, "src/net.py": MODEL_WITH_ITEM,
    })
    run = cli("check", "--format", "json", ".", cwd=root)
    assert _paths(run) == {"src/generated_keep.py", "src/net.py"}


def test_a_named_file_is_checked_inside_an_excluded_folder_unless_force_exclude(cli, project):
    root = project({".venv/lib/net.py": MODEL_WITH_ITEM,
                    "pyproject.toml": "[tool.litert-lsp]\nexclude = ['gen']\n", "gen/g.py": MODEL_WITH_ITEM})
    for name in (".venv/lib/net.py", "gen/g.py"):
        run = cli("check", "--format", "json", name, cwd=root)
        assert run.code == 1 and _paths(run) == {name}
        run = cli("check", "--format", "json", "--force-exclude", name, cwd=root)
        assert run.code == 0 and _paths(run) == set()


def test_parallel_and_single_process_runs_agree(cli, project):
    root = project({f"pkg/m{i:02}.py": MODEL_WITH_ITEM if i % 3 else "def f(:\n" for i in range(20)})
    serial = cli("check", "--format", "json", "--jobs", "1", ".", cwd=root)
    parallel = cli("check", "--format", "json", "--jobs", "2", ".", cwd=root)
    assert serial.code == parallel.code == 1
    assert json.loads(serial.stdout) == json.loads(parallel.stdout)
    assert len(json.loads(serial.stdout)) == 20
    assert cli("check", "--jobs", "0", ".", cwd=root).code == 2


def test_a_named_folder_inside_an_excluded_one_is_walked(cli, project):
    root = project({".venv/lib/pkg/net.py": MODEL_WITH_ITEM, ".venv/lib/pkg/__pycache__/c.py": MODEL_WITH_ITEM})
    run = cli("check", "--format", "json", ".venv/lib/pkg", cwd=root)
    assert _paths(run) == {".venv/lib/pkg/net.py"}
    assert _paths(cli("check", "--format", "json", "--force-exclude", ".venv/lib/pkg", cwd=root)) == set()
