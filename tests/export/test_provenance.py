"""Where an export's constructor arguments come from (issue 13 item 7): the planner says which
call, config or defaults it used, prefers calls outside tests, and says when calls disagree;
the editor's report carries the same sentence. Also the sentences of jobs/verdict.py for
narrowed dtypes, missing shapes and known toolchain failures. No converter runs here."""

from __future__ import annotations

from pathlib import Path

import pytest

from litert_lsp.core.settings import load_settings
from litert_lsp.jobs.job import ExportResult, TensorInfo
from litert_lsp.jobs.plan import plan_export
from litert_lsp.jobs.report import export_report
from litert_lsp.jobs.verdict import asks_for_shape, for_editor, hint_for, narrowing, shapes_needed, with_hint
from litert_lsp.models.classes import find_call_sites, is_test_file

VIT = '''\
import torch
from torch import nn


class MiniViT(nn.Module):
    def __init__(self, dim, heads, patch, depth, classes):
        super().__init__()
        self.proj = nn.Linear(patch * patch * 3, dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        return self.head(self.proj(x))
'''
DEFAULTS = '''\
from torch import nn


class Small(nn.Module):
    def __init__(self, width=4):
        super().__init__()
        self.fc = nn.Linear(width, 2)

    def forward(self, x):
        return self.fc(x)
'''

# The real messages these hints were written for, as the worker reports them (litert-torch 0.10,
# torch 2.13: a model whose top-level submodule is `self.meta`; test_hints_on_real_failures
# reproduces them with the real converter).
META_MESSAGE = ("litert-torch could not convert the model: RuntimeError: Node meta_weight target meta.weight "
                "references nonexistent attribute weight of meta")
GRAPH_MESSAGE = ("litert-torch could not convert the model: RuntimeError: Node graph_weight target graph.weight "
                 "references nonexistent attribute weight of graph")


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def plan(root: Path, source: str = "vit.py"):
    settings, problems = load_settings(root)
    assert not problems
    return plan_export(root / source, settings, root)


def test_a_call_outside_tests_wins_and_the_disagreeing_test_call_is_named(tmp_path: Path) -> None:
    write(tmp_path, {
        "vit.py": VIT,
        "tests/test_vit.py": "from vit import MiniViT\n\n\ndef test_it():\n    MiniViT(32, 8, 8, 1, 5)\n",
        "train.py": "from vit import MiniViT\nmodel = MiniViT(192, 3, 16, 12, classes=1000)\n",
        "pyproject.toml": "",
    })
    sites = find_call_sites(tmp_path, "MiniViT")
    assert [Path(s.path).name for s in sites] == ["train.py", "test_vit.py"]
    assert [s.in_tests for s in sites] == [False, True]
    choice = plan(tmp_path)
    assert choice.request.constructor_args == [192, 3, 16, 12]
    assert choice.request.constructor_kwargs == {"classes": 1000}
    assert choice.constructor.startswith("MiniViT(192, 3, 16, 12, classes=1000) from train.py:2")
    assert "1 other call differs: MiniViT(32, 8, 8, 1, 5) at tests/test_vit.py:5" in choice.constructor
    assert "[tool.litert-lsp.models.MiniViT]" in choice.constructor
    assert any(note == f"constructor: {choice.constructor}" for note in choice.notes)


def test_a_test_call_alone_is_used_and_said(tmp_path: Path) -> None:
    write(tmp_path, {
        "vit.py": VIT,
        "tests/test_vit.py": "from vit import MiniViT\nMiniViT(32, 8, 8, 1, 5)\nMiniViT(32, 8, 8, 1, 5)\n",
        "pyproject.toml": "",
    })
    choice = plan(tmp_path)
    assert choice.constructor == "MiniViT(32, 8, 8, 1, 5) from tests/test_vit.py:2"  # the calls agree


def test_config_and_defaults_are_said(tmp_path: Path) -> None:
    write(tmp_path, {
        "vit.py": VIT,
        "small.py": DEFAULTS,
        "train.py": "from vit import MiniViT\nMiniViT(1, 2, 3, 4, 5)\n",
        "pyproject.toml": "[tool.litert-lsp.models.MiniViT]\nargs = [64, 4, 8, 2]\nkwargs = { classes = 10 }\n",
    })
    assert plan(tmp_path).constructor == ("MiniViT(64, 4, 8, 2, classes=10) from "
                                          "[tool.litert-lsp.models.MiniViT] in pyproject.toml")
    assert plan(tmp_path, "small.py").constructor == "Small() with the defaults of __init__"


def test_test_files_are_told_by_their_path_in_the_workspace() -> None:
    assert is_test_file(Path("tests/models/helpers.py")) and is_test_file(Path("test_vit.py"))
    assert is_test_file(Path("pkg/vit_test.py")) and is_test_file(Path("conftest.py"))
    assert not is_test_file(Path("src/contest.py")) and not is_test_file(Path("attestation/model.py"))


def test_the_editor_report_carries_provenance_and_figures() -> None:
    result = ExportResult(ok=True, message="verified", output="/w/MiniViT.tflite", size_bytes=20480,
                          op_histogram={"FULLY_CONNECTED": 2}, inputs=[TensorInfo("args_0", [1, 16], "int32")],
                          outputs=[TensorInfo("output_0", [1, 5], "float32")], latency_ms_mean=0.05,
                          latency_ms_p90=0.07, max_abs_error=1e-6, max_rel_error=2e-6,
                          details={"model": "MiniViT", "checkpoint": "/w/ckpt.pt", "weights": "key 'model_ema' (EMA)",
                                   "inputs_from": "inferred token ids [1, 16]; input 0: int64 → int32: ...",
                                   "latency_runs": 50})
    text = export_report("MiniViT", result, True, "MiniViT(32, 8, 8, 1, 5) from tests/test_vit.py:14",
                         ["constructor: MiniViT(32, 8, 8, 1, 5) from tests/test_vit.py:14", "input shape from x"])
    lines = text.splitlines()
    assert lines[0].startswith("exported MiniViT to /w/MiniViT.tflite: 20.0 KiB, max abs error 1e-06")
    for label, value in (("constructor", "from tests/test_vit.py:14"), ("weights", "model_ema"),
                         ("size", "20,480 bytes"), ("latency", "mean 0.05 ms, p90 0.07 ms (50 runs"),
                         ("input", "args_0 [1, 16] int32"), ("ops", "FULLY_CONNECTED x2"),
                         ("inputs from", "int64 → int32"), ("note", "input shape from x")):
        assert any(line.split()[0] == label.split()[0] and value in line for line in lines), (label, text)
    assert text.count("tests/test_vit.py:14") == 1  # the constructor note is not repeated


def test_narrowed_dtypes_are_said_per_input() -> None:
    assert narrowing(["torch.float32", "torch.int64", "float64"]) == [
        ("input 1: int64 → int32: LiteRT has no int64 inputs here (litert-torch narrows 64-bit inputs), "
        "so the app must feed int32"),
        ("input 2: float64 → float32: LiteRT has no float64 inputs here (litert-torch narrows 64-bit inputs), "
        "so the app must feed float32"),
    ]
    assert narrowing(["torch.int32", "bool"]) == []


def test_missing_shapes_are_asked_for_in_cli_and_editor_words() -> None:
    message = shapes_needed("Net", ["x", "mask"], [1, 16])
    assert message == 'Net.forward takes 2 tensors (x, mask); give their shapes (your sizes): --input-shape "1,16;1,16"'
    editor = for_editor(message)
    assert "--input-shape" not in editor and '"1,16;1,16"' in editor and "inputShape argument" in editor
    assert "--input-shape" not in for_editor("cannot tell what Net takes as input: ..., pass --input-shape, or ...")
    assert asks_for_shape(ExportResult(ok=False, stage="load code", message=message))
    assert not asks_for_shape(ExportResult(ok=False, stage="convert", message=message))


@pytest.mark.parametrize(("message", "attribute"), [(META_MESSAGE, "meta"), (GRAPH_MESSAGE, "graph")])
def test_a_submodule_named_like_a_graph_module_attribute_gets_the_rename(message: str, attribute: str) -> None:
    advice = hint_for(message)
    assert advice is not None and f"`{attribute}`" in advice and f"self.{attribute}_block" in advice
    result = with_hint(ExportResult(ok=False, stage="convert", message=message))
    assert result.message.startswith(message) and result.message.count("Fix:") == 1
    assert with_hint(result).message.count("Fix:") == 1  # once, however many layers apply it
    assert hint_for("RuntimeError: Lowering not found: aten._unique2.default") is None
