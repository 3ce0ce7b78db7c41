"""`litert-lsp check` report formats beyond text: SARIF details, GitHub, GitLab, statistics."""

from __future__ import annotations

import json
import re

from litert_lsp.cli.reports import heading_anchor
from tests.cli.conftest import ITEM_LINE, MODEL_WITH_ITEM
from tests.docs.test_docs import DIAGNOSTICS

TWO_ITEMS = MODEL_WITH_ITEM.replace(
    "        scale = x.mean().item()\n",
    "        scale = x.mean().item()\n        other = x.sum().item()\n",
)


def test_sarif_has_no_hand_made_fingerprints_and_two_findings_stay_apart(cli, project):
    root = project({"net.py": TWO_ITEMS})
    document = json.loads(cli("check", "--format", "sarif", ".", cwd=root).stdout)
    results = [r for r in document["runs"][0]["results"] if r["ruleId"] == "LRT202"]
    assert len(results) == 2
    assert all("partialFingerprints" not in r and "fingerprints" not in r for r in results)
    lines = {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results}
    assert lines == {ITEM_LINE, ITEM_LINE + 1}


def test_every_sarif_help_anchor_is_a_diagnostics_heading(cli, project):
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*$", DIAGNOSTICS.read_text(encoding="utf-8"), re.MULTILINE)
    anchors = {heading_anchor(h) for h in headings}
    assert "lrt202-tensor-to-python" in anchors  # the slug GitHub makes of `## LRT202 tensor-to-python`
    document = json.loads(cli("check", "--format", "sarif", ".", cwd=project({"a.py": "x = 1\n"})).stdout)
    rules = document["runs"][0]["tool"]["driver"]["rules"]
    assert rules
    for rule in rules:
        page, _, anchor = rule["helpUri"].partition("#")
        assert page.endswith("docs/diagnostics.md")
        assert anchor in anchors, rule["helpUri"]


def test_github_annotations(cli, project):
    root = project({"pkg/net.py": MODEL_WITH_ITEM})
    run = cli("check", "--format", "github", ".", cwd=root)
    assert run.code == 1
    lines = run.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"::error file=pkg/net.py,line={ITEM_LINE},col=")
    assert "title=litert-lsp LRT202::LRT202 " in lines[0]


def test_gitlab_code_quality_has_unique_fingerprints(cli, project):
    root = project({"net.py": TWO_ITEMS})
    issues = json.loads(cli("check", "--format", "gitlab", ".", cwd=root).stdout)
    assert [i["check_name"] for i in issues] == ["LRT202", "LRT202"]
    assert len({i["fingerprint"] for i in issues}) == 2
    assert {i["severity"] for i in issues} == {"major"}
    assert [i["location"]["positions"]["begin"]["line"] for i in issues] == [ITEM_LINE, ITEM_LINE + 1]
    assert issues[0]["location"]["path"] == "net.py"


def test_statistics_counts_per_code(cli, project):
    root = project({"a.py": TWO_ITEMS, "b.py": "def f(:\n"})
    run = cli("check", "--statistics", ".", cwd=root)
    assert run.code == 1
    assert run.stdout.splitlines() == ["2  LRT202  tensor-to-python", "1  LRT001  syntax-error"]


def test_docs_url_moves_sarif_help_links_and_a_bad_one_is_refused(cli, project):
    root = project({"pyproject.toml": '[tool.litert-lsp]\ndocs-url = "https://docs.example.com/litert"\n',
                    "net.py": MODEL_WITH_ITEM})
    document = json.loads(cli("check", "--format", "sarif", ".", cwd=root).stdout)
    rules = {r["id"]: r for r in document["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["LRT202"]["helpUri"] == "https://docs.example.com/litert/diagnostics.md#lrt202-tensor-to-python"
    assert all(r["helpUri"].startswith("https://docs.example.com/litert/diagnostics.md#") for r in rules.values())

    (root / "pyproject.toml").write_text('[tool.litert-lsp]\ndocs-url = "docs.example.com"\n', encoding="utf-8")
    run = cli("check", "--format", "sarif", ".", cwd=root)
    assert "`docs-url` must be an http(s) URL" in run.stderr
    rules = json.loads(run.stdout)["runs"][0]["tool"]["driver"]["rules"]
    assert all(r["helpUri"].startswith("https://github.com/") for r in rules)
