"""TensorFlow / Keras rules (LRT301-LRT307) for one module.

    find_tf_findings(tree, imports, source) -> list[Finding]

Finds the code that becomes a LiteRT graph (`scope.py`), follows it through the file's own
helpers, and applies the rules of `checks.py` / `ops.py` there. Pure `ast`: no framework is
imported. LRT303 (GPU) is always reported; `config.Settings.apply` drops it unless the user
turned `gpu_compatibility` on.
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace

from litert_lsp.analysis.columns import char_column
from litert_lsp.analysis.names import ImportTable
from litert_lsp.analysis.tf.checks import ScopeChecker
from litert_lsp.analysis.tf.scope import Context, ModuleIndex, RootFinder
from litert_lsp.core.findings import Finding

# A file with more distinct (scope, assumptions) pairs than this is cut short rather than slow.
_MAX_CONTEXTS = 2000


def find_tf_findings(tree: ast.Module, imports: ImportTable, source: str) -> list[Finding]:
    """Every LRT3xx finding in a module that imports tensorflow or keras; never raises."""
    try:
        return _in_code_points(_find(tree, imports), source)
    except (RecursionError, MemoryError):
        return []
    except Exception:  # noqa: BLE001 - a rule bug must never take the editor's diagnostics down
        return []


def _find(tree: ast.Module, imports: ImportTable) -> list[Finding]:
    index = ModuleIndex(tree, imports)
    pending: list[Context] = RootFinder(index).roots()
    seen: set[tuple[int, str, bool, frozenset[str]]] = set()
    findings: dict[tuple[int, int, int, int, str], Finding] = {}
    while pending and len(seen) < _MAX_CONTEXTS:
        context = pending.pop()
        key = (id(context.scope), context.kind, context.autograph, context.tensor_params)
        if key in seen:
            continue
        seen.add(key)
        try:
            result = ScopeChecker(index, context).run()
        except RecursionError:
            continue  # an absurdly deep expression: skip this scope, keep the others
        for finding in result.findings:
            # The same line reached in two ways is reported once.
            key_ = (finding.line, finding.column, finding.end_line, finding.end_column, finding.code)
            findings.setdefault(key_, finding)
        pending.extend(result.reached)
    return sorted(findings.values(), key=lambda f: (f.line, f.column, f.code, f.end_line, f.end_column))


def _in_code_points(findings: list[Finding], source: str) -> list[Finding]:
    """`ast` columns are UTF-8 byte offsets; findings count code points (findings.py)."""
    if source.isascii():
        return findings
    lines = re.split(r"\r\n|\r|\n", source)
    return [
        replace(f, column=char_column(lines, f.line, f.column),
                  end_column=char_column(lines, f.end_line, f.end_column))
        for f in findings
    ]
