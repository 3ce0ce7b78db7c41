"""TensorFlow / Keras calls judged by the measured knowledge base (LRT301-303, 306, 307).

The knowledge base says per public name whether the converter takes it as LiteRT builtins,
only with Select TF ops (Flex), or not at all, and whether the GPU delegate runs it. Some
entries also hold variants with literal keyword arguments (a Keras layer option such as
`stateful=True`); a call that passes those literals gets the variant's verdict, on the
keyword's span.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from typing import Any

from litert_lsp import kb
from litert_lsp.analysis.literals import UNKNOWN, literal
from litert_lsp.analysis.tf.rules import (
    lrt301_select_tf_ops as lrt301,
)
from litert_lsp.analysis.tf.rules import (
    lrt302_unsupported_op as lrt302,
)
from litert_lsp.analysis.tf.rules import (
    lrt303_gpu_fallback as lrt303,
)
from litert_lsp.analysis.tf.rules import (
    lrt304_python_function as lrt304,
)
from litert_lsp.analysis.tf.rules import (
    lrt306_strings_ragged as lrt306,
)
from litert_lsp.analysis.tf.rules import (
    lrt307_unsupported_layer as lrt307,
)
from litert_lsp.core.codes import default_severity
from litert_lsp.core.findings import Finding

# Ops that call back into Python at run time: nothing in LiteRT can run them (measured:
# EagerPyFunc / PyFunc fail with builtins and with Select TF ops).
PY_FUNCTIONS = frozenset({"tf.py_function", "tf.numpy_function", "tf.compat.v1.py_func", "tf.py_func"})

# Graph-side printing: the knowledge base leaves it out (it is not a model op), but measured
# here it turns a builtins-only model into one that needs Select TF ops.
STRING_FORMATTERS = frozenset({"tf.print", "tf.strings.format"})

# Families whose kernels live in TensorFlow, not in LiteRT builtins.
STRING_RAGGED_PREFIXES = ("tf.strings.", "tf.ragged.", "tf.RaggedTensor.")



def span(node: ast.AST) -> tuple[int, int, int, int]:
    line = node.lineno
    column = node.col_offset
    end_line = getattr(node, "end_lineno", None) or line
    end_column = getattr(node, "end_col_offset", None)
    if end_column is None:
        end_column = column
    return line, column, end_line, end_column


def make(node: ast.AST, code: str, message: str, op: str | None = None, status: str | None = None,
         data: dict[str, Any] | None = None) -> Finding:
    line, column, end_line, end_column = span(node)
    return Finding(line, column, end_line, end_column, default_severity(code), code, message,
                   op=op, status=status, data=data or {})


def _call_literals(call: ast.Call, params: list[str]) -> dict[str, tuple[ast.AST, Any]]:
    """Keyword name -> (node, literal value) for the literal arguments of a call."""
    found: dict[str, tuple[ast.AST, Any]] = {}
    for position, argument in enumerate(call.args):
        if isinstance(argument, ast.Starred):
            break
        if position < len(params):
            value = literal(argument)
            if value is not UNKNOWN:
                found[params[position]] = (argument, value)
    for keyword in call.keywords:
        if keyword.arg is None:
            continue
        value = literal(keyword.value)
        if value is not UNKNOWN:
            found[keyword.arg] = (keyword, value)
    return found


def _plain(value: Any) -> Any:
    """Tuples as lists, so a literal in source compares equal to the JSON one."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _matching_variant(entry: kb.Entry, call: ast.Call) -> tuple[dict[str, Any], list[ast.AST]] | None:
    """The most specific variant whose literal kwargs all appear in the call, with their nodes.

    Variants with the same kwargs may differ in input dtype or rank, which the source does not
    show: when those disagree on the verdict, no variant is chosen.
    """
    params = list(entry.get("params") or [])
    literals = _call_literals(call, params)
    matches: list[tuple[dict[str, Any], list[ast.AST]]] = []
    for variant in entry.variants:
        wanted = variant.get("kwargs") or {}
        if not wanted or not isinstance(wanted, dict):
            continue
        nodes = []
        for key, value in wanted.items():
            if key not in literals or _plain(literals[key][1]) != _plain(value):
                break
            nodes.append(literals[key][0])
        else:
            matches.append((variant, nodes))
    if not matches:
        return None
    most = max(len(v.get("kwargs") or {}) for v, _ in matches)
    best = [(v, n) for v, n in matches if len(v.get("kwargs") or {}) == most]
    if len({v.get("status") for v, _ in best}) != 1:
        return None
    return best[0]


def op_findings(call: ast.Call, name: str, autocheck_gpu: bool = True) -> list[Finding]:
    """Findings for one resolved call `name(...)` (canonical spelling) at `call`."""
    if name in PY_FUNCTIONS:
        return [make(call.func, lrt304.CODE.code, lrt304.message(name), op=name)]
    entry = kb.lookup(name, "tensorflow")
    if entry is None and name in STRING_FORMATTERS:
        return [make(call.func, lrt306.CODE.code, lrt306.formatter_message(name),
                     op=name, status="select_tf_ops")]
    if entry is None and name.startswith("tf.raw_ops."):
        entry = raw_op_entry(name[len("tf.raw_ops."):])
    family = name.startswith(STRING_RAGGED_PREFIXES)
    if entry is None:
        if family:
            return [make(call.func, lrt306.CODE.code, lrt306.unmeasured_message(name), op=name)]
        return []
    layer = entry.get("kind") == "layer"
    findings: list[Finding] = []
    variant = _matching_variant(entry, call)
    status = entry.status
    if variant is not None and variant[0].get("status") and variant[0]["status"] != status:
        # An option changes the verdict: put the finding on the option itself.
        chosen, nodes = variant
        options = ", ".join(_source_option(n) for n in nodes)
        findings.extend(_status_findings(chosen["status"], name, entry, nodes[0] if nodes else call.func,
                                         layer, family, chosen, options))
        if status != "builtin" and chosen["status"] != "builtin":
            # An option measured to convert (CategoryEncoding(output_mode="one_hot")) clears the entry's verdict.
            findings.extend(_status_findings(status, name, entry, call.func, layer, family, None, None))
        return findings
    findings.extend(_status_findings(status, name, entry, call.func, layer, family, None, None))
    if lrt303.applies(entry, status, autocheck_gpu):
        findings.append(make(call.func, lrt303.CODE.code, lrt303.message(name, entry),
                             op=name, status="builtin"))
    return findings


def raw_op_entry(op: str) -> kb.Entry | None:
    """The measured entry for a raw TensorFlow op (`tf.raw_ops.Svd`): the public functions
    whose probe graph held exactly that one op, when they all agree on the verdict."""
    return _raw_op_index().get(op)


@lru_cache(maxsize=1)
def _raw_op_index() -> dict[str, kb.Entry]:
    by_op: dict[str, list[kb.Entry]] = {}
    for entry in kb.entries("tensorflow"):
        ops = entry.get("tf_ops") or []
        if len(ops) == 1:
            by_op.setdefault(ops[0], []).append(entry)
    return {op: found[0] for op, found in by_op.items() if len({e.status for e in found}) == 1}


def _source_option(node: ast.AST) -> str:
    if isinstance(node, ast.keyword):
        return f"{node.arg}={ast.unparse(node.value)}"
    return ast.unparse(node)


def _status_findings(status: str, name: str, entry: kb.Entry, node: ast.AST, layer: bool, family: bool,
                     variant: dict[str, Any] | None, options: str | None) -> list[Finding]:
    error = (variant or {}).get("error") or entry.get("error")
    reason = (variant or {}).get("reason") or entry.get("reason")
    data = {k: v for k, v in (("error", error), ("reason", reason)) if v}
    subject = f"`{name}({options})`" if options else f"`{name}`"
    if status == "select_tf_ops":
        if family:
            return [make(node, lrt306.CODE.code, lrt306.select_message(subject), op=name, status=status, data=data)]
        return [make(node, lrt301.CODE.code, lrt301.message(subject), op=name, status=status, data=data)]
    if status == "unsupported":
        what = lrt302.unsupported_words(entry.get("layer"), variant or entry.raw)
        if layer:
            return [make(node, lrt307.CODE.code, lrt307.message(subject, what), op=name, status=status, data=data)]
        return [make(node, lrt302.CODE.code, lrt302.message(subject, what), op=name, status=status, data=data)]
    return []
