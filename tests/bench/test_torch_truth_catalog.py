"""Fast checks of the PyTorch truth harness: the catalog, the line sets, the error reading and
the truth file's merge and schema. No converter runs here."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from bench.real_models import line_sets, truth_torch
from bench.real_models._torch_errors import construct_of, first_informative_line
from bench.real_models.catalog_torch import catalog, entry

MODEL_KEYS = {"id", "library", "status", "error", "construct", "max_rel_error", "executed", "seconds"}
# Where a failure without an op name is: the culprit of a wrong-numbers model, the raising line
# of an error.
OPTIONAL_KEYS = {"culprit", "failing_at"}
CULPRIT_KEYS = {"name", "class", "file", "lines", "rel_error", "executed"}


def test_catalog_is_large_unique_and_named_by_library() -> None:
    entries = catalog()
    ids = [e.id for e in entries]
    assert len(ids) >= 60
    assert len(set(ids)) == len(ids)
    for e in entries:
        assert e.id.split("/")[0] == e.library
        assert e.library in {"transformers", "timm", "torchvision"}
    per_library = {lib: sum(e.library == lib for e in entries) for lib in ("transformers", "timm", "torchvision")}
    assert per_library["transformers"] >= 35 and per_library["timm"] >= 15 and per_library["torchvision"] >= 6
    with pytest.raises(KeyError):
        entry("transformers/not-a-model")


def test_listing_the_catalog_imports_no_framework() -> None:
    # Builders import their library lazily: the parent process stays light.
    assert "torch" not in sys.modules or "bench.real_models.catalog_torch" in sys.modules
    import subprocess

    code = ("import sys; from bench.real_models.catalog_torch import catalog; catalog(); "
            "print(sorted(m for m in ('torch', 'transformers', 'timm') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(truth_torch.REPO))
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("lines, text", [
    ([], ""), ([7], "7"), ([1, 2, 3, 5, 7, 8], "1-3,5,7-8"), ([9, 3, 4, 3], "3-4,9"),
])
def test_line_ranges_round_trip(lines: list[int], text: str) -> None:
    assert line_sets.encode(lines) == text
    assert line_sets.decode(text) == set(lines)
    assert line_sets.decode(text.replace(",", " , ")) == set(lines)


def test_construct_names_the_op_the_converter_names() -> None:
    assert construct_of("RuntimeError: Lowering not found: aten.histc.default") == "aten.histc"
    assert construct_of("loc(x): error: failed to legalize operation 'mhlo.round_nearest_afz'") \
        == "mhlo.round_nearest_afz"
    assert construct_of("error: 'tfl.mul' op operands don't have broadcast-compatible shapes") == "tfl.mul"
    assert construct_of("Didn't find op for builtin opcode 'STABLEHLO_SORT' version '1'") == "STABLEHLO_SORT"
    assert construct_of("kwargs = {dtype: torch.complex64}") == "torch.complex64"
    assert construct_of("the shapes disagree") is None


def test_first_line_skips_the_generic_wrapper_lines() -> None:
    message = ("While executing %x : call_function[target=torch.ops.aten.pad.default]\n"
               "Original traceback:\n  File \"m.py\", line 3, in forward\n"
               "loc(\"m.py\":3:0): error: 'tfl.pad' op operand #0 must be tensor of rank <= 5")
    line = first_informative_line("RuntimeError", message)
    assert line.startswith("RuntimeError: ") and "'tfl.pad' op" in line
    graph = ("scatter_ = torch.ops.aten.scatter_.src(empty, -1, argsort, expand_5)\n"
             "RuntimeError: scatter(): Expected self.dtype to be equal to src.dtype")
    assert first_informative_line("RuntimeError", graph) == \
        "RuntimeError: scatter(): Expected self.dtype to be equal to src.dtype"
    assert construct_of(graph) == "aten.scatter_"
    assert construct_of("Mismatching argument had torch.Size([1, 2])") is None
    assert first_informative_line("ValueError", "") == "ValueError"
    assert len(first_informative_line("E", "x" * 1000)) <= 300


def test_a_dead_child_fails_in_the_stage_it_was_in() -> None:
    hung = truth_torch.died("lowering", None, 240, "")
    assert hung["status"] == "lowering" and "timed out after 240 s during lowering" in hung["error"]
    crashed = truth_torch.died("runtime", -11, 240, "Fatal Python error: Segmentation fault")
    assert crashed["status"] == "runtime" and "SIGSEGV" in crashed["error"]
    assert truth_torch.died("eager", 1, 240, "")["status"] == "build_error"


def test_merge_replaces_only_the_remeasured_ids_in_catalog_order() -> None:
    old = [{"id": "b", "status": "ok"}, {"id": "a", "status": "export"}, {"id": "gone", "status": "ok"}]
    merged = truth_torch.merge(old, [{"id": "a", "status": "ok"}], order=["a", "b"])
    assert [m["id"] for m in merged] == ["a", "b", "gone"]
    assert merged[0]["status"] == "ok" and merged[1]["status"] == "ok"


def test_saved_document_follows_the_schema(tmp_path: Path) -> None:
    record = {"id": "timm/resnet18", "library": "timm", "status": "ok", "error": None, "construct": None,
              "max_rel_error": 1e-7, "executed": {"timm/models/resnet.py": "1-3"}, "seconds": 4.2}
    target = tmp_path / "truth.json"
    truth_torch.save([record], target)
    data = json.loads(target.read_text())
    assert data["schema"] == 1 and data["framework"] == "torch"
    assert {"torch", "litert-torch", "transformers"} <= set(data["versions"])
    assert data["duration_seconds"] == 4.2 and data["models"] == [record]
    assert not list(tmp_path.glob(".*partial"))


def test_committed_truth_is_well_formed() -> None:
    if not truth_torch.TRUTH.exists():
        pytest.skip("no committed truth yet")
    data = json.loads(truth_torch.TRUTH.read_text())
    ids = {e.id for e in catalog()}
    for model in data["models"]:
        assert MODEL_KEYS <= set(model) <= MODEL_KEYS | OPTIONAL_KEYS, model["id"]
        if model.get("culprit"):
            assert model["status"] == "wrong_numbers" and set(model["culprit"]) == CULPRIT_KEYS, model["id"]
        if "failing_at" in model:
            assert model["construct"] is None and model["status"] not in {"ok", "build_error"}, model["id"]
        assert model["status"] in truth_torch.STATUSES
        assert model["id"] in ids
        for path, ranges in model["executed"].items():
            assert not path.startswith("/") and path.split("/")[0] in {"transformers", "timm", "torchvision"}
            assert line_sets.decode(ranges)
        if model["status"] == "ok":
            assert model["error"] is None and model["max_rel_error"] is not None
        else:
            assert model["error"]


def test_numbers_are_compared_relative_to_the_output_scale() -> None:
    np = pytest.importorskip("numpy")
    from bench.real_models._torch_child import compare_to_scale

    tiny = np.array([1e-11, -3e-11, 2e-11])
    # A correct conversion of an output near 1e-11 matches; a 1% error there does not, although
    # both are far below any absolute tolerance.
    assert compare_to_scale([tiny * (1 + 1e-7)], [tiny], 1e-4, 1e-3)["ok"]
    off = compare_to_scale([tiny * 1.01], [tiny], 1e-4, 1e-3)
    assert not off["ok"] and off["max_rel_error"] == pytest.approx(3e-13 / 3e-11)
    huge = np.array([1e15, 2e15])
    assert compare_to_scale([huge + 1e8], [huge], 1e-4, 1e-3)["ok"]
    shape = compare_to_scale([np.ones(2)], [np.ones(3)], 1e-4, 1e-3)
    assert not shape["ok"] and shape["max_rel_error"] is None and "shape" in shape["detail"]


def test_error_lines_name_library_files_relative_to_site_packages() -> None:
    from bench.real_models._torch_errors import relative_paths

    line = ("ValueError: Failed to run converter passes: /x/.venv/lib/python3.11/site-packages/timm/layers/"
            "halo_attn.py:228:0: error: 'tfl.pad' op failed to verify that operand 0 is at most 5-D")
    assert relative_paths(line) == ("ValueError: Failed to run converter passes: timm/layers/halo_attn.py:228:0: "
                                    "error: 'tfl.pad' op failed to verify that operand 0 is at most 5-D")
    assert construct_of(line) == "tfl.pad"


FAKE_LIBRARY = """\
def outer(x):
    return inner(x)


def inner(x):
    return x[0] + (
        x[1])
"""


def test_the_failing_location_is_the_deepest_library_frame(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.real_models._torch_child import failing_location

    package = tmp_path / "fakelib_g"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "layers.py").write_text(FAKE_LIBRARY, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    from fakelib_g import layers  # made by this test

    try:
        layers.outer(None)
    except TypeError as error:
        raised = error
    # The traceback's innermost library frame, not the caller's; a traceback quoted in the
    # message (as torch.fx re-raises give it) counts as well, outside files do not.
    quoted = f'File "{package / "layers.py"}", line 2, in outer\nFile "/elsewhere/x.py", line 9'
    found = failing_location(raised, quoted, [package.resolve()])
    assert set(found) == {"fakelib_g/layers.py"}
    lines = line_sets.decode(found["fakelib_g/layers.py"])
    assert 2 in lines and lines & {6, 7} and not lines - {2, 6, 7}
    assert failing_location(ValueError("no frames"), "", [package.resolve()]) == {}
    for name in ("fakelib_g.layers", "fakelib_g"):
        sys.modules.pop(name, None)

