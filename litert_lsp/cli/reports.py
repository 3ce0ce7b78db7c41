"""Output formats of `litert-lsp check`: text, JSON and SARIF 2.1.0."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from litert_lsp import __version__
from litert_lsp.core.codes import CODES
from litert_lsp.core.findings import Finding, Severity

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


def as_sarif(reported: Reported, root: Path) -> str:
    """SARIF 2.1.0 as GitHub code scanning reads it: one run, rules with help links,
    artifact URIs relative to the checkout root, columns counted in code points."""
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
                "helpUri": f"{DOCS_URL}#{rule_id.lower()}",
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
                "partialFingerprints": {
                    "primaryLocationLineHash": f"{f.code}:{_uri(path, root)}:{f.op or f.line}"
                },
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
