"""Settings: pyproject < editor, key spellings, severity re-mapping, excludes."""

from pathlib import Path

from litert_lsp.core.findings import Finding, Severity
from litert_lsp.core.settings import Settings, load_settings


def finding(code: str, status: str | None = None, severity=Severity.ERROR) -> Finding:
    return Finding(1, 0, 1, 1, severity, code, "m", status=status)


def test_editor_overrides_pyproject(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.litert-lsp]\nignore = ["LRT2"]\ngpu-compatibility = false\n'
        '[tool.litert-lsp.severity]\nruntime_fails = "warning"\n'
    )
    settings, problems = load_settings(tmp_path, {"gpuCompatibility": True, "ignore": []})
    assert problems == []
    assert settings.ignore == () and settings.gpu_compatibility is True
    assert settings.severity["runtime_fails"] == Severity.WARNING


def test_apply_filters_and_remaps():
    settings, _ = Settings().merged(
        {"select": ["LRT1", "LRT3"], "severity": {"runtime_fails": "warning", "LRT105": "off"}}
    )
    kept = settings.apply(
        [
            finding("LRT104", "runtime_fails"),
            finding("LRT105", "wrong_numbers", Severity.WARNING),
            finding("LRT202"),
            finding("LRT303", severity=Severity.INFORMATION),
        ]
    )
    # LRT202 is not selected, LRT105 is off, LRT303 needs gpu_compatibility.
    assert [(f.code, f.severity) for f in kept] == [("LRT104", Severity.WARNING)]


def test_code_override_beats_status_override():
    settings, _ = Settings().merged({"severity": {"runtime_fails": "hint", "LRT104": "information"}})
    [kept] = settings.apply([finding("LRT104", "runtime_fails")])
    assert kept.severity == Severity.INFORMATION


def test_bad_values_are_reported_not_raised(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.litert-lsp]\nselect = 3\nseverity = { LRT101 = "loud" }\n[tool.litert-lsp.export]\nquantize = "int4"\n'
    )
    settings, problems = load_settings(tmp_path)
    assert settings.select == ()
    assert len(problems) == 3 and any("loud" in p for p in problems)


def test_malformed_toml_gives_defaults_and_a_sentence(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text("[tool.litert-lsp\n")
    settings, problems = load_settings(tmp_path)
    assert settings == Settings()
    assert len(problems) == 1 and "using defaults" in problems[0]


def test_excludes(tmp_path: Path):
    settings = Settings(exclude=("build", "legacy/*.py"))
    root = tmp_path
    assert settings.is_excluded(root / "build" / "x.py", root)
    assert settings.is_excluded(root / "legacy" / "old.py", root)
    assert settings.is_excluded(root / "a" / ".venv" / "x.py", root)
    assert not settings.is_excluded(root / "src" / "legacy.py", root)


# ---- strict booleans and workspace-named risky settings -----------------------------------


def test_a_string_false_never_enables_anything(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.litert-lsp]\ngpu-compatibility = "false"\n'
        '[tool.litert-lsp.export]\nallow-pickle = "false"\nallow-select-tf-ops = "no"\n'
    )
    settings, problems = load_settings(tmp_path)
    assert settings.export.allow_pickle is False and settings.export.allow_select_tf_ops is False
    assert settings.gpu_compatibility is False
    assert len(problems) == 3
    assert any("allow-pickle` must be a boolean: write false without quotes" in p for p in problems), problems


def test_a_string_true_does_not_enable_either(tmp_path: Path):
    settings, problems = Settings().merged({"export": {"allowPickle": "true"}, "gpuCompatibility": 1})
    assert settings.export.allow_pickle is False and settings.gpu_compatibility is False
    assert len(problems) == 2


def test_numbers_must_be_positive_numbers():
    settings, problems = Settings().merged({"export": {"timeoutSeconds": -5, "atol": "0.1", "rtol": True}})
    assert settings.export == Settings().export
    assert len(problems) == 3 and any("positive" in p for p in problems)


def test_relative_interpreter_resolves_against_the_project_root(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text('[tool.litert-lsp]\npython = "tools/py"\n')
    sub = tmp_path / "src" / "pkg"
    sub.mkdir(parents=True)
    settings, _ = load_settings(sub)
    assert settings.python == str((tmp_path / "tools" / "py").resolve())
    bare, _ = Settings().merged({"python": "python3"}, base=tmp_path)
    assert bare.python == "python3"  # a command name stays a PATH lookup


def test_risky_values_from_pyproject_are_marked_and_can_be_withheld(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.litert-lsp]\npython = "/opt/py"\n[tool.litert-lsp.export]\nallow-pickle = true\natol = 0.5\n'
    )
    settings, _ = load_settings(tmp_path)
    assert settings.workspace_named == {"python", "export.allow_pickle"}
    assert "python = /opt/py" in settings.describe_workspace_named()
    safe = settings.without_workspace_risks()
    assert safe.python is None and safe.export.allow_pickle is False
    assert safe.export.atol == 0.5  # harmless settings still apply
    # The editor's own value is the user's choice, not the workspace's.
    edited, _ = load_settings(tmp_path, {"python": "/usr/bin/python3"})
    assert edited.workspace_named == {"export.allow_pickle"}
    assert edited.without_workspace_risks().python == "/usr/bin/python3"
    # An invalid editor value does not launder the workspace's.
    still, _ = load_settings(tmp_path, {"export": {"allowPickle": "false"}})
    assert "export.allow_pickle" in still.workspace_named


def test_unknown_keys_and_codes_are_reported_with_the_closest_name(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.litert-lsp]\nserverity = { LRT101 = "warning" }\nselect = ["LRT2", "LRT2O2"]\n'
        '[tool.litert-lsp.export]\ntimeout = 5\n'
        '[tool.litert-lsp.severity]\nlowering_missing = "off"\n'
    )
    settings, problems = load_settings(tmp_path)
    text = "\n".join(problems)
    assert "unknown setting `serverity`; did you mean `severity`?" in text
    assert "unknown setting `export.timeout`; did you mean `export.timeout-seconds`?" in text
    assert "'LRT2O2'" in text and "did you mean LRT202?" in text
    assert "`severity.lowering_missing`: not a diagnostic code or a status" in text
    assert settings.select == ("LRT2",)  # the valid part still applies
    assert "lowering_missing" not in settings.severity


def test_model_tables_are_checked_value_by_value():
    settings, problems = Settings().merged({"models": {
        "Net": {"input-shape": "abc", "kwargs": 5, "args": [3], "input_shapes": [[1, 16], [1, 0]], "shape": [1]},
        "Bad": 7,
    }})
    text = "\n".join(problems)
    assert "`models.Net.input-shape` must be a list" in text
    assert "`models.Net.kwargs` must be a table" in text
    assert "`models.Net.input-shapes[1]` must list positive sizes" in text
    assert "unknown setting `models.Net.shape`" in text
    assert "`models.Bad` must be a table" in text
    assert settings.models == {"Net": {"args": [3]}}


def test_config_comes_from_the_nearest_pyproject_with_a_table(cli, project):
    from tests.cli.conftest import MODEL_WITH_ITEM

    root = project({
        "pyproject.toml": "[tool.litert-lsp]\nignore = ['LRT202']\n",
        "packages/a/pyproject.toml": "[project]\nname = 'a'\n",  # no table: the root's settings apply
        "packages/a/net.py": MODEL_WITH_ITEM,
        "packages/b/pyproject.toml": "[tool.litert-lsp]\nselect = ['LRT2']\n",  # its own table wins
        "packages/b/net.py": MODEL_WITH_ITEM,
    })
    assert cli("check", "packages/a", cwd=root).code == 0
    assert cli("check", "packages/b", cwd=root).code == 1


def test_extend_builds_on_another_pyproject(cli, project):
    from tests.cli.conftest import MODEL_WITH_ITEM

    root = project({
        "base.toml": "[tool.litert-lsp]\nignore = ['LRT202']\nselect = ['LRT1']\n",
        "pkg/pyproject.toml": "[tool.litert-lsp]\nextend = '../base.toml'\nselect = ['LRT2']\n",
        "pkg/net.py": MODEL_WITH_ITEM + "\ny = 1\n",
        "loop/pyproject.toml": "[tool.litert-lsp]\nextend = 'pyproject.toml'\n",
        "loop/net.py": "x = 1\n",
    })
    run = cli("check", "pkg", cwd=root)
    assert run.code == 0, run.stdout  # LRT202 ignored by the base; select taken from pkg
    run = cli("check", "--ignore", "", "pkg", cwd=root)
    assert run.code == 1 and "LRT202" in run.stdout
    run = cli("check", "loop", cwd=root)
    assert run.code == 0 and "cycle" in run.stderr
