"""The stable diagnostic codes. Each one has a section in docs/diagnostics.md.

Families:
  LRT0xx  the file itself (syntax)
  LRT1xx  PyTorch ops, from the measured compatibility knowledge base
  LRT2xx  PyTorch code that `torch.export` cannot trace, and measured idioms (LRT206)
  LRT3xx  TensorFlow / Keras ops and constructs
  LRT9xx  results of a real conversion (reported after "Check conversion" / export)
"""

from __future__ import annotations

from dataclasses import dataclass

from litert_lsp.core.findings import Severity


@dataclass(frozen=True)
class Code:
    """One diagnostic code: what the user sees in the Problems panel and where it is documented."""

    code: str
    name: str  # the slug after the code in docs/diagnostics.md headings
    severity: Severity  # default; settings may re-map it
    summary: str  # one-line title (SARIF rule descriptions, hovers)
    # Reported only when a setting asks for it (LRT303: `gpu-compatibility`).
    opt_in: bool = False

    @property
    def anchor(self) -> str:
        """The heading's anchor in docs/diagnostics.md (`## LRT202 tensor-to-python`)."""
        return f"{self.code.lower()}-{self.name}"

    @property
    def docs_url(self) -> str:
        return f"docs/diagnostics.md#{self.anchor}"

    def href(self, base: str | None = None) -> str:
        """The absolute link to this code's documentation (`base`: where docs/ is published)."""
        return f"{(base or DOCS_BASE).rstrip('/')}/{self.docs_url}"


# Where the repository's documentation is published; the `docs-url` setting may point elsewhere
# (a mirror, an internal copy).
DOCS_BASE = "https://github.com/litert-lsp/litert-lsp/blob/main"


LRT001 = Code("LRT001", "syntax-error", Severity.ERROR,
              "The file does not parse; the rest of it is still analyzed as far as it parses.")
# PyTorch ops (status from the knowledge base -> code).
LRT101 = Code("LRT101", "torch-export-fails", Severity.ERROR,
              "The op makes torch.export fail, so the model cannot be converted.")
LRT102 = Code("LRT102", "torch-no-lowering", Severity.ERROR,
              "litert-torch has no lowering for an ATen op this call becomes.")
LRT103 = Code("LRT103", "torch-lowering-fails", Severity.ERROR,
              "litert-torch has a lowering for the op, but it fails on this op.")
LRT104 = Code("LRT104", "torch-runtime-fails", Severity.ERROR,
              "The op converts, but the LiteRT runtime cannot run the result.")
LRT105 = Code("LRT105", "torch-wrong-numbers", Severity.WARNING,
              "The op converts and runs, but the LiteRT result disagrees with PyTorch.")
LRT106 = Code("LRT106", "torch-conditional", Severity.WARNING,
              "The op converts for some arguments, shapes or dtypes and fails for others.")
# torch.export traceability.
LRT201 = Code("LRT201", "tensor-control-flow", Severity.ERROR,
              "Python control flow (if/while/assert/bool()) on a tensor value cannot be traced.")
LRT202 = Code("LRT202", "tensor-to-python", Severity.ERROR,
              ".item(), .tolist() or .numpy() in traced code leaves the graph.")
LRT203 = Code("LRT203", "boolean-mask-indexing", Severity.ERROR,
              "Indexing with a boolean mask gives an output whose size depends on values.")
LRT204 = Code("LRT204", "data-dependent-shape", Severity.ERROR,
              "The op's output size depends on tensor values, which torch.export cannot trace.")
LRT205 = Code("LRT205", "randomness-in-eval", Severity.ERROR,
              "Random sampling that still runs after eval() cannot become a LiteRT graph.")
# PyTorch idioms: constructs of several ops, measured by tools/probes/torch_idioms.py.
LRT206 = Code("LRT206", "gqa-kv-widening", Severity.ERROR,
              "Grouped-query attention with K/V widened to the query heads converts with wrong numbers.")
# TensorFlow / Keras.
LRT301 = Code("LRT301", "tf-select-ops", Severity.WARNING,
              "The op converts only with Select TF ops: the app must ship the larger Flex runtime.")
LRT302 = Code("LRT302", "tf-unsupported", Severity.ERROR,
              "The op converts neither to LiteRT builtins nor with Select TF ops.")
LRT303 = Code("LRT303", "tf-gpu-incompatible", Severity.INFORMATION,
              "The op converts, but the LiteRT GPU delegate will not run it (opt-in).", opt_in=True)
LRT304 = Code("LRT304", "tf-py-function", Severity.ERROR,
              "tf.py_function / tf.numpy_function run Python at run time; LiteRT cannot.")
LRT305 = Code("LRT305", "tf-trace-time-value", Severity.ERROR,
              "Code that needs a tensor's value at trace time (.numpy(), Python branches on tensors).")
LRT306 = Code("LRT306", "tf-strings-ragged", Severity.WARNING,
              "String or ragged tensor handling needs Select TF ops (the Flex runtime).")
LRT307 = Code("LRT307", "keras-unsupported-layer", Severity.ERROR,
              "A Keras layer, or a layer option, that LiteRT cannot take.")
# Real conversion results.
LRT901 = Code("LRT901", "conversion-failed", Severity.ERROR,
              "A real conversion of this model failed at this line.")
LRT902 = Code("LRT902", "verification-failed", Severity.ERROR,
              "The converted model runs, but its outputs disagree with the original framework.")

_ALL = [
    LRT001, LRT101, LRT102, LRT103, LRT104, LRT105, LRT106, LRT201, LRT202, LRT203, LRT204, LRT205, LRT206,
    LRT301, LRT302, LRT303, LRT304, LRT305, LRT306, LRT307, LRT901, LRT902,
]

CODES: dict[str, Code] = {c.code: c for c in _ALL}

# Knowledge-base status -> diagnostic code (PyTorch).
TORCH_STATUS_CODES: dict[str, str] = {
    "export_fails": LRT101.code,
    "no_lowering": LRT102.code,
    "lowering_fails": LRT103.code,
    "runtime_fails": LRT104.code,
    "wrong_numbers": LRT105.code,
    "conditional": LRT106.code,
}

# Knowledge-base status -> diagnostic code (TensorFlow).
TF_STATUS_CODES: dict[str, str] = {
    "select_tf_ops": LRT301.code,
    "unsupported": LRT302.code,
}


def default_severity(code: str) -> Severity:
    known = CODES.get(code)
    return known.severity if known else Severity.WARNING
