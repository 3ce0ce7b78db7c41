"""Settings shared by the CLI, the server and the export worker.

Sources, later ones winning: defaults < `[tool.litert-lsp]` in the nearest pyproject.toml <
the editor (`workspace/configuration`, section `litert`) or command-line flags.

Keys are accepted in snake_case, kebab-case or camelCase (`gpu-compatibility`,
`gpu_compatibility`, `gpuCompatibility`).
"""

from __future__ import annotations

import fnmatch
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from litert_lsp.analysis.findings import Finding, Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

# Folders never checked, whatever the configuration says.
ALWAYS_EXCLUDED = (".venv", "venv", ".git", "__pycache__", "node_modules", ".tox", ".nox")

OFF = "off"


@dataclass(frozen=True)
class ExportSettings:
    allow_select_tf_ops: bool = False
    allow_pickle: bool = False
    quantize: str | None = None  # None | "int8" | "float16"
    atol: float = 1e-4
    rtol: float = 1e-3
    timeout_seconds: float = 600.0


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    # Status name (`runtime_fails`) or code (`LRT104`) -> Severity, or "off" to drop.
    severity: Mapping[str, Severity | str] = field(default_factory=dict)
    gpu_compatibility: bool = False
    python: str | None = None
    models: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    export: ExportSettings = field(default_factory=ExportSettings)

    # ---- building -------------------------------------------------------------------

    def merged(self, mapping: Mapping[str, Any] | None) -> tuple[Settings, list[str]]:
        """These settings overridden by `mapping`; returns problems found in it as text."""
        if not mapping:
            return self, []
        problems: list[str] = []
        values = _normalise_keys(mapping)
        changes: dict[str, Any] = {}
        for key in ("select", "ignore", "exclude"):
            if key in values and values[key] is not None:
                items = _string_list(values[key], key, problems)
                if items is not None:
                    changes[key] = tuple(items)
        if "severity" in values and values["severity"] is not None:
            severity = _severity_map(values["severity"], problems)
            if severity is not None:
                changes["severity"] = {**self.severity, **severity}
        if "gpu_compatibility" in values and values["gpu_compatibility"] is not None:
            changes["gpu_compatibility"] = bool(values["gpu_compatibility"])
        if values.get("python"):
            if isinstance(values["python"], str):
                changes["python"] = values["python"]
            else:
                problems.append("`python` must be a path to an interpreter")
        if isinstance(values.get("models"), Mapping):
            changes["models"] = {**self.models, **values["models"]}
        if isinstance(values.get("export"), Mapping):
            changes["export"] = _export_settings(self.export, values["export"], problems)
        return replace(self, **changes), problems

    # ---- using ----------------------------------------------------------------------

    def is_excluded(self, path: Path, root: Path | None = None) -> bool:
        """Whether `path` falls under an always-excluded folder or an `exclude` glob."""
        try:
            relative = path.resolve().relative_to(root.resolve()) if root else path
        except ValueError:
            relative = path
        parts = PurePosixPath(relative.as_posix()).parts
        if any(part in ALWAYS_EXCLUDED for part in parts[:-1]):
            return True
        text = PurePosixPath(*parts).as_posix() if parts else ""
        for pattern in self.exclude:
            pattern = pattern.rstrip("/")
            if fnmatch.fnmatch(text, pattern) or fnmatch.fnmatch(text, pattern + "/*"):
                return True
            if any(fnmatch.fnmatch(part, pattern) for part in parts):
                return True
        return False

    def code_enabled(self, code: str) -> bool:
        if self.select and not any(code.startswith(p) for p in self.select):
            return False
        return not any(code.startswith(p) for p in self.ignore)

    def apply(self, findings: Iterable[Finding]) -> list[Finding]:
        """Drop unselected/ignored codes and re-map severities (code beats status)."""
        result = []
        for finding in findings:
            if finding.code == "LRT303" and not self.gpu_compatibility:
                continue
            if not self.code_enabled(finding.code):
                continue
            override = self.severity.get(finding.code)
            if override is None and finding.status:
                override = self.severity.get(finding.status)
            if override == OFF:
                continue
            if isinstance(override, Severity) and override != finding.severity:
                finding = finding.with_severity(override)
            result.append(finding)
        return result


# ---- pyproject.toml -------------------------------------------------------------------


def find_project_root(start: Path) -> Path | None:
    """The nearest folder at or above `start` holding a pyproject.toml."""
    start = start.resolve()
    for folder in (start, *start.parents) if start.is_dir() else start.parents:
        if (folder / "pyproject.toml").is_file():
            return folder
    return None


def read_pyproject(root: Path | None) -> tuple[dict[str, Any], list[str]]:
    """The `[tool.litert-lsp]` table of root/pyproject.toml, and any problem reading it.

    A malformed file never raises: it yields no settings and one sentence saying why.
    """
    if root is None:
        return {}, []
    path = root / "pyproject.toml"
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, []
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        return {}, [f"{path}: cannot read [tool.litert-lsp] ({error}); using defaults"]
    table = document.get("tool", {}).get("litert-lsp", {})
    if not isinstance(table, dict):
        return {}, [f"{path}: [tool.litert-lsp] must be a table; using defaults"]
    return table, []


def load_settings(start: Path, overrides: Mapping[str, Any] | None = None) -> tuple[Settings, list[str]]:
    """Defaults < pyproject.toml found from `start` < `overrides`, with problems as text."""
    table, problems = read_pyproject(find_project_root(start))
    settings, more = Settings().merged(table)
    problems.extend(f"[tool.litert-lsp]: {p}" for p in more)
    settings, more = settings.merged(overrides)
    problems.extend(more)
    return settings, problems


# ---- helpers --------------------------------------------------------------------------


def _snake(key: str) -> str:
    out = []
    for ch in key.replace("-", "_"):
        if ch.isupper():
            out.append("_" + ch.lower())
        else:
            out.append(ch)
    return "".join(out)


def _normalise_keys(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {_snake(str(k)): v for k, v in mapping.items()}


def _string_list(value: Any, key: str, problems: list[str]) -> list[str] | None:
    if isinstance(value, str):
        value = [value]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    problems.append(f"`{key}` must be a list of strings")
    return None


def _severity_map(value: Any, problems: list[str]) -> dict[str, Severity | str] | None:
    if not isinstance(value, Mapping):
        problems.append("`severity` must map a status or code to error/warning/information/hint/off")
        return None
    result: dict[str, Severity | str] = {}
    for key, text in value.items():
        if isinstance(text, str) and text.strip().lower() == OFF:
            result[str(key)] = OFF
            continue
        try:
            result[str(key)] = Severity.parse(str(text))
        except ValueError as error:
            problems.append(f"`severity.{key}`: {error}")
    return result


def _export_settings(base: ExportSettings, value: Mapping[str, Any], problems: list[str]) -> ExportSettings:
    values = _normalise_keys(value)
    changes: dict[str, Any] = {}
    for key in ("allow_select_tf_ops", "allow_pickle"):
        if key in values:
            changes[key] = bool(values[key])
    if "quantize" in values:
        q = values["quantize"]
        if q in (None, "", "none"):
            changes["quantize"] = None
        elif q in ("int8", "float16"):
            changes["quantize"] = q
        else:
            problems.append("`export.quantize` must be int8, float16 or none")
    for key in ("atol", "rtol", "timeout_seconds"):
        if key in values:
            try:
                changes[key] = float(values[key])
            except (TypeError, ValueError):
                problems.append(f"`export.{key}` must be a number")
    return replace(base, **changes)
