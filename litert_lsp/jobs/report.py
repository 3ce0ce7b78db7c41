"""The readable report of one export or conversion check, for the editor's output channel (and
any other place that wants every figure, not one line): what was built and from what, how well
it agrees with the framework, what it costs to run, or why it failed and what to do."""

from __future__ import annotations

from pathlib import Path

from litert_lsp.jobs.job import ExportResult


def headline(what: str, result: ExportResult, write: bool) -> str:
    """One line: the outcome and the figures that matter most."""
    if result.status == "cancelled":
        return f"the export of {what} was cancelled; no file was written."
    if not result.ok:
        where = ""
        first = result.failures[0] if result.failures else None
        if first is not None and f"{Path(first.path).name}:{first.line}" not in result.message:
            where = f" ({Path(first.path).name}:{first.line})"
        return f"{what} did not convert at '{result.stage}'{where}: {result.message}"
    figures = (f"{(result.size_bytes or 0) / 1024:.1f} KiB, max abs error {_number(result.max_abs_error)} "
               f"(rel {_number(result.max_rel_error)}), latency {_ms(result.latency_ms_mean)} mean / "
               f"{_ms(result.latency_ms_p90)} p90")
    if write:
        return f"exported {what} to {result.output}: {figures}"
    return f"{what} converts and verifies: {figures}"


def export_report(what: str, result: ExportResult, write: bool, constructor: str | None = None,
                  notes: list[str] | None = None) -> str:
    """Several lines: the headline, then one labelled line per fact the job knows."""
    details = result.details
    lines = [headline(what, result, write)]

    def add(label: str, value: object) -> None:
        if value not in (None, "", [], {}):
            lines.append(f"  {label:<13} {value}")

    add("model", details.get("model"))
    add("constructor", constructor)
    if "checkpoint" in details:
        add("checkpoint", details.get("checkpoint") or "none (the weights __init__ makes)")
    add("weights", details.get("weights"))
    add("inputs from", details.get("inputs_from"))
    add("quantization", details.get("quantization"))
    if result.size_bytes is not None:
        add("size", f"{result.size_bytes:,} bytes ({result.size_bytes / 1024:.1f} KiB)")
    if result.max_abs_error is not None:
        add("max error", f"abs {_number(result.max_abs_error)}, rel {_number(result.max_rel_error)}")
    if result.latency_ms_mean is not None:
        add("latency", f"mean {_ms(result.latency_ms_mean)}, p90 {_ms(result.latency_ms_p90)} "
                       f"({details.get('latency_runs', '?')} runs, LiteRT interpreter, this CPU)")
    for kind, tensors in (("input", result.inputs), ("output", result.outputs)):
        for tensor in tensors:
            add(kind, f"{tensor.name} {tensor.shape} {tensor.dtype}")
    if result.op_histogram:
        add("ops", ", ".join(f"{name} x{count}" for name, count in result.op_histogram.items()))
    for warning in details.get("warnings") or []:
        add("warning", warning)
    for failure in result.failures:
        add("at", f"{failure.path}:{failure.line}: {failure.message}")
    for note in notes or []:
        if constructor is None or not note.startswith("constructor: "):
            add("note", note)
    return "\n".join(lines)


def _number(value: float | None) -> str:
    return "?" if value is None else f"{value:.2g}"


def _ms(value: float | None) -> str:
    return "?" if value is None else f"{value:.2f} ms"
