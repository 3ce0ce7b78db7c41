"""The user docs are checked against the code, so they cannot drift from it.

- docs/diagnostics.md has a section for every code in `analysis.codes.CODES`, and every
  ```python example in a section is analyzed: the line marked `# <- LRTxxx` must get that
  code, and no other line may get an error.
- docs/ops.md is exactly what `kb.docs.render()` makes from the shipped data.
- README's two commands exist in `dev`, and `.ci/run` runs the test one.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from litert_lsp import kb
from litert_lsp.analysis import analyze
from litert_lsp.core.codes import CODES, TORCH_STATUS_CODES
from litert_lsp.core.findings import Severity
from litert_lsp.kb import docs as ops_docs

ROOT = Path(__file__).resolve().parents[2]
DIAGNOSTICS = ROOT / "docs" / "diagnostics.md"
MARK = re.compile(r"#\s*<-\s*(LRT\d{3})")
# Codes that come from a real conversion, not from reading source: their examples are
# converter output, checked by the export tests instead.
CONVERSION_CODES = {"LRT901", "LRT902"}


def _sections() -> dict[str, str]:
    text = DIAGNOSTICS.read_text(encoding="utf-8")
    parts = re.split(r"^## (LRT\d{3})\b.*$", text, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def _examples() -> list[tuple[str, int, str]]:
    found = []
    for code, body in _sections().items():
        for number, block in enumerate(re.findall(r"```python\n(.*?)```", body, flags=re.DOTALL)):
            found.append((code, number, block))
    return found


def test_every_code_has_a_section():
    sections = _sections()
    assert sorted(set(CODES) - set(sections)) == []
    assert sorted(set(sections) - set(CODES)) == []


def _dormant_codes() -> set[str]:
    """Knowledge-base codes that no measured entry can produce today (so no example can show them).

    They come back to life by themselves when a regenerated table measures such an op, and
    then this test demands an example again.
    """
    torch_statuses = {e.status for e in kb.entries("torch")}
    torch_statuses |= {v.get("status") for e in kb.entries("torch") for v in e.variants}
    tf = kb.entries("tensorflow")
    dormant = {code for status, code in TORCH_STATUS_CODES.items() if status not in torch_statuses}
    if not any(e.get("gpu_compatible") is False for e in tf):
        dormant.add("LRT303")
    layers = [e for e in tf if e.name.startswith("keras.layers.")]
    if not any(e.status == "unsupported" or any(v.get("status") == "unsupported" for v in e.variants)
               for e in layers):
        dormant.add("LRT307")
    return dormant


def test_every_analyzer_code_has_a_flagged_example():
    codes_with_marks = {code for code, _, block in _examples() if MARK.search(block)}
    missing = sorted(set(CODES) - CONVERSION_CODES - _dormant_codes() - codes_with_marks)
    assert missing == []


@pytest.mark.parametrize(("code", "number", "block"), _examples(), ids=lambda v: str(v)[:12])
def test_example_gets_its_code(code: str, number: int, block: str):
    findings = analyze(block, f"docs/diagnostics.md[{code}#{number}]")
    expected = {
        (index, mark.group(1))
        for index, line in enumerate(block.splitlines(), start=1)
        for mark in MARK.finditer(line)
    }
    got = {(f.line, f.code) for f in findings}
    assert expected <= got, f"expected {sorted(expected)}, analyzer said {findings}"
    marked_lines = {line for line, _ in expected}
    stray_errors = [f for f in findings if f.severity == Severity.ERROR and f.line not in marked_lines]
    assert stray_errors == []


def test_ops_page_is_generated_from_the_shipped_data():
    committed = (ROOT / "docs" / "ops.md").read_text(encoding="utf-8")
    assert committed == ops_docs.render(), "run: python -m litert_lsp.kb.docs docs/ops.md"


def test_readme_commands_are_the_dev_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "./dev example" in readme and "./dev test" in readme
    dev = (ROOT / "dev").read_text(encoding="utf-8")
    assert re.search(r"^\s*example\)", dev, flags=re.MULTILINE) and re.search(r"^\s*test\)", dev, flags=re.MULTILINE)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^exec \./dev test\s*$", ci, flags=re.MULTILINE)


def test_readme_links_work_on_an_index_page():
    # A package index renders README without the repository around it: every link and image
    # must be absolute, and point at a file this repository has.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)\s]+)\)", readme)
    assert targets
    for target in targets:
        assert target.startswith("https://"), f"relative link in README: {target}"
        for base in ("https://github.com/litert-lsp/litert-lsp/blob/main/",
                     "https://raw.githubusercontent.com/litert-lsp/litert-lsp/main/"):
            if target.startswith(base):
                assert (ROOT / target[len(base):].split("#")[0]).exists(), target
