"""Settings shared by the CLI, the server and the export worker.

Sources, later ones winning: defaults < `[tool.litert-lsp]` in the nearest pyproject.toml <
the editor (`workspace/configuration`, section `litert`) or command-line flags.

Keys are accepted in snake_case, kebab-case or camelCase (`gpu-compatibility`,
`gpu_compatibility`, `gpuCompatibility`).
"""

from __future__ import annotations

import difflib
import fnmatch
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from litert_lsp.core import file_ignores
from litert_lsp.core.codes import CODES, TF_STATUS_CODES, TORCH_STATUS_CODES
from litert_lsp.core.findings import Finding, Severity
from litert_lsp.core.validation import check, positive, shape, unknown_codes, unknown_keys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

# Folders never checked, whatever the configuration says.
ALWAYS_EXCLUDED = (".venv", "venv", ".git", "__pycache__", "node_modules", ".tox", ".nox")

OFF = "off"

# Every key [tool.litert-lsp] and the editor's `litert` section may hold (snake_case).
# `trace` is the VS Code client's own (`litert.trace.server`), sent along with the section.
TOP_LEVEL_KEYS = frozenset({
    "select", "ignore", "exclude", "per_file_ignores", "severity", "gpu_compatibility", "python", "models",
    "export", "trace", "convert_check", "convert_check_memory_mb", "docs_url",
})
EXPORT_KEYS = frozenset({"allow_select_tf_ops", "allow_pickle", "allow_unverified", "dynamic_batch", "quantize",
                         "atol", "rtol", "timeout_seconds"})
QUANTIZE_MODES = ("int8", "float16", "full-int8")
# When the server converts saved models in the background (see server/features/convert_check.py).
CONVERT_CHECK_MODES = ("off", "onSave", "onIdle")
# Knowledge-base statuses `severity` may re-map (the codes' own statuses).
STATUSES = frozenset({*TORCH_STATUS_CODES, *TF_STATUS_CODES})

# Export settings that make the worker run more than the user's model code: unpickling runs
# arbitrary code; Select TF ops ship a different runtime. With `python`, a workspace file may
# name them only once the workspace is trusted.
RISKY_EXPORT_KEYS = ("allow_pickle", "allow_select_tf_ops")


@dataclass(frozen=True)
class ExportSettings:
    allow_select_tf_ops: bool = False
    allow_pickle: bool = False
    # Write a model that converted but cannot be run here (Select TF ops: no Flex runtime in
    # ai-edge-litert). Off: an export writes only what it verified.
    allow_unverified: bool = False
    # Dim 0 of every PyTorch input dynamic (as --dynamic-batch).
    dynamic_batch: bool = False
    quantize: str | None = None  # None | "int8" | "float16"
    atol: float = 1e-4
    rtol: float = 1e-3
    timeout_seconds: float = 600.0


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    # Glob -> codes/prefixes left out of the files it matches; globs stored anchored
    # (absolute), see core/file_ignores.py.
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Status name (`runtime_fails`) or code (`LRT104`) -> Severity, or "off" to drop.
    severity: Mapping[str, Severity | str] = field(default_factory=dict)
    gpu_compatibility: bool = False
    python: str | None = None
    models: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    export: ExportSettings = field(default_factory=ExportSettings)
    # Background conversion check: one of CONVERT_CHECK_MODES (only in a trusted workspace).
    convert_check: str = "onSave"
    # The background check's worker memory cap (RLIMIT_DATA) in MiB; 0: none.
    convert_check_memory_mb: int = 4096  # measured: a tiny litert-torch conversion needs about 0.6 GB of data
    # The folder holding diagnostics.md for the links on diagnostics (codeDescription, SARIF
    # helpUri): a team's own copy or an offline mirror. None: the project's published docs.
    docs_url: str | None = None
    # Risky keys ("python", "export.allow_pickle", ...) whose value came from a workspace file.
    # Provenance, not a setting (no key sets it): `metadata` says so to the manifest test.
    workspace_named: frozenset[str] = field(default=frozenset(), metadata={"provenance": True})

    # ---- building -------------------------------------------------------------------

    def merged(
        self, mapping: Mapping[str, Any] | None, base: Path | None = None, origin: str | None = None
    ) -> tuple[Settings, list[str]]:
        """These settings overridden by `mapping`; returns problems found in it as text.

        A relative `python` and the relative `per-file-ignores` globs are resolved against
        `base` (the folder of the configuration file). With `origin`
        (e.g. "pyproject.toml"), the risky keys `mapping` sets are remembered in
        `workspace_named`, so that a server can refuse them until the workspace is trusted.
        """
        if not mapping:
            return self, []
        problems: list[str] = []
        values = _normalise_keys(mapping)
        unknown_keys(values, TOP_LEVEL_KEYS, "", problems)
        changes: dict[str, Any] = {}
        for key in ("select", "ignore", "exclude"):
            if values.get(key) is not None:
                raw = [values[key]] if isinstance(values[key], str) else values[key]
                items = check(raw, list[str], key, problems)
                if items is not None:
                    items = [item.strip() for item in items if item.strip()]
                    if key != "exclude":
                        items = unknown_codes(items, CODES, key, problems)
                    changes[key] = tuple(items)
        if values.get("per_file_ignores") is not None:
            table = _per_file_ignores(values["per_file_ignores"], base, problems)
            if table is not None:
                # Like `severity`: a later source adds patterns (or re-sets one) on top.
                changes["per_file_ignores"] = {**self.per_file_ignores, **table}
        if values.get("severity") is not None:
            severity = _severity_map(values["severity"], problems)
            if severity is not None:
                changes["severity"] = {**self.severity, **severity}
        if values.get("gpu_compatibility") is not None:
            flag = check(values["gpu_compatibility"], bool, "gpu-compatibility", problems)
            if flag is not None:
                changes["gpu_compatibility"] = flag
        if values.get("python"):
            interpreter = check(values["python"], str, "python", problems)
            if interpreter is not None:
                changes["python"] = resolve_interpreter(interpreter, base)
        if values.get("models") is not None:
            models = _models(values["models"], problems)
            if models is not None:
                changes["models"] = {**self.models, **models}
        if values.get("convert_check") is not None:
            mode = check(values["convert_check"], str, "convert-check", problems)
            if mode is not None and mode not in CONVERT_CHECK_MODES:
                problems.append(f"`convert-check` must be one of {', '.join(CONVERT_CHECK_MODES)}, "
                                f"not {mode!r}; ignoring it")
            elif mode is not None:
                changes["convert_check"] = mode
        if values.get("convert_check_memory_mb") is not None:
            budget = check(values["convert_check_memory_mb"], int, "convert-check-memory-mb", problems)
            if budget is not None and budget < 0:
                problems.append(f"`convert-check-memory-mb` must be 0 (no cap) or a number of MiB, not {budget}; "
                                "ignoring it")
            elif budget is not None:
                changes["convert_check_memory_mb"] = budget
        if values.get("docs_url") is not None:
            url = _docs_url(values["docs_url"], problems)
            if url is not None:
                changes["docs_url"] = url
        if values.get("export") is not None:
            if isinstance(values["export"], Mapping):
                changes["export"] = _export_settings(self.export, values["export"], problems)
            else:
                problems.append(f"`export` must be a table, not {values['export']!r}; ignoring it")
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

    def docs_link(self, code: str) -> str | None:
        """The link to `code`'s section of diagnostics.md: under `docs-url` (the folder
        holding diagnostics.md) when set, else the published docs. None: not a known code."""
        known = CODES.get(code)
        if known is None:
            return None
        if self.docs_url is None:
            return known.href()
        return f"{self.docs_url}/diagnostics.md#{known.anchor}"

    def code_enabled(self, code: str) -> bool:
        if self.select and not any(code.startswith(p) for p in self.select):
            return False
        return not any(code.startswith(p) for p in self.ignore)

    def apply(self, findings: Iterable[Finding], path: Path | str | None = None) -> list[Finding]:
        """Drop unselected/ignored codes and re-map severities (code beats status).

        With the checked file's `path`, the `per-file-ignores` matching it drop their codes too.
        """
        dropped = file_ignores.ignored_codes(self.per_file_ignores, path) if path is not None else ()
        result = []
        for finding in findings:
            if finding.code == "LRT303" and not self.gpu_compatibility:
                continue
            if not self.code_enabled(finding.code):
                continue
            if any(finding.code.startswith(prefix) for prefix in dropped):
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


def _docs_url(value: Any, problems: list[str]) -> str | None:
    """An http(s) URL with a host (links must open from an editor and from GitHub's SARIF
    view); anything else is refused with a sentence and the published docs stay."""
    url = check(value, str, "docs-url", problems)
    if url is None:
        return None
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        problems.append(f"`docs-url` must be an http(s) URL such as https://docs.example.com/litert-lsp, "
                        f"not {value!r}; using the published docs")
        return None
    return url.rstrip("/")


# ---- pyproject.toml -------------------------------------------------------------------


def find_project_root(start: Path) -> Path | None:
    """The nearest folder at or above `start` holding a pyproject.toml."""
    start = start.resolve()
    for folder in (start, *start.parents) if start.is_dir() else start.parents:
        if (folder / "pyproject.toml").is_file():
            return folder
    return None


def find_config_root(start: Path) -> Path | None:
    """The nearest folder at or above `start` whose pyproject.toml has a `[tool.litert-lsp]`
    table (as ruff finds its own): a package's pyproject without one does not hide the
    monorepo root's settings. Falls back to the nearest pyproject.toml at all."""
    start = start.resolve()
    nearest = None
    for folder in (start, *start.parents) if start.is_dir() else start.parents:
        path = folder / "pyproject.toml"
        if not path.is_file():
            continue
        nearest = nearest or folder
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return folder  # let read_pyproject say what is wrong with it
        if "litert-lsp" in text:
            try:
                if "litert-lsp" in tomllib.loads(text).get("tool", {}):
                    return folder
            except tomllib.TOMLDecodeError:
                return folder
    return nearest


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
    return _extended(table, path, [])


def _extended(table: dict[str, Any], path: Path, chain: list[Path]) -> tuple[dict[str, Any], list[str]]:
    """`table` on top of the file its `extend` names (relative to `path`'s folder), the way
    ruff's `extend` works: the extending file wins key by key."""
    target = table.get("extend")
    table = {k: v for k, v in table.items() if k != "extend"}
    if target is None:
        return table, []
    if not isinstance(target, str):
        return table, [f"{path}: `extend` must be a path to a pyproject.toml"]
    base_path = (path.parent / Path(target).expanduser()).resolve()
    if base_path in chain or base_path == path.resolve():
        return table, [f"{path}: `extend` makes a cycle through {base_path}"]
    try:
        document = tomllib.loads(base_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        return table, [f"{path}: cannot read `extend` = {target!r} ({error}); ignoring it"]
    base = document.get("tool", {}).get("litert-lsp", {})
    if not isinstance(base, dict):
        return table, [f"{base_path}: [tool.litert-lsp] must be a table; ignoring `extend`"]
    base, problems = _extended(base, base_path, [*chain, path.resolve()])
    return {**_anchored(base, base_path.parent), **table}, problems


def _anchored(table: dict[str, Any], folder: Path) -> dict[str, Any]:
    """`table` (read from a file in `folder`) with its folder-relative values made absolute,
    so that they keep meaning the same files once an extending file takes them over."""
    anchored = {}
    for key, value in table.items():
        name = _snake(str(key))
        if name == "python" and isinstance(value, str) and value:
            value = resolve_interpreter(value, folder)
        elif name == "per_file_ignores" and isinstance(value, Mapping):
            value = {file_ignores.anchor(str(glob), folder): codes for glob, codes in value.items()}
        anchored[key] = value
    return anchored


def load_settings(start: Path, overrides: Mapping[str, Any] | None = None) -> tuple[Settings, list[str]]:
    """Defaults < pyproject.toml found from `start` < `overrides`, with problems as text."""
    root = find_config_root(start)
    table, problems = read_pyproject(root)
    settings, more = Settings().merged(table, base=root, origin="pyproject.toml")
    problems.extend(f"[tool.litert-lsp]: {p}" for p in more)
    settings, more = settings.merged(overrides, base=root)
    problems.extend(more)
    return settings, problems


# ---- helpers --------------------------------------------------------------------------


def _snake(key: str) -> str:
    # A run of capitals is one word: convertCheckMemoryMB -> convert_check_memory_mb.
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key.replace("-", "_")).lower()


def _normalise_keys(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {_snake(str(k)): v for k, v in mapping.items()}


def _severity_map(value: Any, problems: list[str]) -> dict[str, Severity | str] | None:
    table = check(value, dict[str, str], "severity", problems)
    if table is None:
        return None
    result: dict[str, Severity | str] = {}
    targets = sorted({*CODES, *STATUSES})
    for key, text in table.items():
        if key not in targets:
            close = difflib.get_close_matches(key, targets, n=1, cutoff=0.6)
            hint = f"; did you mean `{close[0]}`?" if close else f" (statuses: {', '.join(sorted(STATUSES))})"
            problems.append(f"`severity.{key}`: not a diagnostic code or a status{hint}")
            continue
        if text.strip().lower() == OFF:
            result[key] = OFF
            continue
        try:
            result[key] = Severity.parse(text)
        except ValueError as error:
            problems.append(f"`severity.{key}`: {error}")
    return result


def _per_file_ignores(value: Any, base: Path | None, problems: list[str]) -> dict[str, tuple[str, ...]] | None:
    """Glob -> codes, each list checked like `ignore`; a bad entry drops only itself."""
    table = check(value, dict[str, Any], "per-file-ignores", problems)
    if table is None:
        return None
    result: dict[str, tuple[str, ...]] = {}
    for glob, raw in table.items():
        label = f'per-file-ignores."{glob}"'
        if not glob.strip():
            problems.append("`per-file-ignores` has an empty glob; ignoring it")
            continue
        items = check(raw, list[str], label, problems)
        if items is None:
            continue
        items = unknown_codes([item.strip() for item in items if item.strip()], CODES, label, problems)
        result[file_ignores.anchor(glob, base)] = tuple(items)
    return result


def _export_settings(base: ExportSettings, value: Mapping[str, Any], problems: list[str]) -> ExportSettings:
    values = _normalise_keys(value)
    unknown_keys(values, EXPORT_KEYS, "export.", problems)
    changes: dict[str, Any] = {}
    for key in RISKY_EXPORT_KEYS:
        if key in values:
            flag = check(values[key], bool, f"export.{key.replace('_', '-')}", problems)
            if flag is not None:
                changes[key] = flag
    for key in ("allow_unverified", "dynamic_batch"):
        if key in values:
            flag = check(values[key], bool, f"export.{key.replace('_', '-')}", problems)
            if flag is not None:
                changes[key] = flag
    if "quantize" in values:
        q = values["quantize"]
        if q in (None, "", "none"):
            changes["quantize"] = None
        elif q in QUANTIZE_MODES:
            changes["quantize"] = q
        else:
            problems.append(f"`export.quantize` must be {', '.join(QUANTIZE_MODES)} or none, not {q!r}; ignoring it")
    for key in ("atol", "rtol", "timeout_seconds"):
        if key in values:
            name = f"export.{key.replace('_', '-')}"
            number = positive(check(values[key], float, name, problems), name, problems)
            if number is not None:
                changes[key] = number
    return replace(base, **changes)


# What `[tool.litert-lsp.models.<Class>]` may hold, and the type of each value.
MODEL_KEYS: dict[str, Any] = {
    "args": list[Any],
    "kwargs": dict[str, Any],
    "input_shape": list[int],
    "input_shapes": list[list[int]],
    "input_dtype": str,
    "input_dtypes": list[str],
    "checkpoint": str,
    "weights": str,
    "calibration": str,
}


def _models(value: Any, problems: list[str]) -> dict[str, dict[str, Any]] | None:
    """Per-class export settings, each value checked; a bad value drops only itself."""
    table = check(value, dict[str, Any], "models", problems)
    if table is None:
        return None
    models: dict[str, dict[str, Any]] = {}
    for name, raw in table.items():
        where = f"models.{name}"
        if not isinstance(raw, Mapping):
            problems.append(f"`{where}` must be a table (args, kwargs, input-shape, ...), not {raw!r}; ignoring it")
            continue
        entries = _normalise_keys(raw)
        unknown_keys(entries, MODEL_KEYS, f"{where}.", problems)
        kept: dict[str, Any] = {}
        for key, kind in MODEL_KEYS.items():
            if key not in entries:
                continue
            label = f"{where}.{key.replace('_', '-')}"
            if key == "input_shape":
                checked = shape(entries[key], label, problems)
            elif key == "input_shapes":
                listed = check(entries[key], list[Any], label, problems) or []
                shapes = [shape(one, f"{label}[{i}]", problems) for i, one in enumerate(listed)]
                checked = shapes if listed and all(s is not None for s in shapes) else None
            else:
                checked = check(entries[key], kind, label, problems)
            if checked is not None:
                kept[key] = checked
        models[name] = kept
    return models


def resolve_interpreter(value: str, base: Path | None) -> str:
    """A configured interpreter: a bare command name (`python3`) stays a PATH lookup; a
    relative path is resolved against the project root, never the server's working folder."""
    path = Path(value).expanduser()
    if path.is_absolute() or base is None or ("/" not in value and "\\" not in value):
        return str(path) if path.is_absolute() else value
    return str((base / path).resolve())
