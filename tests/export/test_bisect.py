"""Conversion errors that name no line (#12 item 2): the op looked up in the exported graph,
and the smallest submodule that fails alone the same way (module bisection). Real torch models,
real litert-torch conversions, in this process."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

MODEL = """\
import torch
from torch import nn


class Hist(nn.Module):
    def forward(self, x):
        counts = torch.histc(x, bins=4, min=-1.0, max=1.0)
        return x * counts.sum()


class Middle(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)
        self.hist = Hist()

    def forward(self, x):
        return self.hist(torch.relu(self.fc(x)))


class Outer(nn.Module):
    def __init__(self):
        super().__init__()
        self.pre = nn.Linear(8, 8)
        self.middle = Middle()
        self.post = nn.Linear(8, 4)

    def forward(self, x):
        return self.post(self.middle(self.pre(x)))
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    import importlib.util

    import torch

    folder = tmp_path_factory.mktemp("bisect")
    path = folder / "nested_hist.py"
    path.write_text(MODEL)
    spec = importlib.util.spec_from_file_location("nested_hist", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["nested_hist"] = module
    spec.loader.exec_module(module)
    torch.manual_seed(0)
    model = module.Outer().eval()
    inputs = (torch.randn(2, 8),)
    import litert_torch

    try:
        litert_torch.convert(model, inputs)
    except Exception as error:  # noqa: BLE001 - the failure under test
        return model, inputs, error, folder.resolve()
    pytest.fail("torch.histc converted: the test needs an op without a lowering")


def test_bisection_finds_the_nested_submodule(built) -> None:
    from litert_lsp.worker.torch import bisect

    model, inputs, error, _ = built
    failing = bisect.find(model, inputs, error, budget=120)
    assert failing is not None
    assert (failing.name, failing.class_name) == ("middle.hist", "Hist")
    assert Path(failing.path).name == "nested_hist.py" and (failing.line, failing.forward_line) == (5, 6)
    assert "aten.histc" in failing.message
    # pre (converts), middle (fails), then inside middle: fc (converts), hist (fails)
    assert failing.checked == 4


def test_a_different_error_does_not_count_as_the_same(built) -> None:
    from litert_lsp.worker.torch import bisect

    model, inputs, _, _ = built
    assert bisect.find(model, inputs, RuntimeError("Lowering not found: aten.something_else.default"),
                       budget=120) is None


def test_the_exported_graph_names_the_line_of_the_op(built) -> None:
    from litert_lsp.worker.torch import graph_sites, unplaced

    model, inputs, _, folder = built
    # The message without its traceback: what an error with no location looks like.
    bare = RuntimeError("Lowering not found: aten.histc.default")
    hits = graph_sites.matching_op(graph_sites.sites(model, inputs), graph_sites.ops_named(str(bare)))
    assert [site.op for site in hits] == ["aten.histc.default"]
    assert hits[0].module_class == "Hist"
    placed = unplaced.place(model, inputs, bare, "convert", [folder])
    assert placed.how == "graph"
    assert [(Path(f.path).name, f.line) for f in placed.failures] == [("nested_hist.py", 7)]


def test_an_mlir_location_in_a_library_is_found_in_the_graph(built) -> None:
    from litert_lsp.worker.torch import graph_sites

    model, inputs, _, folder = built
    # A converter pass names only `file:line` (here the histc line, as if it were a library's).
    text = f"Failed to run converter passes: {folder / 'nested_hist.py'}:7:0: error: 'tfl.x' op failed"
    hits = graph_sites.matching_location(graph_sites.sites(model, inputs), graph_sites.locations_named(text))
    assert [site.op for site in hits] == ["aten.histc.default"]
    assert [line for _, line in hits[0].frames] == [29, 18, 7]  # Outer.forward -> Middle.forward -> Hist.forward
