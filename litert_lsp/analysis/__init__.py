"""Static analysis of model code for LiteRT compatibility.

Pure Python over source text: imports neither pygls nor any ML framework.

    analyze(source, path="<string>") -> list[Finding]      one-shot
    DocumentAnalyzer(path).analyze(source) -> list[Finding] incremental, one per open file

PLACEHOLDER (lead): the analyzer helper replaces this body; the signatures stay.
"""

from __future__ import annotations

import ast

from litert_lsp.analysis.findings import Finding, Severity


class DocumentAnalyzer:
    """Keeps what it learned about one document so the next version costs less."""

    def __init__(self, path: str = "<string>") -> None:
        self.path = path

    def analyze(self, source: str) -> list[Finding]:
        try:
            ast.parse(source)
        except SyntaxError as error:
            line = error.lineno or 1
            return [Finding(line, 0, line, 0, Severity.ERROR, "LRT001", f"syntax error: {error.msg}")]
        except ValueError:
            return []
        return []


def analyze(source: str, path: str = "<string>") -> list[Finding]:
    """Every LiteRT problem in `source`, never raising."""
    return DocumentAnalyzer(path).analyze(source)


__all__ = ["DocumentAnalyzer", "Finding", "Severity", "analyze"]
