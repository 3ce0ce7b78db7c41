"""Dynamic dimensions for PyTorch exports: `-1` sizes and `--dynamic-batch` on the command line,
torch.export dynamic shapes, and what litert-torch really does with them.

The slow tests are the measurement: litert-torch 0.10 converts no dynamic dimension (a conv net,
an MLP and a transformer block all fail in lowering), so the user must get one sentence naming
the dimension and the fixed size to give, never the converter's raw text. If a later
litert-torch converts them, those tests fail on purpose: the docs and messages must change.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from litert_lsp.cli import build_parser
from litert_lsp.jobs import shapes
from litert_lsp.jobs.job import ExportRequest

# ---- parsing (fast) -------------------------------------------------------------------


@pytest.mark.parametrize(("text", "parsed"), [
    ("1,3,32,32", [[1, 3, 32, 32]]),
    ("-1,3,32,32", [[-1, 3, 32, 32]]),
    ("-1,16;-1,16", [[-1, 16], [-1, 16]]),
    ("[1, -1, 8]", [[1, -1, 8]]),
])
def test_shapes_parse_with_dynamic_sizes(text: str, parsed: list[list[int]]) -> None:
    assert shapes.parse_input_shapes(text) == parsed


@pytest.mark.parametrize("text", ["-2,8", "0,8", "a,b", ";", "-1,x"])
def test_bad_shapes_get_a_sentence(text: str) -> None:
    with pytest.raises(shapes.ShapeError, match="input shape"):
        shapes.parse_input_shapes(text)


@pytest.mark.parametrize("argv", [
    ["--input-shape", "-1,8"], ["--input-shape=-1,8"], ["--input-shape", "-1,16;-1,16"],
    ["--input-shape", "-1,3,32,32", "--dynamic-batch"],
])
def test_argparse_takes_a_leading_minus_as_a_shape(argv: list[str]) -> None:
    full = ["export", "model.py", *argv]
    args = build_parser(full).parse_args(full)
    assert args.input_shape.startswith("-1,") and args.source == "model.py"
    assert args.dynamic_batch is (True if "--dynamic-batch" in argv else None)


def test_options_still_are_options() -> None:
    full = ["export", "model.py", "--input-shape", "-1,8", "-o", "out.tflite", "-v"]
    args = build_parser(full).parse_args(full)
    assert args.output == "out.tflite" and args.verbose and args.input_shape == "-1,8"


def test_cli_bad_dynamic_shape_exits_2(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("x = 1\n")
    done = subprocess.run([sys.executable, "-m", "litert_lsp", "export", "m.py", "--input-shape", "-2,8"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2 and "must list positive sizes (-1 for a dynamic one)" in done.stderr
    assert "Traceback" not in done.stderr


def test_shape_helpers() -> None:
    assert shapes.with_dynamic_batch([[1, 3, 8, 8], [4]]) == [[-1, 3, 8, 8], [-1]]
    assert shapes.dynamic_dims([[-1, 3], [1, -1, -1]]) == [[0], [1, 2]]
    assert shapes.concrete([-1, 3, -1]) == [shapes.EXAMPLE_SIZE, 3, shapes.EXAMPLE_SIZE]
    assert shapes.describe([[0], [0]], ["x", "mask"]) == "dim 0 of x and dim 0 of mask"
    assert not shapes.has_dynamic([[1, 3]]) and shapes.has_dynamic([[1, -1]])


# ---- torch.export dynamic shapes (torch, no converter) --------------------------------


def test_requested_dims_and_example_sizes() -> None:
    torch = pytest.importorskip("torch")
    from litert_lsp.worker.torch import dynamic

    inputs = (torch.zeros(1, 8), torch.zeros(1, 4, dtype=torch.int64))
    batch = ExportRequest(source="m.py", dynamic_batch=True)
    assert dynamic.requested_dims(batch, inputs) == [[0], [0]]
    given = ExportRequest(source="m.py", input_shapes=[[2, -1], [2, 4]])
    assert dynamic.requested_dims(given, inputs) == [[1], []]
    assert not dynamic.wanted(ExportRequest(source="m.py", input_shapes=[[1, 8]]))
    wide = dynamic.at_size(inputs, [[0], [0]], shapes.EXAMPLE_SIZE)
    assert [list(t.shape) for t in wide] == [[2, 8], [2, 4]] and wide[1].dtype == torch.int64
    spec = dynamic.dynamic_shapes(wide, [[0], []])
    assert spec == ({0: torch.export.Dim.AUTO}, None)


def test_a_batch_fixed_by_the_code_is_named() -> None:
    """A literal size in a reshape makes torch.export specialise the batch: say so, before converting."""
    torch = pytest.importorskip("torch")
    from litert_lsp.worker.torch import dynamic

    class Fixed(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x.reshape(2, 16) * 2

    examples = dynamic.at_size((torch.randn(1, 4, 4),), [[0]], shapes.EXAMPLE_SIZE)
    program = torch.export.export(Fixed(), examples, dynamic_shapes=dynamic.dynamic_shapes(examples, [[0]]), strict=False)
    assert dynamic.specialised(program, [[0]]) == [(0, 0, 2)]


# ---- with litert-torch and the LiteRT runtime (slow) ----------------------------------

MODELS = '''
import torch
import torch.nn as nn


class Conv(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(torch.relu(self.conv(x)), 1), 1))


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(16, 32)
        self.b = nn.Linear(32, 4)

    def forward(self, x):
        return self.b(torch.relu(self.a(x)))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = nn.LayerNorm(32)
        self.attn = nn.MultiheadAttention(32, 4, batch_first=True)
        self.ff = nn.Linear(32, 32)

    def forward(self, x):
        y = self.norm(x)
        return x + self.ff(self.attn(y, y, y, need_weights=False)[0])


class Reshaping(nn.Module):
    def forward(self, x):
        return x.reshape(x.shape[0], -1) * 2
'''


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dynamic")
    (folder / "models.py").write_text(MODELS)
    return folder / "models.py"


@pytest.mark.slow
@pytest.mark.parametrize(("model", "shape", "fixed"), [
    ("Conv", [-1, 3, 16, 16], "1,3,16,16"),
    ("Mlp", [-1, 16], "1,16"),
    ("Block", [-1, 10, 32], "1,10,32"),
])
def test_litert_torch_refuses_a_dynamic_batch_with_a_sentence(warm_worker, models: Path, model: str,
                                                              shape: list[int], fixed: str) -> None:
    result = warm_worker.export(ExportRequest(source=str(models), model=model, input_shapes=[shape],
                                              write_output=False, find_culprit=False))
    assert not result.ok and result.stage == "convert", result.message
    assert "dim 0 of input 0 cannot be dynamic" in result.message
    assert f"--input-shape {fixed}" in result.message
    assert "9223372036854775808" not in result.message and "\\n" not in result.message
    # The same model at a fixed size converts and verifies: the dynamic dim is the only problem.
    plain = warm_worker.export(ExportRequest(source=str(models), model=model, input_shapes=[shapes.concrete(shape, 1)],
                                             write_output=False, find_culprit=False))
    assert plain.ok, plain.message


@pytest.mark.slow
def test_dynamic_batch_flag_on_inferred_inputs(warm_worker, models: Path) -> None:
    """No shape given: the inputs come from the first layer at batch 1, traced at 2 for the check."""
    result = warm_worker.export(ExportRequest(source=str(models), model="Mlp", dynamic_batch=True,
                                              write_output=False, find_culprit=False))
    assert not result.ok and "dim 0 of input 0 cannot be dynamic" in result.message
    assert "--input-shape 1,16" in result.message


@pytest.mark.slow
def test_second_size_check_in_the_runtime() -> None:
    """The check a dynamic conversion gets, run on fixed-size conversions resized in LiteRT (the
    interpreter resizes inputs non-strictly): an elementwise model works at another batch; one
    whose reshape holds the traced batch as a constant fails, and the sentence says so."""
    torch = pytest.importorskip("torch")
    litert_torch = pytest.importorskip("litert_torch")
    from litert_lsp.worker.torch import dynamic

    namespace: dict = {}
    exec(compile(MODELS, "models.py", "exec"), namespace)  # noqa: S102 - the test's own model code
    request = ExportRequest(source="models.py", dynamic_batch=True)
    flat = namespace["Reshaping"]().eval()
    examples = (torch.randn(2, 3, 4),)
    converted = litert_torch.convert(flat, examples)
    with pytest.raises(dynamic.DynamicShapeError, match=r"dim 0 of input 0 converted as dynamic, but"):
        dynamic._check_second_size(flat, converted, examples, [[0]], request)

    class Scale(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.relu(x) * 3

    scale = Scale().eval()
    dynamic._check_second_size(scale, litert_torch.convert(scale, examples), examples, [[0]], request)
