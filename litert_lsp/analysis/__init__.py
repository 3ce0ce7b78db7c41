"""Static analysis of model code for LiteRT compatibility.

Pure Python over source text: imports neither pygls nor any ML framework.

    analyze(source, path="<string>") -> list[Finding]      one-shot
    DocumentAnalyzer(path).analyze(source) -> list[Finding] incremental, one per open file

The text is split into top-level blocks (`blocks.py`), each parsed on its own: a syntax
error stays inside its block (one LRT001) and the rest of the file is still analyzed.
The incremental analyzer keeps each block's parse keyed by its text, and each function's
result keyed by its block's text plus the module context it depends on (imports, local
classes and functions, which classes are torch modules), so an edit inside one `forward`
re-parses and re-walks only that block. Both paths run the same code, so their results
are identical.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litert_lsp.core.findings import Finding, Severity

if TYPE_CHECKING:
    from litert_lsp.analysis.document import DocumentAnalyzer, analyze

__all__ = ["DocumentAnalyzer", "Finding", "Severity", "analyze"]


def __getattr__(name: str) -> Any:
    # The rule modules load on first use, so that importing `analysis.findings` (as the
    # server does while it answers `initialize`) does not pay for the whole analyzer.
    if name in ("DocumentAnalyzer", "analyze"):
        from litert_lsp.analysis import document

        return getattr(document, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
