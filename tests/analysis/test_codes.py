"""The code records: every one documented under its own heading, every reported code known."""

from __future__ import annotations

import re
from pathlib import Path

from litert_lsp.analysis import analyze
from litert_lsp.core import codes

DIAGNOSTICS = Path(__file__).resolve().parents[2] / "docs" / "diagnostics.md"


def _heading_anchors() -> set[str]:
    """GitHub's anchors for the `## LRTnnn slug` headings: lower case, spaces to dashes."""
    headings = re.findall(r"^## (LRT\d{3} [\w-]+)$", DIAGNOSTICS.read_text(encoding="utf-8"), re.MULTILINE)
    return {heading.lower().replace(" ", "-") for heading in headings}


def test_every_code_has_its_docs_heading_and_every_heading_a_code():
    assert {code.anchor for code in codes.CODES.values()} == _heading_anchors()


def test_module_constants_are_the_registered_records():
    for name, record in codes.CODES.items():
        assert getattr(codes, name) is record


def test_only_the_gpu_check_is_opt_in():
    assert [c.code for c in codes.CODES.values() if c.opt_in] == ["LRT303"]


def test_status_tables_point_at_known_codes():
    for code in [*codes.TORCH_STATUS_CODES.values(), *codes.TF_STATUS_CODES.values()]:
        assert code in codes.CODES


def test_reported_findings_carry_registered_codes():
    source = (
        "import torch\n"
        "class M(torch.nn.Module):\n"
        "    def forward(self, x):\n"
        "        if x.sum() > 0:\n"
        "            return x.item()\n"
        "        return x\n"
    )
    found = analyze(source)
    assert {f.code for f in found} == {codes.LRT201.code, codes.LRT202.code}
    for finding in found:
        assert finding.severity == codes.CODES[finding.code].severity


def test_every_error_the_fixtures_and_docs_produce_says_what_to_write_instead():
    # An error that only says "no" teaches nothing: each one names a way forward.

    from litert_lsp.analysis import analyze
    from litert_lsp.core.findings import Severity

    root = Path(__file__).resolve().parents[2]
    sources = [p.read_text(encoding="utf-8") for p in sorted((root / "tests" / "fixtures").glob("*/*.py"))]
    docs = (root / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    sources += re.findall(r"```python\n(.*?)```", docs, flags=re.DOTALL)
    errors = [f for source in sources for f in analyze(source)
              if f.severity == Severity.ERROR and f.code != "LRT001"]
    assert len({f.code for f in errors}) >= 8, sorted({f.code for f in errors})
    missing = sorted({(f.code, f.message) for f in errors if "Instead:" not in f.message})
    assert not missing, missing[:5]
