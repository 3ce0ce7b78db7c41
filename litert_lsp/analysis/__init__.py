"""Static analysis of model code for LiteRT compatibility.

Pure Python over source text: imports neither pygls nor any ML framework.

    analyze(source, path="<string>") -> list[Finding]      one-shot
    DocumentAnalyzer(path).analyze(source) -> list[Finding] incremental, one per open file

Layout:
    engine (this package)  document.py (both entry points, the per-block caches), blocks.py,
                           module_index.py, names.py (imports), derivation.py (which classes
                           derive from a framework base), literals.py (the one literal
                           evaluator), columns.py (the one byte -> code-point column fix-up),
                           suppress.py, rewrites.py, prefilter.py (files that import no
                           framework skip the rules), project_index.py (cross-file reach:
                           imported classes and functions whose code elsewhere has a finding)
    torch/                 PyTorch: walker.py (one traversal per function: value inference,
                           guards; calls the rules' hooks), values.py, kb_verdict.py, and
                           rules/ with one module per code (LRT10x, LRT201..LRT205)
    tf/                    TensorFlow / Keras: finder.py, scope.py, values.py, checks.py and
                           ops.py (the traversals), ragged.py, and rules/ with one module per
                           code (LRT301..LRT307: message text and decision)
A new PyTorch rule is a module `torch/rules/lrtNNN_<slug>.py` (its code record from
`core/codes.py`, why-docstring, message, and the hooks it implements), registered in
`torch/rules/__init__.py`; the walker needs no change unless the rule needs a new hook.
A new TF rule is a module in `tf/rules/`, called from the traversal that sees the construct.

The text is split into top-level blocks (`blocks.py`), each parsed on its own: a syntax
error stays inside its block (one LRT001) and the rest of the file is still analyzed.
The incremental analyzer keeps each block's parse keyed by its text, and each function's
result keyed by its block's text plus the module context it depends on (imports, local
classes and functions, which classes are torch modules), so an edit inside one `forward`
re-parses and re-walks only that block. Both paths run the same code, so their results
are identical. One-shot `analyze` (the CLI) has no next version to prepare for: it parses
the whole module once and cuts the tree into the same units, falling back to the blocks
only when the module does not parse (tests/analysis/test_batch_parse.py holds them equal).
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
