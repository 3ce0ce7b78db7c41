"""TensorFlow / Keras rules (LRT3xx). Placeholder signature; the real rules land shortly."""

from __future__ import annotations

import ast

from litert_lsp.analysis.findings import Finding
from litert_lsp.analysis.names import ImportTable


def find_tf_findings(tree: ast.Module, imports: ImportTable, source: str) -> list[Finding]:
    """Every LRT3xx finding in a module that imports tensorflow or keras; never raises."""
    return []
