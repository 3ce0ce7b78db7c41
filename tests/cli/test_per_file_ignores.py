"""`per-file-ignores`: globs relative to the configuration's folder, strict values, `extend`."""

from __future__ import annotations

from pathlib import Path

from litert_lsp.core.file_ignores import anchor, ignored_codes
from litert_lsp.core.findings import Finding, Severity
from litert_lsp.core.settings import Settings, load_settings
from tests.cli.conftest import MODEL_WITH_ITEM

PYPROJECT = """[tool.litert-lsp.per-file-ignores]
"tests/**/*.py" = ["LRT202"]
"conftest.py" = ["LRT2"]
"generated/" = ["LRT"]
"""


def _table(patterns: dict[str, list[str]], base: Path | None) -> dict[str, tuple[str, ...]]:
    return {anchor(glob, base): tuple(codes) for glob, codes in patterns.items()}


def test_glob_syntax(tmp_path: Path):
    table = _table({"tests/**/*.py": ["A"], "src/*.py": ["B"], "__init__.py": ["C"],
                    "gen/": ["D"], "v[0-9].py": ["E"]}, tmp_path)
    assert ignored_codes(table, tmp_path / "tests" / "t.py") == ("A",)  # `**/` matches no folder too
    assert ignored_codes(table, tmp_path / "tests" / "a" / "b" / "t.py") == ("A",)
    assert ignored_codes(table, tmp_path / "src" / "m.py") == ("B",)
    assert ignored_codes(table, tmp_path / "src" / "deep" / "m.py") == ()  # `*` stays in one folder
    assert ignored_codes(table, tmp_path / "lib" / "tests" / "t.py") == ()  # anchored at the root
    assert ignored_codes(table, tmp_path / "any" / "where" / "__init__.py") == ("C",)  # a file name
    assert ignored_codes(table, tmp_path / "gen" / "x" / "y.py") == ("D",)  # a folder: all below it
    assert ignored_codes(table, tmp_path / "v7.py") == ("E",)
    assert ignored_codes(table, tmp_path / "vx.py") == ()


def test_a_glob_character_in_the_project_folder_is_literal(tmp_path: Path):
    root = tmp_path / "proj[1]*"
    table = _table({"src/*.py": ["B"]}, root)
    assert ignored_codes(table, root / "src" / "m.py") == ("B",)
    assert ignored_codes(table, tmp_path / "proj1x" / "src" / "m.py") == ()


def test_apply_drops_only_the_matching_files_codes(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    settings, problems = load_settings(tmp_path)
    assert problems == []
    found = [Finding(1, 0, 1, 1, Severity.ERROR, code, "m") for code in ("LRT202", "LRT104")]

    def codes(path: Path | None) -> list[str]:
        return [f.code for f in settings.apply(found, path)]

    assert codes(tmp_path / "tests" / "unit" / "t.py") == ["LRT104"]
    assert codes(tmp_path / "pkg" / "conftest.py") == ["LRT104"]
    assert codes(tmp_path / "generated" / "m.py") == []
    assert codes(tmp_path / "src" / "m.py") == ["LRT202", "LRT104"]
    assert codes(None) == ["LRT202", "LRT104"]  # no path: nothing to match


def test_values_are_checked_strictly(tmp_path: Path):
    settings, problems = Settings().merged({"per-file-ignores": {
        "tests/*": "LRT202",  # a string, not a list
        "a.py": ["LRT9999", "LRT202"],  # one unknown code
        "b.py": [3],
    }}, base=tmp_path)
    assert settings.per_file_ignores == {"a.py": ("LRT202",)}
    assert any('per-file-ignores."tests/*"' in p and "list of strings" in p for p in problems), problems
    assert any("LRT9999" in p for p in problems), problems
    assert any('per-file-ignores."b.py"' in p for p in problems), problems
    _, problems = Settings().merged({"per-file-ignores": ["tests/*"]})
    assert problems and "must be a table" in problems[0]
    _, problems = Settings().merged({"per-file-ignore": {}})
    assert any("did you mean `per-file-ignores`" in p for p in problems), problems


def test_editor_patterns_add_to_the_pyprojects(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    settings, problems = load_settings(tmp_path, {"perFileIgnores": {"scripts/*.py": ["LRT1"]}})
    assert problems == []
    assert ignored_codes(settings.per_file_ignores, tmp_path / "scripts" / "s.py") == ("LRT1",)
    assert ignored_codes(settings.per_file_ignores, tmp_path / "tests" / "t.py") == ("LRT202",)
    same, _ = load_settings(tmp_path, {"perFileIgnores": {}})  # VS Code's default changes nothing
    assert ignored_codes(same.per_file_ignores, tmp_path / "tests" / "t.py") == ("LRT202",)


def test_check_applies_them_relative_to_the_config_folder(cli, project):
    root = project({
        "pyproject.toml": PYPROJECT,
        "tests/unit/net.py": MODEL_WITH_ITEM,
        "src/net.py": MODEL_WITH_ITEM,
        "src/tests/net.py": MODEL_WITH_ITEM,  # `tests/**` is anchored at the root: still checked
    })
    run = cli("check", "--format", "json", ".", cwd=root)
    assert run.code == 1
    assert "src/net.py" in run.stdout and "src/tests/net.py" in run.stdout
    assert "unit/net.py" not in run.stdout
    # From a subfolder, the globs still mean the same files.
    assert cli("check", "net.py", cwd=root / "tests" / "unit").code == 0
    assert cli("check", "net.py", cwd=root / "src").code == 1
    # Standard input with --stdin-filename is matched by that name.
    for name, expected in (("tests/unit/other.py", 0), ("src/other.py", 1)):
        run = _stdin(root, name)
        assert run.returncode == expected, (name, run.stdout)


def test_extended_values_keep_the_folder_of_their_file(cli, project):
    root = project({
        "shared/base.toml": (
            "[tool.litert-lsp]\npython = 'env/bin/python'\n"
            "[tool.litert-lsp.per-file-ignores]\n'../pkg/gen/*.py' = ['LRT202']\n"
        ),
        "pkg/pyproject.toml": "[tool.litert-lsp]\nextend = '../shared/base.toml'\n",
        "pkg/gen/net.py": MODEL_WITH_ITEM,
        "pkg/src/net.py": MODEL_WITH_ITEM,
    })
    settings, problems = load_settings(root / "pkg")
    assert problems == []
    # Relative to shared/, where base.toml is, not to pkg/ that extends it.
    assert settings.python == str((root / "shared" / "env" / "bin" / "python").resolve())
    assert cli("check", "pkg/gen", cwd=root).code == 0
    assert cli("check", "pkg/src", cwd=root).code == 1
    # The extending file's own relative values stay relative to its own folder.
    (root / "pkg" / "pyproject.toml").write_text(
        "[tool.litert-lsp]\nextend = '../shared/base.toml'\npython = 'tools/py'\n"
        "[tool.litert-lsp.per-file-ignores]\n'src/*.py' = ['LRT202']\n"
    )
    settings, _ = load_settings(root / "pkg")
    assert settings.python == str((root / "pkg" / "tools" / "py").resolve())
    assert cli("check", "pkg/src", cwd=root).code == 0
    assert cli("check", "pkg/gen", cwd=root).code == 1  # the extending table replaced the base's


def _stdin(root: Path, name: str):
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "litert_lsp", "check", "-", "--stdin-filename", name],
        input=MODEL_WITH_ITEM, cwd=root, capture_output=True, text=True, timeout=120, check=False,
    )
