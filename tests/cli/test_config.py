"""Settings: pyproject < editor, key spellings, severity re-mapping, excludes."""

from pathlib import Path

from litert_lsp.analysis.findings import Finding, Severity
from litert_lsp.config import Settings, load_settings


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
