"""`check`'s result cache: an unchanged file is answered from it, anything that could change
its findings (its text, a library file its findings were read from, litert-lsp itself, the
interpreter) sends it back to the analyzer, and the cache never costs a check."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from litert_lsp.cli import checking, main
from litert_lsp.cli.cache import DEFAULT_FOLDER, ResultCache
from tests.cli.conftest import ITEM_LINE, MODEL_WITH_ITEM

CLEAN = "import torch\n\nx = torch.zeros(3)\n"

# A library with a block whose forward calls an op with no lowering: a model using it gets
# the finding at its use site (cross-file reach), so its result depends on this file.
LIBRARY_BLOCK = """\
import torch
from torch import nn


class Block(nn.Module):
    def forward(self, x):
        return torch.histc(x, bins=4)
"""
LIBRARY_FIXED = LIBRARY_BLOCK.replace("torch.histc(x, bins=4)", "x * 2")
USES_LIBRARY = """\
import torch
from torch import nn
from extlib.blocks import Block


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()

    def forward(self, x):
        return self.block(x)
"""


@pytest.fixture
def run_check(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    """`litert-lsp check` in this process, one job (so the analyzer can be watched)."""

    def run(root: Path, *args: str) -> tuple[int, list[tuple[str, int, str]]]:
        monkeypatch.chdir(root)
        try:
            code = main(["check", "--format", "json", "-j1", *args, "."])
        finally:
            gc.unfreeze()  # check_all freezes what is loaded, for a CLI run; not for the test process
        records = json.loads(capsys.readouterr().out)
        return code, sorted((Path(r["path"]).name, r["line"], r["code"]) for r in records)

    return run


@pytest.fixture
def analyzer_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths the analyzer is run on from now on."""
    calls: list[str] = []
    real = checking.analyze

    def counting(text: str, path: str = "<string>"):
        calls.append(Path(path).name)
        return real(text, path)

    monkeypatch.setattr(checking, "analyze", counting)
    return calls


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_a_second_run_answers_unchanged_files_from_the_cache(tmp_path, run_check, analyzer_calls) -> None:
    root = _project(tmp_path, {"net.py": MODEL_WITH_ITEM, "clean.py": CLEAN})
    first = run_check(root)
    assert first[0] == 1 and ("net.py", ITEM_LINE, "LRT202") in first[1]
    assert sorted(analyzer_calls) == ["clean.py", "net.py"]
    analyzer_calls.clear()
    assert run_check(root) == first
    assert analyzer_calls == []
    assert (root / DEFAULT_FOLDER / ".gitignore").read_text().strip().endswith("*")
    assert (root / DEFAULT_FOLDER / "CACHEDIR.TAG").is_file()


def test_an_edited_file_is_analyzed_again(tmp_path, run_check, analyzer_calls) -> None:
    root = _project(tmp_path, {"net.py": MODEL_WITH_ITEM, "clean.py": CLEAN})
    run_check(root)
    analyzer_calls.clear()
    (root / "net.py").write_text(MODEL_WITH_ITEM.replace("x.mean().item()", "x.mean()"), encoding="utf-8")
    code, found = run_check(root)
    assert analyzer_calls == ["net.py"]
    assert code == 0 and not any(c == "LRT202" for _, _, c in found)


def test_a_touched_file_with_the_same_text_reuses_the_result(tmp_path, run_check, analyzer_calls) -> None:
    # A fresh clone or a restored CI cache: every time stamp is new, no text is.
    root = _project(tmp_path, {"net.py": MODEL_WITH_ITEM})
    first = run_check(root)
    analyzer_calls.clear()
    stat = (root / "net.py").stat()
    os.utime(root / "net.py", ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    assert run_check(root) == first
    assert analyzer_calls == []


def test_settings_apply_to_cached_results_without_analysis(tmp_path, run_check, analyzer_calls) -> None:
    root = _project(tmp_path, {"net.py": MODEL_WITH_ITEM})
    run_check(root)
    analyzer_calls.clear()
    code, found = run_check(root, "--ignore", "LRT202")
    assert analyzer_calls == [] and not any(c == "LRT202" for _, _, c in found) and code == 0


def test_a_changed_library_file_invalidates_the_results_read_from_it(tmp_path, monkeypatch, run_check,
                                                                      analyzer_calls) -> None:
    from litert_lsp.analysis import project_index

    library = tmp_path / "libs" / "extlib"
    library.mkdir(parents=True)
    (library / "__init__.py").write_text("")
    (library / "blocks.py").write_text(LIBRARY_BLOCK)
    monkeypatch.syspath_prepend(str(tmp_path / "libs"))
    root = tmp_path / "proj"
    root.mkdir()
    _project(root, {"net.py": USES_LIBRARY, "clean.py": CLEAN})
    project_index.clear_cache()
    code, found = run_check(root)
    assert (code, found) == (1, [("net.py", 9, "LRT102")])  # at `self.block = Block()`: histc has no lowering
    analyzer_calls.clear()
    (library / "blocks.py").write_text(LIBRARY_FIXED)
    project_index.clear_cache()
    code, found = run_check(root)
    assert analyzer_calls == ["net.py"]  # clean.py read nothing else: still answered from the cache
    assert not any(name == "net.py" for name, _, _ in found) and code == 0
    project_index.clear_cache()


def test_no_cache_reads_and_writes_nothing(tmp_path, run_check, analyzer_calls) -> None:
    root = _project(tmp_path, {"net.py": MODEL_WITH_ITEM})
    run_check(root, "--no-cache")
    run_check(root, "--no-cache")
    assert analyzer_calls == ["net.py", "net.py"]
    assert not (root / DEFAULT_FOLDER).exists()


def test_a_corrupt_cache_is_ignored_and_replaced(tmp_path, run_check, analyzer_calls) -> None:
    root = _project(tmp_path, {"net.py": MODEL_WITH_ITEM})
    first = run_check(root)
    for stored in (root / DEFAULT_FOLDER).rglob("*.json"):
        stored.write_text('{"files": {"%s": [[1, 2], "x", [], [["not a finding"]]]}' % (root / "net.py"))
    analyzer_calls.clear()
    assert run_check(root) == first  # half a JSON document: started over
    assert analyzer_calls == ["net.py"]
    for stored in (root / DEFAULT_FOLDER).rglob("*.json"):
        json.loads(stored.read_text())  # written whole again


def test_a_record_of_another_shape_is_analyzed_again(tmp_path) -> None:
    net = _project(tmp_path, {"net.py": MODEL_WITH_ITEM}) / "net.py"
    cache = ResultCache(tmp_path / "cache", key="k")
    stat = net.stat()
    cache.store(str(net), (stat.st_mtime_ns, stat.st_size), "digest", (), [["not", "a", "finding"]])
    assert cache.fresh(str(net)) is None


def test_an_unwritable_cache_costs_a_warning_not_the_check(tmp_path) -> None:
    root = _project(tmp_path, {"net.py": MODEL_WITH_ITEM})
    blocker = root / "not-a-folder"
    blocker.write_text("a file where the cache folder would go")
    done = subprocess.run([sys.executable, "-m", "litert_lsp", "check", "--cache-dir", str(blocker / "cache"), "."],
                          cwd=root, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1 and f"net.py:{ITEM_LINE}:" in done.stdout
    assert "cannot write the cache" in done.stderr and "--no-cache" in done.stderr


def test_cache_dir_and_environment_variable_choose_the_folder(tmp_path) -> None:
    root = _project(tmp_path, {"net.py": MODEL_WITH_ITEM})
    chosen = tmp_path / "elsewhere"
    environment = {**os.environ, "LITERT_LSP_CACHE_DIR": str(chosen)}
    subprocess.run([sys.executable, "-m", "litert_lsp", "check", "-q", "."], cwd=root, env=environment,
                   capture_output=True, timeout=120, check=False)
    assert list((chosen / "v1").glob("*.json")) and not (root / DEFAULT_FOLDER).exists()
    flag = tmp_path / "flag"
    subprocess.run([sys.executable, "-m", "litert_lsp", "check", "-q", "--cache-dir", str(flag), "."], cwd=root,
                   env=environment, capture_output=True, timeout=120, check=False)
    assert list((flag / "v1").glob("*.json"))


def test_two_runs_saving_one_after_the_other_keep_each_others_results(tmp_path) -> None:
    first, second = tmp_path / "a.py", tmp_path / "b.py"
    first.write_text(MODEL_WITH_ITEM)
    second.write_text(CLEAN)
    folder = tmp_path / "cache"
    one, two = ResultCache(folder, key="k"), ResultCache(folder, key="k")  # both loaded before either saves
    for cache, path in ((one, first), (two, second)):
        stat = path.stat()
        cache.store(str(path), (stat.st_mtime_ns, stat.st_size), "digest", (), [])
        assert cache.save() is None
    again = ResultCache(folder, key="k")
    assert again.fresh(str(first)) == [] and again.fresh(str(second)) == []
