"""The shortcuts `check` takes on files that cannot have findings, held to the full analysis.

- analysis/prefilter.py: a text with no framework import skips everything after the parse;
  every text it turns down must analyze, the full way, to nothing but a syntax error.
- analysis/suppress.py: suppression comments are tokenized only when a marker stands on a
  finding's line (or an `ignore-file` anywhere); the result must equal the full parse's.
- the walker leaves no reference cycle holding a module's tree (else the cycle collector,
  not reference counting, frees every tree `check` builds).
"""

from __future__ import annotations

import ast
import gc
from pathlib import Path

import pytest

from litert_lsp.analysis import analyze, document, suppress
from litert_lsp.analysis.prefilter import may_import_a_framework
from litert_lsp.core.findings import Finding, Severity

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

MODEL = "class M({base}):\n    def forward(self, x):\n        return torch.unique(x).sum().item()\n"

IMPORTS = [
    "import torch\n",
    "import os, torch\n",
    "import os.path as p, torch.nn as nn\n",
    "from torch import nn\n",
    "from torch.nn import functional as F\n",
    "from \\\n    torch import nn\n",
    "import os, \\\n    torch\n",
    "try: import torch\nexcept ImportError: pass\n",
    "if True:\n    import tensorflow as tf\n",
    "x = 1; import torch\n",
    "import tf_keras\n",
    "import tf\n",
    "from keras.layers import Dense\n",
    "import keras\n",
    "import \uff54orch\n",  # a fullwidth t: the parser normalizes it to `torch`
    "import mo\u0301dulo, torch\n",  # a non-ASCII name before it
    '"""caf\u00e9"""\nimport torch\n',
]

NO_IMPORT = [
    '"""Works with torch and tensorflow models."""\nx = 1\n',
    "import torchvision\n",
    "from torchvision import models\n",
    "import os.torch\n",
    "from .torch import nn\n",
    "from tensorflow_datasets import load\n",
    "torch = None\nimport_torch = 1\n",
    "x = 'caf\u00e9 torch'\n",
    "",
]


@pytest.mark.parametrize("source", IMPORTS)
def test_every_spelling_of_a_framework_import_is_let_through(source: str) -> None:
    assert may_import_a_framework(source)
    tree = ast.parse(source)  # the cases are real Python
    assert any(isinstance(node, (ast.Import, ast.ImportFrom)) for node in ast.walk(tree))


@pytest.mark.parametrize("source", NO_IMPORT)
def test_text_without_a_framework_import_is_turned_down(source: str) -> None:
    assert not may_import_a_framework(source)


def _full_analysis(source: str, path: str, monkeypatch: pytest.MonkeyPatch) -> list[Finding]:
    with monkeypatch.context() as patched:
        patched.setattr(document, "may_import_a_framework", lambda _text: True)
        return analyze(source, path)


def _corpus() -> list[tuple[str, str]]:
    texts = [(str(p), p.read_text(encoding="utf-8")) for p in sorted(FIXTURES.rglob("*.py"))]
    texts += [("<import>", s + MODEL.format(base="torch.nn.Module")) for s in IMPORTS]
    texts += [("<none>", s + MODEL.format(base="nn.Module")) for s in NO_IMPORT]
    # Only a project module imports torch: the file itself imports no framework.
    texts.append(("<reexport>", "from .common import nn\n" + MODEL.format(base="nn.Module")))
    texts.append(("<syntax>", "import os\n\ndef f(:\n    pass\n"))
    return texts


def test_whatever_it_turns_down_has_no_finding_but_a_syntax_error(monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    turned_down = 0
    for path, source in _corpus():
        full = _full_analysis(source, path, monkeypatch)
        assert analyze(source, path) == full, path  # the shortcut changes nothing
        if not may_import_a_framework(source):
            turned_down += 1
            assert {f.code for f in full} <= {"LRT001"}, path
    assert turned_down >= len(NO_IMPORT)


def test_a_file_importing_a_project_module_that_imports_torch(monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Path) -> None:
    # The analyzer checks each file by its own imports: the model file that takes torch's
    # names from a project module gets nothing today. If findings are ever carried across
    # files, this is the case the pre-filter must then let through.
    package = tmp_path / "app"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "common.py").write_text("import torch\nfrom torch import nn\n")
    net = package / "net.py"
    net.write_text("from .common import nn\n\nclass M(nn.Module):\n    def forward(self, x):\n        return x.item()\n")
    source = net.read_text()
    assert not may_import_a_framework(source)
    assert _full_analysis(source, str(net), monkeypatch) == [] == analyze(source, str(net))


def _everywhere(source: str) -> list[Finding]:
    count = source.count("\n") + 2
    return [Finding(line, 0, line, 1, Severity.ERROR, code, "m")
            for line in range(1, count) for code in ("LRT102", "LRT202")]


SUPPRESSION_TEXTS = [
    "import torch  # noqa: F401\nx = 1\ny = 2  # litert: ignore[LRT202]\n",
    's = """\n# litert: ignore\n"""\nx = 1  # noqa: E501\n',
    "x = 1\n# litert: ignore-file\n",
    "x = 1  # LITERT: IGNORE\r\ny = 2\r\n",
    "x = 1\ry = 2  # noqa: LRT202\r",
    "x = 1  # l\u0131tert: ignore\n",  # a dotless i: IGNORECASE matches it to `i`
    "x = 1  # no\ufb00qa\ny = 2  # noqa: LRT1\n",
    "x = (\n    1)  # litert: ignore\n",
    "x = 'no marker'\n",
]


@pytest.mark.parametrize("source", SUPPRESSION_TEXTS)
def test_the_quick_marker_test_never_changes_what_is_silenced(source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for findings in (_everywhere(source), _everywhere(source)[2:3], []):
        quick = suppress.apply_suppressions(findings, source)
        with monkeypatch.context() as patched:
            patched.setattr(suppress, "_may_silence", lambda _findings, _source: True)
            assert suppress.apply_suppressions(findings, source) == quick, findings


def test_analysis_leaves_no_cycle_holding_the_tree() -> None:
    source = next((FIXTURES / "torch").rglob("*.py")).read_text(encoding="utf-8")
    analyze(source)  # warm the caches loaded once
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        analyze(source)
        gc.collect()
        held = [type(o).__name__ for o in gc.garbage if isinstance(o, ast.AST)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()
    assert held == []
