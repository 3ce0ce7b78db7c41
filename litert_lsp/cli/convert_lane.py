"""`litert-lsp check --convert`: the dynamic lane after the static findings.

Each model class of the checked files that export can build without asking (the same plan
as `litert-lsp export` and the server's background check) is converted and verified in the
export worker, writing nothing. A converter failure becomes LRT901 on the line it blamed, a
numerics mismatch LRT902 on the class; a model that cannot be built is said once on standard
error and is not a failure. The command line is the user's own invocation, so it trusts the
project it runs in (as `litert-lsp export` does).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

from litert_lsp.core.findings import Finding, Severity
from litert_lsp.core.settings import Settings
from litert_lsp.jobs.client import STACKS, WorkerClient, probe_stacks
from litert_lsp.jobs.framework import is_tensorflow
from litert_lsp.jobs.job import ExportRequest, ExportResult
from litert_lsp.jobs.plan import PlanError, plan_export
from litert_lsp.jobs.verdict import could_not_build
from litert_lsp.models.exportable import models_of

SettingsFor = Callable[[Path], tuple[Settings, "Path | None"]]


def convert_findings(paths: list[Path], settings_for: SettingsFor) -> list[tuple[str, Finding]]:
    """(display path, finding) for every converter failure in the models of `paths`."""
    return asyncio.run(_convert_all(paths, settings_for))


async def _convert_all(paths: list[Path], settings_for: SettingsFor) -> list[tuple[str, Finding]]:
    clients: dict[str, WorkerClient] = {}
    stacks: dict[str, dict[str, bool]] = {}
    reported: list[tuple[str, Finding]] = []
    displays = {p.resolve(): str(p) for p in paths}
    try:
        for path in paths:
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            found = models_of(text)
            settings, root = settings_for(path)
            for model in found.exported:
                try:
                    request = plan_export(path, settings, root, model=model.name, write_output=False).request
                except PlanError as why:
                    print(f"{path}: {model.name} not converted: {why}", file=sys.stderr)
                    continue
                python = settings.python or sys.executable
                framework = "tensorflow" if is_tensorflow(request) else "torch"
                if python not in stacks:
                    stacks[python] = probe_stacks(python)
                if not stacks[python].get(framework):
                    print(f"{path}: {model.name} not converted: {python} cannot import "
                          f"{', '.join(STACKS[framework])}", file=sys.stderr)
                    continue
                client = clients.setdefault(python, WorkerClient(python=python))
                result = await client.export(request, None, timeout=settings.export.timeout_seconds)
                if could_not_build(result):
                    print(f"{path}: {model.name} not converted: {result.message}", file=sys.stderr)
                    continue
                reported.extend(_findings(path, str(path), model.line, request, result, displays))
    finally:
        for client in clients.values():
            await client.close()
    return reported


def _findings(path: Path, display: str, class_line: int, request: ExportRequest, result: ExportResult,
              displays: dict[Path, str]) -> list[tuple[str, Finding]]:
    what = request.model or path.name
    if result.ok:
        return []
    out = []
    for failure in result.failures:
        target = Path(failure.path)
        if result.status == "mismatch" and failure.stage == "verify":
            finding = _line_finding(target, failure.line, "LRT902", f"{what}: {failure.message}")
        else:
            finding = _line_finding(target, failure.line, "LRT901",
                                    f"{what}: conversion failed ({failure.stage}): {failure.message}")
        out.append((displays.get(target.resolve(), failure.path), finding))
    if result.status == "mismatch":
        out.append((display, _line_finding(path, class_line, "LRT902", f"{what}: {result.message}")))
    elif not result.failures:  # failed without naming a line (a timeout, a crash): on the class
        out.append((display, _line_finding(path, class_line, "LRT901",
                                           f"{what}: conversion failed at '{result.stage}': {result.message}")))
    return out


def _line_finding(path: Path, line: int, code: str, message: str) -> Finding:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        lines = []
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    start = len(text) - len(text.lstrip())
    return Finding(line, start, line, max(len(text.rstrip()), start), Severity.ERROR, code, message)
