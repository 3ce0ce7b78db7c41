"""Planning an export without running anything: class choice, constructor arguments from the
config or a literal call site, input shapes, and the sentences for what is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from litert_lsp.core.settings import load_settings
from litert_lsp.jobs.plan import PlanError, parse_shapes, plan_export
from litert_lsp.models.classes import find_call_sites, find_model_classes
from litert_lsp.models.exportable import top_level_models
from tests.export.models_src import TINY, USES_WIDE

NESTED = '''\
import torch.nn as nn

class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3)

class Net(nn.Module):
    def __init__(self, blocks=2, *, width=8):
        super().__init__()
        self.block = Block(width)
'''


def project(tmp_path: Path, pyproject: str = "") -> Path:
    (tmp_path / "tiny.py").write_text(TINY)
    (tmp_path / "pyproject.toml").write_text(pyproject)
    return tmp_path / "tiny.py"


def test_classes_parameters_and_top_level() -> None:
    found = {m.name: m for m in find_model_classes(NESTED)}
    assert found["Net"].required == [] and found["Block"].required == ["c"]
    assert [(p.name, p.default) for p in found["Net"].parameters] == [("blocks", 2), ("width", 8)]
    assert found["Block"].used_by == ["Net"]
    assert [m.name for m in top_level_models(list(found.values()))] == ["Net"]
    assert find_model_classes("def broken(:\n") == []


def test_constructor_arguments_from_a_call_site(tmp_path: Path) -> None:
    source = project(tmp_path)
    (tmp_path / "uses_wide.py").write_text(USES_WIDE)
    assert [(s.args, s.kwargs) for s in find_call_sites(tmp_path, "Wide")] == [([12], {})]
    settings, _ = load_settings(tmp_path)
    choice = plan_export(source, settings, tmp_path, model="Wide")
    assert choice.request.constructor_args == [12]
    assert any("uses_wide.py:3" in note for note in choice.notes)


def test_config_wins_and_gives_shapes(tmp_path: Path) -> None:
    source = project(tmp_path, '[tool.litert-lsp.models.Wide]\nkwargs = { width = 4 }\n'
                               'input-shape = [2, 6]\ncheckpoint = "w/last.pt"\n')
    (tmp_path / "uses_wide.py").write_text(USES_WIDE)
    settings, problems = load_settings(tmp_path)
    assert problems == []
    request = plan_export(source, settings, tmp_path, model="Wide").request
    assert request.constructor_kwargs == {"width": 4} and request.constructor_args == []
    assert request.input_shapes == [[2, 6]]
    assert request.checkpoint == str(tmp_path / "w" / "last.pt")
    assert request.output == str(tmp_path / "Wide.tflite")


def test_missing_arguments_say_what_to_add(tmp_path: Path) -> None:
    source = project(tmp_path)
    settings, _ = load_settings(tmp_path)
    with pytest.raises(PlanError, match=r"Wide\(\) needs width.*kwargs = \{ width = \.\.\. \}.*models\.Wide"):
        plan_export(source, settings, tmp_path, model="Wide")
    with pytest.raises(PlanError, match=r"several models .*TinyNet.*--model"):
        plan_export(source, settings, tmp_path)
    with pytest.raises(PlanError, match="no model class Nope"):
        plan_export(source, settings, tmp_path, model="Nope")
    with pytest.raises(PlanError, match="does not exist"):
        plan_export(source, settings, tmp_path, model="TinyNet", checkpoint=str(tmp_path / "none.pt"))


def test_parse_shapes() -> None:
    assert parse_shapes("1,3,224,224") == [[1, 3, 224, 224]]
    assert parse_shapes("1,16;1,16") == [[1, 16], [1, 16]]
    assert parse_shapes("-1,16") == [[-1, 16]]  # a dynamic size, as the editor's inputShape may give it
    for bad in ("1,x", "0,3", "", "-2,3"):
        with pytest.raises(PlanError):
            parse_shapes(bad)


def test_output_paths_are_checked_before_anything_converts(tmp_path: Path) -> None:
    source = project(tmp_path)
    settings, _ = load_settings(tmp_path)
    (tmp_path / "out").mkdir()
    with pytest.raises(PlanError, match="is a folder: give a file name"):
        plan_export(source, settings, tmp_path, model="TinyNet", output=str(tmp_path / "out"))
    (tmp_path / "keep.py").write_text("precious = 1\n")
    with pytest.raises(PlanError, match=r"exists and is not a \.tflite file"):
        plan_export(source, settings, tmp_path, model="TinyNet", output=str(tmp_path / "keep.py"))
    assert (tmp_path / "keep.py").read_text() == "precious = 1\n"
    (tmp_path / "afile").write_text("x")
    with pytest.raises(PlanError, match="is a file, not a folder"):
        plan_export(source, settings, tmp_path, model="TinyNet", output=str(tmp_path / "afile" / "m.tflite"))
    # A link out of the workspace is refused; an existing .tflite is fine to replace.
    outside = tmp_path.parent / f"{tmp_path.name}-outside.tflite"
    (tmp_path / "link.tflite").symlink_to(outside)
    with pytest.raises(PlanError, match=r"symbolic link .* outside the workspace"):
        plan_export(source, settings, tmp_path, model="TinyNet", output=str(tmp_path / "link.tflite"))
    (tmp_path / "old.tflite").write_bytes(b"previous")
    choice = plan_export(source, settings, tmp_path, model="TinyNet", output=str(tmp_path / "old.tflite"))
    assert choice.request.output == str((tmp_path / "old.tflite").resolve())
    default = plan_export(source, settings, tmp_path, model="TinyNet")
    assert default.request.output == str((tmp_path / "TinyNet.tflite").resolve())


def test_dynamic_batch_comes_from_the_export_table_and_the_flag_wins(tmp_path: Path) -> None:
    source = project(tmp_path, "[tool.litert-lsp.export]\ndynamic-batch = true\n")
    settings, problems = load_settings(tmp_path)
    assert problems == [] and settings.export.dynamic_batch
    assert plan_export(source, settings, tmp_path, model="TinyNet", write_output=False).request.dynamic_batch
    chosen = plan_export(source, settings, tmp_path, model="TinyNet", write_output=False, dynamic_batch=False)
    assert not chosen.request.dynamic_batch
    (tmp_path / "pyproject.toml").write_text('[tool.litert-lsp.export]\ndynamic-batch = "yes"\n')
    settings, problems = load_settings(tmp_path)
    assert not settings.export.dynamic_batch and any("export.dynamic-batch" in p for p in problems)
