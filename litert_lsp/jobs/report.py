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
    return "\n".join([headline(what, result, write), *fact_lines(result, constructor, notes)])


def fact_lines(result: ExportResult, constructor: str | None = None, notes: list[str] | None = None) -> list[str]:
    """One labelled line per fact of an export (`  size          20,480 bytes ...`), the same
    in the CLI's report and the editor's: what was built from what, how well it agrees, what
    it costs to run, and where it failed."""
    details = result.details
    lines: list[str] = []

    def add(label: str, value: object) -> None:
        if value not in (None, "", [], {}):
            lines.append(f"  {label:<13} {value}")

    add("model", details.get("model"))
    add("constructor", constructor)
    if result.ok or "checkpoint" in details:
        add("checkpoint", details.get("checkpoint") or "none (the weights __init__ makes)")
    if details.get("losses_set_aside"):
        add("graph", f"a training graph: its loss ({', '.join(details['losses_set_aside'])}) was set aside; "
                     "the outputs are what it is computed from (choose with --output-names)")
    add("output from", details.get("hf_output"))
    add("weights", details.get("weights"))
    add("inputs from", details.get("inputs_from"))
    add("dynamic", details.get("dynamic"))
    add("quantization", details.get("quantization"))
    if result.size_bytes is not None:
        size = f"{result.size_bytes:,} bytes ({result.size_bytes / 1024:.1f} KiB)"
        if details.get("float_size_bytes"):
            size += f", {result.size_bytes / details['float_size_bytes']:.0%} of the float model's " \
                    f"{details['float_size_bytes']:,}"
        add("size", size)
    accuracy = details.get("calibration_error")
    if accuracy:
        text = (f"on {accuracy['samples']} calibration samples: mean rel error {accuracy['mean_rel_error']:.3g}, "
                f"worst {accuracy['max_rel_error']:.3g}")
        if "top1_agreement" in accuracy:
            text += f", top-1 agrees {accuracy['top1_agreement']:.0%}"
        add("vs float", text)
    for note in [*(details.get("notes") or []), *(notes or [])]:
        if constructor is None or not note.startswith("constructor: "):
            add("note", note)
    for warning in details.get("warnings") or []:
        add("warning", warning)
    if result.max_abs_error is not None:
        tolerance = details.get("tolerance") or {}
        add("max error", f"abs {result.max_abs_error:.3g}, rel {(result.max_rel_error or 0):.3g}"
                         + (f" (tolerance atol={tolerance['atol']:.3g}, rtol={tolerance['rtol']:.3g})"
                            if tolerance else ""))
    if result.latency_ms_mean is not None:
        add("latency", f"mean {_ms(result.latency_ms_mean)}, p90 {_ms(result.latency_ms_p90)} "
                       f"({details.get('latency_runs', '?')} runs, LiteRT interpreter, this CPU)")
    signatures = details.get("shape_signatures") or {}
    for kind, tensors in (("input", result.inputs), ("output", result.outputs)):
        for tensor in tensors:
            # The .tflite's shape signature (-1: dynamic) when it has one, else the shape verified.
            shape = signatures.get(tensor.name, tensor.shape) if kind == "input" else tensor.shape
            add(kind, f"{tensor.name} {shape} {tensor.dtype}")
    if result.op_histogram:
        add("ops", ", ".join(f"{name} x{count}" for name, count in result.op_histogram.items()))
    for failure in result.failures:
        add("at", f"{failure.path}:{failure.line}: {failure.message}")
    return lines


def _number(value: float | None) -> str:
    return "?" if value is None else f"{value:.2g}"


def _ms(value: float | None) -> str:
    return "?" if value is None else f"{value:.3g} ms"
