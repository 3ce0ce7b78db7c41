"""What the analyzer reports: one `Finding` per problem, with an exact source span.

Positions follow Python's `ast`: lines are 1-based, columns are 0-based indices into the
line as a Python `str` (code points). Front ends convert at their edge: the CLI prints
1-based columns, the server converts to the client's position encoding (UTF-16 by default).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Any


class Severity(enum.IntEnum):
    """Ordered like LSP's DiagnosticSeverity (1 = most severe)."""

    ERROR = 1
    WARNING = 2
    INFORMATION = 3
    HINT = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Accept `error`, `Warning`, `info`, `information`, `hint`."""
        key = text.strip().upper()
        if key == "INFO":
            key = "INFORMATION"
        try:
            return cls[key]
        except KeyError:
            raise ValueError(
                f"unknown severity {text!r}: use error, warning, information or hint"
            ) from None


@dataclass(frozen=True)
class Finding:
    """One problem at one span of a source file."""

    line: int
    column: int
    end_line: int
    end_column: int
    severity: Severity
    code: str
    message: str
    # Qualified name of the op involved (`torch.unique`), when there is one.
    op: str | None = None
    # Knowledge-base status behind the finding (`no_lowering`, `select_tf_ops`, ...), so
    # settings can re-map the severity of each status.
    status: str | None = None
    # Extra facts for quick fixes and hovers (e.g. a verified rewrite); JSON-serialisable.
    data: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def with_severity(self, severity: Severity) -> Finding:
        return replace(self, severity=severity)

    def shifted(self, lines: int) -> Finding:
        """The same finding moved down by `lines` (used when a block is analyzed alone)."""
        if lines == 0:
            return self
        return replace(self, line=self.line + lines, end_line=self.end_line + lines)

    def to_json(self, path: str | None = None) -> dict[str, Any]:
        """The CLI's JSON shape: 1-based lines and columns."""
        record: dict[str, Any] = {}
        if path is not None:
            record["path"] = path
        record.update(
            line=self.line,
            column=self.column + 1,
            end_line=self.end_line,
            end_column=self.end_column + 1,
            severity=self.severity.label,
            code=self.code,
            message=self.message,
        )
        if self.op:
            record["op"] = self.op
        if self.status:
            record["status"] = self.status
        return record
