"""What a PyTorch rule's hooks receive: the walker, seen through the few methods rules use.

A Protocol, so that `rules/` depends on this small interface and not on the walker that
calls them (the walker imports the rules; the rules must not import it back).
"""

from __future__ import annotations

import ast
from typing import Protocol

from litert_lsp.analysis.torch.usage import CallSite, FunctionUsage
from litert_lsp.analysis.torch.values import Kind
from litert_lsp.core.findings import Severity


class TraceContext(Protocol):
    def report(self, node: ast.AST, code: str, message: str, op: str | None = None,
               status: str | None = None, data: dict | None = None,
               severity: Severity | None = None) -> None:
        """Record a finding on `node`'s span (the first finding of a span wins)."""

    def is_mask(self, node: ast.expr) -> bool:
        """Whether `node` is a boolean tensor."""

    def function_usage(self) -> FunctionUsage | None:
        """Parents, reads and assignments of the function being walked (None in build mode)."""

    def call_site(self, node: ast.Call, method: bool) -> CallSite:
        """Which outputs of the call are used and its input's rank (`method`: the input is
        the receiver), as far as the enclosing function's source says."""

    def operand_kind(self, node: ast.expr) -> str | None:
        """An op operand's kind in the knowledge base's words: "scalar" (a static Python
        number), "const" (a tensor built only from static values), "tensor", None (unknown)."""

    def kind_of_known(self, node: ast.expr) -> Kind | None:
        """The kind of `node` from what is already known, without visiting it again."""
