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

from litert_lsp.core.findings import Finding, Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

# Folders never checked, whatever the configuration says.
ALWAYS_EXCLUDED = (".venv", "venv", ".git", "__pycache__", "node_modules", ".tox", ".nox")

OFF = "off"

# Export settings that make the worker run more than the user's model code: unpickling runs
# arbitrary code; Select TF ops ship a different runtime. With `python`, a workspace file may
# name them only once the workspace is trusted.
RISKY_EXPORT_KEYS = ("allow_pickle", "allow_select_tf_ops")

_TRUE_WORDS = ("true", "yes", "on", "1")
_FALSE_WORDS = ("false", "no", "off", "0", "")


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
    # Risky keys ("python", "export.allow_pickle", ...) whose value came from a workspace file.
    # Provenance, not a setting (no key sets it): `metadata` says so to the manifest test.
    workspace_named: frozenset[str] = field(default=frozenset(), metadata={"provenance": True})

    # ---- building -------------------------------------------------------------------

    def merged(
        self, mapping: Mapping[str, Any] | None, base: Path | None = None, origin: str | None = None
    ) -> tuple[Settings, list[str]]:
        """These settings overridden by `mapping`; returns problems found in it as text.

        A relative `python` is resolved against `base` (the project root). With `origin`
        (e.g. "pyproject.toml"), the risky keys `mapping` sets are remembered in
        `workspace_named`, so that a server can refuse them until the workspace is trusted.
        """
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
            flag = strict_bool(values["gpu_compatibility"], "gpu-compatibility", problems)
            if flag is not None:
                changes["gpu_compatibility"] = flag
        if values.get("python"):
            if isinstance(values["python"], str):
                changes["python"] = resolve_interpreter(values["python"], base)
            else:
                problems.append("`python` must be a path to an interpreter")
        if isinstance(values.get("models"), Mapping):
            changes["models"] = {**self.models, **values["models"]}
        if isinstance(values.get("export"), Mapping):
            changes["export"] = _export_settings(self.export, values["export"], problems)
        # Track where each risky value came from: a workspace file names it, a later source
        # (the editor's own settings, the command line) takes it back.
        named = set(self.workspace_named)
        export_values = _normalise_keys(values["export"]) if isinstance(values.get("export"), Mapping) else {}
        set_here = {"python"} & changes.keys() | {
            f"export.{k}" for k in RISKY_EXPORT_KEYS if isinstance(export_values.get(k), bool)
        }
        if origin is None:
            named -= set_here
        else:
            named |= {key for key in set_here if key == "python" or getattr(changes["export"], key[7:])}
        changes["workspace_named"] = frozenset(named)
        return replace(self, **changes), problems

    def without_workspace_risks(self) -> Settings:
        """These settings with every risky value a workspace file named put back to its
        default: what an untrusted workspace gets (its interpreter is never run, nothing is
        unpickled, no Select TF ops)."""
        if not self.workspace_named:
            return self
        export = self.export
        for key in RISKY_EXPORT_KEYS:
            if f"export.{key}" in self.workspace_named:
                export = replace(export, **{key: False})
        python = None if "python" in self.workspace_named else self.python
        return replace(self, python=python, export=export, workspace_named=frozenset())

    def describe_workspace_named(self) -> str:
        """The risky settings a workspace file named, as `key = value` text."""
        parts = []
        for key in sorted(self.workspace_named):
            if key == "python":
                parts.append(f"python = {self.python}")
            else:
                parts.append(f"{key.replace('_', '-')} = {str(getattr(self.export, key.split('.', 1)[1])).lower()}")
        return ", ".join(parts)

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
    root = find_project_root(start)
    table, problems = read_pyproject(root)
    settings, more = Settings().merged(table, base=root, origin="pyproject.toml")
    problems.extend(f"[tool.litert-lsp]: {p}" for p in more)
    settings, more = settings.merged(overrides, base=root)
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
    for key in RISKY_EXPORT_KEYS:
        if key in values:
            flag = strict_bool(values[key], f"export.{key.replace('_', '-')}", problems)
            if flag is not None:
                changes[key] = flag
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
            number = values[key]
            name = f"export.{key.replace('_', '-')}"
            if isinstance(number, bool) or not isinstance(number, (int, float)):
                problems.append(f"`{name}` must be a number, not {number!r}; keeping {getattr(base, key)}")
            elif not 0 < number < float("inf"):  # also refuses NaN
                problems.append(f"`{name}` must be a positive number, not {number!r}; keeping {getattr(base, key)}")
            else:
                changes[key] = float(number)
    return replace(base, **changes)


def strict_bool(value: Any, key: str, problems: list[str]) -> bool | None:
    """`value` if it is a real boolean; otherwise None and a sentence in `problems`.

    Only a TOML/JSON boolean counts: the string "false" must never switch anything on (nor
    "true" anything off), so a string is refused with the spelling that would work.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE_WORDS + _FALSE_WORDS:
        word = "true" if value.strip().lower() in _TRUE_WORDS else "false"
        problems.append(f"`{key}` must be a boolean: write {key} = {word} without quotes (got the string "
                        f"{value!r}); ignoring it")
    else:
        problems.append(f"`{key}` must be true or false, not {value!r}; ignoring it")
    return None


def resolve_interpreter(value: str, base: Path | None) -> str:
    """A configured interpreter: a bare command name (`python3`) stays a PATH lookup; a
    relative path is resolved against the project root, never the server's working folder."""
    path = Path(value).expanduser()
    if path.is_absolute() or base is None or ("/" not in value and "\\" not in value):
        return str(path) if path.is_absolute() else value
    return str((base / path).resolve())
