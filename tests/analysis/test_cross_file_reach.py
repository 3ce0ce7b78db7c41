"""Cross-file reach (analysis/project_index.py): a model file gets, at the use site, a finding for
what an imported class or function does in another file, the files being ones these tests write:
a package with relative and absolute imports, and a library-like folder put on sys.path.

Everything is read as text: a file that would fail on import (`raise SystemExit`) is analyzed
without running, and never lands in sys.modules.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from litert_lsp.analysis import analyze, project_index
from litert_lsp.core.findings import Severity

BLOCKS = """\
import torch
from torch import nn


class ConvBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3)

    def forward(self, x):
        y = self.conv(x)
        return torch.histc(y, bins=4)


class Fine(nn.Module):
    def forward(self, x):
        return torch.relu(x)
"""

MODEL = """\
import torch
from torch import nn

from .blocks import ConvBlock, Fine


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = ConvBlock()
        self.fine = Fine()

    def forward(self, x):
        return self.fine(self.block(x))
"""

LIBRARY = """\
raise SystemExit("importing this library would stop the process")
import torch
from torch import nn

from .ops import spectral


class Inner(nn.Module):
    def forward(self, x):
        return spectral(x)


class FancyBase(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = Inner()

    def forward(self, x):
        return self.inner(x)
"""

LIBRARY_OPS = """\
import torch


def spectral(x):
    return torch.fft.fftn(x, dim=(1, 2))
"""


@pytest.fixture(autouse=True)
def _fresh_cache():
    project_index.clear_cache()
    yield
    project_index.clear_cache()


def _write(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    _write(tmp_path / "proj", {"app/__init__.py": "", "app/models/__init__.py": "",
                               "app/models/blocks.py": BLOCKS, "app/models/net.py": MODEL})
    return tmp_path / "proj"


@pytest.fixture
def library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "libs"
    _write(root, {"fancylib/__init__.py": "from .layers import FancyBase\n",
                  "fancylib/layers.py": LIBRARY, "fancylib/ops.py": LIBRARY_OPS})
    monkeypatch.syspath_prepend(str(root))
    return root


def _reach(path: Path) -> list:
    return project_index.reach_findings_in(str(path), path.read_text(encoding="utf-8"))


def test_a_project_class_built_in_init_gets_a_related_information_at_the_use_site(project: Path) -> None:
    net = project / "app/models/net.py"
    found = _reach(net)
    assert len(found) == 1, [f.message for f in found]
    finding = found[0]
    # At `ConvBlock()` (line 10), not at `Fine()`: only the class whose code fails is named.
    assert (finding.line, finding.column) == (10, 21)
    assert finding.code == "LRT102" and finding.op == "torch.histc"
    assert finding.message.startswith("ConvBlock.forward (blocks.py:12) calls `torch.histc`, which ")
    # The finding in blocks.py stays there, an error; the use site points at it without counting twice.
    assert finding.severity == Severity.INFORMATION
    related = finding.data["related"][0]
    assert Path(related["path"]) == (project / "app/models/blocks.py").resolve() and related["line"] == 12
    own = [f for f in analyze(BLOCKS, path=str(project / "app/models/blocks.py")) if f.code == "LRT102"]
    assert [(f.line, f.severity) for f in own] == [(12, Severity.ERROR)]


def test_absolute_imports_of_the_project_resolve_from_its_root(project: Path) -> None:
    script = project / "train.py"
    script.write_text("from app.models import blocks\nfrom app.models.blocks import ConvBlock\n\n"
                      "a = ConvBlock()\nb = blocks.ConvBlock()\nc = blocks.Fine()\n", encoding="utf-8")
    found = _reach(script)
    assert [(f.line, f.severity) for f in found] == [(4, Severity.INFORMATION), (5, Severity.INFORMATION)]


def test_a_library_base_class_keeps_the_severity_and_follows_its_files(project: Path, library: Path) -> None:
    model = project / "app/models/sub.py"
    model.write_text("from fancylib import FancyBase\nfrom fancylib.layers import FancyBase as Same\n\n\n"
                     "class Sub(FancyBase):\n    pass\n\n\n"
                     "class Own(Same):\n    def forward(self, x):\n        return x\n", encoding="utf-8")
    found = _reach(model)
    # Sub runs FancyBase.forward -> Inner (same file) -> spectral (ops.py, one file further):
    # the library file is never checked by the user, so the error is reported here, as an error.
    assert [(f.line, f.code, f.severity) for f in found] == [(5, "LRT103", Severity.ERROR)]
    message = found[0].message
    assert message.startswith("spectral (ops.py:5) (through FancyBase -> Inner) calls `torch.fft.fftn`")
    # Own overrides forward: the base's is not what runs.
    assert not [f for f in found if f.line == 9]
    assert "fancylib" not in sys.modules and "fancylib.layers" not in sys.modules  # read, never imported


def test_the_summary_is_cached_by_content_and_follows_edits(project: Path) -> None:
    net = project / "app/models/net.py"
    blocks = project / "app/models/blocks.py"
    assert len(_reach(net)) == 1
    summary = project_index._by_digest[project_index._by_stat[blocks.resolve()][2]]
    assert len(_reach(net)) == 1
    assert project_index._by_digest[project_index._by_stat[blocks.resolve()][2]] is summary  # not re-analyzed
    blocks.write_text(BLOCKS.replace("torch.histc(y, bins=4)", "torch.relu(y)   # same size"), encoding="utf-8")
    assert _reach(net) == []


def test_bounds_cycles_frameworks_and_unreadable_files(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    net = project / "app/models/net.py"
    monkeypatch.setattr(project_index, "MAX_BYTES", 100)
    assert _reach(net) == []  # blocks.py is above the size bound: not followed
    monkeypatch.undo()
    cyclic = {"app/a.py": "from .b import B\n\nclass A:\n    def f(self):\n        return B()\n",
              "app/b.py": "from .a import A\n\nclass B:\n    def f(self):\n        return A()\n"}
    _write(project, cyclic)
    assert _reach(project / "app/a.py") == []  # terminates, nothing to report
    user = project / "app/plain.py"
    user.write_text("import torch\nfrom torch.nn import Conv2d\nfrom collections import OrderedDict\n"
                    "from .missing import Gone\n\nx = Conv2d(1, 1, 1)\ny = OrderedDict()\nz = Gone()\n",
                    encoding="utf-8")
    assert _reach(user) == []  # frameworks and the standard library are not followed; a missing file is skipped
    assert project_index.reach_findings_in("<string>", MODEL) == []
    broken = project / "app/models/broken.py"
    broken.write_text("from .blocks import ConvBlock\nConvBlock(\n", encoding="utf-8")
    assert _reach(broken) == []  # the document itself does not parse: no use sites, no exception


def test_both_analyzer_paths_report_the_use_site_and_honour_suppressions(project: Path, library: Path) -> None:
    from litert_lsp.analysis import DocumentAnalyzer

    net = project / "app/models/net.py"
    text = MODEL + "\n\nfrom fancylib import FancyBase\n\n\nclass Sub(FancyBase):\n    pass\n"
    net.write_text(text, encoding="utf-8")
    expected = [(10, Severity.INFORMATION, "LRT102"), (20, Severity.ERROR, "LRT103")]
    # The batch path (`check` on a folder) checks the project's other files themselves: there
    # only the installed library is followed.
    reach = [(f.line, f.severity, f.code) for f in analyze(text, path=str(net)) if "reach" in f.data]
    assert reach == expected[1:], reach
    editor = DocumentAnalyzer(str(net))
    assert [(f.line, f.severity, f.code) for f in editor.analyze(text) if "reach" in f.data] == expected
    moved = text.replace("        return self.fine(self.block(x))", "        y = self.block(x)\n        return self.fine(y)")
    assert [f.line for f in editor.analyze(moved) if "reach" in f.data] == [10, 21]
    quiet = text.replace("self.block = ConvBlock()", "self.block = ConvBlock()  # litert: ignore[LRT102]")
    assert [f.line for f in editor.analyze(quiet) if "reach" in f.data] == [20]
