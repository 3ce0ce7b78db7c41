"""What a PyTorch rule's hooks receive: the walker, seen through the few methods rules use.

A Protocol, so that `rules/` depends on this small interface and not on the walker that
calls them (the walker imports the rules; the rules must not import it back).
"""

from __future__ import annotations

import ast
from typing import Protocol

from litert_lsp.analysis.torch.values import Kind
from litert_lsp.core.findings import Severity


class TraceContext(Protocol):
    def report(self, node: ast.AST, code: str, message: str, op: str | None = None,
               status: str | None = None, data: dict | None = None,
               severity: Severity | None = None) -> None:
        """Record a finding on `node`'s span (the first finding of a span wins)."""

    def is_mask(self, node: ast.expr) -> bool:
        """Whether `node` is a boolean tensor."""

    def kind_of_known(self, node: ast.expr) -> Kind | None:
        """The kind of `node` from what is already known, without visiting it again."""
