"""A failure in an installed library is put on the user's line that reaches it (#12 item 2).

The fast tests use real files on disk (a project folder and a `site-packages` folder holding a
library) and the converter's message formats; the slow one converts a real model whose
library layer has no lowering, through the warm worker.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from litert_lsp.jobs.job import ExportRequest
from litert_lsp.worker.locate import (
    at_user_frame,
    failures_from_exception,
    failures_from_text,
    is_user_file,
    library_name,
)


@pytest.fixture()
def layout(tmp_path: Path) -> tuple[Path, Path, Path]:
    project = tmp_path / "project"
    library = tmp_path / "venv" / "lib" / "python3.11" / "site-packages" / "helperlib"
    project.mkdir()
    library.mkdir(parents=True)
    (project / "model.py").write_text("x = 1\n" * 30)
    (library / "layers.py").write_text("y = 2\n" * 300)
    return project.resolve(), project / "model.py", library / "layers.py"


def test_a_library_frame_is_reported_at_the_user_call_that_reaches_it(layout) -> None:
    project, model, layers = layout
    text = (f"Lowering not found: aten.histc.default\n\nWhile executing %histc\nOriginal traceback:\n"
            f'File "{model}", line 20, in forward\n    return self.block(x)\n'
            f'  File "{layers}", line 212, in forward\n    return torch.histc(x)\n')
    [failure] = failures_from_text(text, "convert", [project])
    assert (Path(failure.path), failure.line) == (model.resolve(), 20)
    assert (Path(failure.library_path), failure.library_line) == (layers.resolve(), 212)
    assert "helperlib/layers.py:212" in failure.message


def test_toolchain_frames_are_never_the_failing_line(layout) -> None:
    project, model, _ = layout
    torch_file = "/x/venv/lib/python3.11/site-packages/torch/fx/interpreter.py"
    failure = at_user_frame([(str(model), 7), (torch_file, 300)], [project], "E: boom", "export")
    assert failure is not None and failure.line == 7 and failure.library_path is None
    assert library_name(torch_file) is None
    assert library_name("/v/lib/python3.11/site-packages/transformers/models/llama/modeling_llama.py") == \
        "transformers/models/llama/modeling_llama.py"


def test_a_root_inside_site_packages_is_the_users(layout) -> None:
    # A library's author (or the real-model benchmark) works inside the package folder.
    _, _, layers = layout
    assert is_user_file(str(layers), [layers.parent.resolve()])
    assert not is_user_file(str(layers), [layers.parents[4].resolve()])  # the .venv below a project root is not


def test_a_python_traceback_through_a_library_lands_on_the_user_line(layout, tmp_path: Path) -> None:
    project, model, layers = layout
    # Real frames: code compiled under those file names raises through both.
    library_code = compile("def deep():\n" + "\n" * 210 + "    raise TypeError('NoneType is not subscriptable')\n",
                           str(layers), "exec")
    scope: dict = {}
    exec(library_code, scope)  # noqa: S102 - our own two-line test code
    user_code = compile("\n" * 11 + "def forward():\n    return deep()\n", str(model), "exec")
    scope_user: dict = {"deep": scope["deep"]}
    exec(user_code, scope_user)  # noqa: S102
    try:
        scope_user["forward"]()
    except TypeError as error:
        try:
            raise RuntimeError("While executing the graph") from error
        except RuntimeError as outer:
            failures = failures_from_exception(outer, "export", [project])
    [failure] = failures
    assert failure.line == 13 and failure.library_line == 212
    assert "raised in helperlib/layers.py:212" in failure.message


LIBRARY = """\
import torch
from torch import nn


class Histogram(nn.Module):
    def forward(self, x):
        return x + torch.histc(x, bins=4, min=0.0, max=1.0).sum()
"""

USER = """\
import sys
sys.path.insert(0, {libs!r})

import torch
from torch import nn
from helperlib.layers import Histogram


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)
        self.hist = Histogram()

    def forward(self, x):
        y = self.fc(x)
        return self.hist(y)
"""


@pytest.mark.slow
def test_the_worker_reports_the_library_line_beside_the_user_line(warm_worker, tmp_path: Path) -> None:
    libs = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    (libs / "helperlib").mkdir(parents=True)
    (libs / "helperlib" / "__init__.py").write_text("")
    (libs / "helperlib" / "layers.py").write_text(LIBRARY)
    project = tmp_path / "project"
    project.mkdir()
    source = project / "model.py"
    source.write_text(USER.format(libs=str(libs)))
    request = ExportRequest(source=str(source), model="Model", input_shapes=[[1, 8]], write_output=False,
                            workspace=str(project))
    result = warm_worker.export(request, timeout=300)
    assert result.status == "failed" and "aten.histc" in result.message
    [failure] = [f for f in result.failures if Path(f.path).name == "model.py"]
    assert failure.line == 17  # `return self.hist(y)`
    assert Path(failure.library_path).name == "layers.py" and failure.library_line == 7
    assert result.details["library_locations"] == [
        {"path": failure.library_path, "line": 7, "from_path": failure.path, "from_line": 17}]


def test_a_failing_library_class_is_reported_on_the_enclosing_user_class(tmp_path: Path) -> None:
    # No conversion: the bisection's answer is given; where it is reported is under test.
    import importlib.util
    import sys

    from litert_lsp.worker.torch import bisect, unplaced

    libs = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    (libs / "helperlib_b").mkdir(parents=True)
    (libs / "helperlib_b" / "__init__.py").write_text("")
    (libs / "helperlib_b" / "layers.py").write_text(LIBRARY)
    project = tmp_path / "project"
    project.mkdir()
    source = project / "user_b.py"
    source.write_text(USER.format(libs=str(libs)).replace("helperlib.", "helperlib_b."))
    spec = importlib.util.spec_from_file_location("user_b", source)
    module = importlib.util.module_from_spec(spec)
    sys.modules["user_b"] = module
    spec.loader.exec_module(module)
    failing = bisect.Failing("hist", "Histogram", str(libs / "helperlib_b" / "layers.py"), 5, 6,
                             "RuntimeError: Lowering not found: aten.histc.default", 2, 1.0)
    failure = unplaced._on_user_class(module.Model(), failing, "convert", [project.resolve()])
    assert failure is not None
    assert (Path(failure.path).name, failure.line) == ("user_b.py", 9)  # class Model
    assert (Path(failure.library_path).name, failure.library_line) == ("layers.py", 5)
    assert "`hist` (Histogram, layers.py:5) is the smallest submodule" in failure.message
