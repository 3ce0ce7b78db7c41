"""The stable diagnostic codes. Each one has a section in docs/diagnostics.md.

Families:
  LRT0xx  the file itself (syntax)
  LRT1xx  PyTorch ops, from the measured compatibility knowledge base
  LRT2xx  PyTorch code that `torch.export` cannot trace
  LRT3xx  TensorFlow / Keras ops and constructs
  LRT9xx  results of a real conversion (reported after "Check conversion" / export)
"""

from __future__ import annotations

from dataclasses import dataclass

from litert_lsp.core.findings import Severity


@dataclass(frozen=True)
class Code:
    code: str
    name: str
    severity: Severity
    summary: str


_ALL = [
    Code("LRT001", "syntax-error", Severity.ERROR,
         "The file does not parse; the rest of it is still analyzed as far as it parses."),
    # PyTorch ops (status from the knowledge base -> code).
    Code("LRT101", "torch-export-fails", Severity.ERROR,
         "The op makes torch.export fail, so the model cannot be converted."),
    Code("LRT102", "torch-no-lowering", Severity.ERROR,
         "litert-torch has no lowering for an ATen op this call becomes."),
    Code("LRT103", "torch-lowering-fails", Severity.ERROR,
         "litert-torch has a lowering for the op, but it fails on this op."),
    Code("LRT104", "torch-runtime-fails", Severity.ERROR,
         "The op converts, but the LiteRT runtime cannot run the result."),
    Code("LRT105", "torch-wrong-numbers", Severity.WARNING,
         "The op converts and runs, but the LiteRT result disagrees with PyTorch."),
    Code("LRT106", "torch-conditional", Severity.WARNING,
         "The op converts for some arguments, shapes or dtypes and fails for others."),
    # torch.export traceability.
    Code("LRT201", "tensor-control-flow", Severity.ERROR,
         "Python control flow (if/while/assert/bool()) on a tensor value cannot be traced."),
    Code("LRT202", "tensor-to-python", Severity.ERROR,
         ".item(), .tolist() or .numpy() in traced code leaves the graph."),
    Code("LRT203", "boolean-mask-indexing", Severity.ERROR,
         "Indexing with a boolean mask gives an output whose size depends on values."),
    Code("LRT204", "data-dependent-shape", Severity.ERROR,
         "The op's output size depends on tensor values, which torch.export cannot trace."),
    Code("LRT205", "randomness-in-eval", Severity.ERROR,
         "Random sampling that still runs after eval() cannot become a LiteRT graph."),
    # TensorFlow / Keras.
    Code("LRT301", "tf-select-ops", Severity.WARNING,
         "The op converts only with Select TF ops: the app must ship the larger Flex runtime."),
    Code("LRT302", "tf-unsupported", Severity.ERROR,
         "The op converts neither to LiteRT builtins nor with Select TF ops."),
    Code("LRT303", "tf-gpu-incompatible", Severity.INFORMATION,
         "The op converts, but the LiteRT GPU delegate will not run it (opt-in)."),
    Code("LRT304", "tf-py-function", Severity.ERROR,
         "tf.py_function / tf.numpy_function run Python at run time; LiteRT cannot."),
    Code("LRT305", "tf-trace-time-value", Severity.ERROR,
         "Code that needs a tensor's value at trace time (.numpy(), Python branches on tensors)."),
    Code("LRT306", "tf-strings-ragged", Severity.WARNING,
         "String or ragged tensor handling needs Select TF ops (the Flex runtime)."),
    Code("LRT307", "keras-unsupported-layer", Severity.ERROR,
         "A Keras layer, or a layer option, that LiteRT cannot take."),
    # Real conversion results.
    Code("LRT901", "conversion-failed", Severity.ERROR,
         "A real conversion of this model failed at this line."),
    Code("LRT902", "verification-failed", Severity.ERROR,
         "The converted model runs, but its outputs disagree with the original framework."),
]

CODES: dict[str, Code] = {c.code: c for c in _ALL}

# Knowledge-base status -> diagnostic code (PyTorch).
TORCH_STATUS_CODES: dict[str, str] = {
    "export_fails": "LRT101",
    "no_lowering": "LRT102",
    "lowering_fails": "LRT103",
    "runtime_fails": "LRT104",
    "wrong_numbers": "LRT105",
    "conditional": "LRT106",
}

# Knowledge-base status -> diagnostic code (TensorFlow).
TF_STATUS_CODES: dict[str, str] = {
    "select_tf_ops": "LRT301",
    "unsupported": "LRT302",
}


def default_severity(code: str) -> Severity:
    known = CODES.get(code)
    return known.severity if known else Severity.WARNING
