"""Output formats of `litert-lsp check`: text, JSON, SARIF 2.1.0, GitHub workflow
annotations, GitLab Code Quality, and the per-code statistics."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from litert_lsp import __version__
from litert_lsp.core.codes import CODES
from litert_lsp.core.findings import Finding, Severity
from litert_lsp.core.settings import Settings

DOCS_URL = "https://github.com/litert-lsp/litert-lsp/blob/main/docs/diagnostics.md"

# (display path, finding)
Reported = list[tuple[str, Finding]]


def as_text(reported: Reported) -> str:
    lines = [
        f"{path}:{f.line}:{f.column + 1}: {f.code} {f.message}" for path, f in reported
    ]
    return "\n".join(lines) + ("\n" if lines else "")


def as_json(reported: Reported) -> str:
    return json.dumps([f.to_json(path) for path, f in reported], indent=2) + "\n"


_SARIF_LEVEL = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFORMATION: "note",
    Severity.HINT: "note",
}


def help_uri(code: str, docs_url: str | None = None) -> str:
    """The link to the code's section of diagnostics.md: its heading is
    `## LRT202 tensor-to-python`, which GitHub anchors as `#lrt202-tensor-to-python`.
    `docs_url` (the `docs-url` setting): the folder holding diagnostics.md, if not ours."""
    link = Settings(docs_url=docs_url).docs_link(code)
    if link is not None:
        return link
    return f"{docs_url or DOCS_URL.rsplit('/', 1)[0]}/diagnostics.md#{heading_anchor(code)}"


def heading_anchor(heading: str) -> str:
    """GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to
    hyphens."""
    kept = "".join(c for c in heading.strip().lower() if c.isalnum() or c in " -_")
    return kept.replace(" ", "-")


# SARIF results carry no hand-made fingerprints: GitHub's upload action computes
# `primaryLocationLineHash` from the source lines itself, which keeps two findings of one
# code in one file apart (a hash of code, path and op merged them into one alert).
def as_sarif(reported: Reported, root: Path, docs_url: str | None = None) -> str:
    """SARIF 2.1.0 as GitHub code scanning reads it: one run, rules with help links (under
    `docs_url` when set), artifact URIs relative to the checkout root, columns counted in
    code points."""
    rule_ids = sorted({f.code for _, f in reported} | set(CODES))
    rules = []
    for rule_id in rule_ids:
        code = CODES.get(rule_id)
        rules.append(
            {
                "id": rule_id,
                "name": code.name if code else rule_id,
                "shortDescription": {"text": code.summary if code else rule_id},
                "fullDescription": {"text": code.summary if code else rule_id},
                "helpUri": help_uri(rule_id, docs_url),
                "help": {"text": f"See docs/diagnostics.md, section {rule_id}."},
                "defaultConfiguration": {
                    "level": _SARIF_LEVEL[code.severity] if code else "warning"
                },
            }
        )
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results: list[dict[str, Any]] = []
    for path, f in reported:
        results.append(
            {
                "ruleId": f.code,
                "ruleIndex": index[f.code],
                "level": _SARIF_LEVEL[f.severity],
                "message": {"text": f.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": _uri(path, root), "uriBaseId": "%SRCROOT%"},
                            "region": {
                                "startLine": f.line,
                                "startColumn": f.column + 1,
                                "endLine": f.end_line,
                                "endColumn": f.end_column + 1,
                            },
                        }
                    }
                ],
            }
        )
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "litert-lsp",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": DOCS_URL,
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "originalUriBaseIds": {"%SRCROOT%": {"uri": root.resolve().as_uri() + "/"}},
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2) + "\n"


def _uri(path: str, root: Path) -> str:
    candidate = Path(path)
    try:
        relative = candidate.resolve().relative_to(root.resolve())
    except ValueError:
        return candidate.resolve().as_uri()
    return relative.as_posix()


# ---- GitHub workflow commands -------------------------------------------------------------

_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning",
                 Severity.INFORMATION: "notice", Severity.HINT: "notice"}


def as_github(reported: Reported) -> str:
    """`::error file=...,line=...::message` lines, which GitHub Actions shows as annotations
    on the pull request's changed files."""
    lines = []
    for path, f in reported:
        properties = ",".join(
            f"{key}={_github_property(str(value))}"
            for key, value in (("file", path), ("line", f.line), ("col", f.column + 1),
                               ("endLine", f.end_line), ("endColumn", f.end_column + 1),
                               ("title", f"litert-lsp {f.code}"))
        )
        lines.append(f"::{_GITHUB_LEVEL[f.severity]} {properties}::{_github_data(f'{f.code} {f.message}')}")
    return "\n".join(lines) + ("\n" if lines else "")


def _github_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    return _github_data(text).replace(":", "%3A").replace(",", "%2C")


# ---- GitLab Code Quality -------------------------------------------------------------------

_GITLAB_SEVERITY = {Severity.ERROR: "major", Severity.WARNING: "minor",
                    Severity.INFORMATION: "info", Severity.HINT: "info"}


def as_gitlab(reported: Reported, root: Path) -> str:
    """A GitLab Code Quality report (`artifacts: reports: codequality`). Each fingerprint
    hashes the code, path, message and how many identical findings came before it in the
    file, so it is unique per finding and survives lines moving above it."""
    issues = []
    seen: dict[tuple[str, str, str], int] = {}
    for path, f in reported:
        relative = _relative(path, root)
        key = (f.code, relative, f.message)
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        fingerprint = hashlib.sha256(f"{f.code}\0{relative}\0{f.message}\0{occurrence}".encode()).hexdigest()
        issues.append({
            "description": f"{f.code} {f.message}",
            "check_name": f.code,
            "fingerprint": fingerprint,
            "severity": _GITLAB_SEVERITY[f.severity],
            "location": {"path": relative, "positions": {
                "begin": {"line": f.line, "column": f.column + 1},
                "end": {"line": f.end_line, "column": f.end_column + 1},
            }},
        })
    return json.dumps(issues, indent=2) + "\n"


def _relative(path: str, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()


# ---- statistics ----------------------------------------------------------------------------


def as_statistics(reported: Reported) -> str:
    """One line per code, most frequent first: count, code, name."""
    counts: dict[str, int] = {}
    for _, f in reported:
        counts[f.code] = counts.get(f.code, 0) + 1
    width = len(str(max(counts.values()))) if counts else 1
    lines = [
        f"{count:>{width}}  {code}  {CODES[code].name if code in CODES else ''}".rstrip()
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]
    return "\n".join(lines) + ("\n" if lines else "")
