"""The data that crosses the process boundary between the server/CLI and the export worker.

Plain dataclasses that round-trip through JSON; no framework import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal, get_args

# How a job ended. "ok": converted and verified. "failed": a stage failed (see `stage`).
# "mismatch": it runs in LiteRT but disagrees with the framework (LRT902). "unverified":
# converted (and written) but LiteRT here cannot run it (Select TF ops need Flex). "cancelled"
# and "timeout": stopped by the caller; no file was written.
Status = Literal["ok", "failed", "mismatch", "unverified", "cancelled", "timeout"]
STATUSES: tuple[str, ...] = get_args(Status)

# Called by exporters as they go: (stage, message, percent 0-100 or None).
Progress = Callable[[str, str, "float | None"], None]


@dataclass
class ExportRequest:
    source: str  # a Python file with model code, or a file/folder that carries its own graph
    model: str | None = None  # model class (or Keras-building function) name
    checkpoint: str | None = None
    weights: str | None = None  # the key path of the weights inside a training checkpoint
    input_shapes: list[list[int]] | None = None  # -1: a dynamic size (see jobs/shapes.py)
    dynamic_batch: bool = False  # dimension 0 of every input dynamic, whatever the shapes say
    input_dtypes: list[str] | None = None  # one per input shape; default float32
    output: str | None = None  # where the .tflite goes; None with write_output=False
    write_output: bool = True  # False for "check conversion": convert and verify only
    quantize: str | None = None  # None | "int8" (dynamic range) | "float16" | "full-int8"
    calibration: str | None = None  # full-int8: a folder of .npy/.npz samples (None: random, with a warning)
    allow_select_tf_ops: bool = False
    allow_pickle: bool = False  # whole pickled models run code when loaded: opt-in only
    allow_unverified: bool = False  # write a converted model that cannot be run here (Flex)
    atol: float = 1e-4
    rtol: float = 1e-3
    constructor_args: list[Any] = field(default_factory=list)
    constructor_kwargs: dict[str, Any] = field(default_factory=dict)
    input_names: list[str] | None = None  # TF1 graphs: placeholders to use as inputs
    output_names: list[str] | None = None  # TF1 graphs: ops to use as outputs
    signature: str | None = None  # SavedModel: the signature to convert (else `model`, else the only one)
    workspace: str | None = None
    # On a numerical mismatch, convert submodules alone to find where it starts (PyTorch).
    # Also: a conversion error that names no line of the user's is searched for the smallest
    # submodule that fails the same way alone.
    find_culprit: bool = True
    # Names this job's temporary files (`.<output>.<token>.*.partial`), so that cleaning up
    # after a killed worker removes only them, never another job's or process's.
    job_token: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExportRequest:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TensorInfo:
    name: str
    shape: list[int]
    dtype: str


@dataclass
class SourceFailure:
    """A conversion failure mapped back to a line of the user's code."""

    path: str
    line: int  # 1-based
    message: str
    stage: str
    # When the failing line is in an installed library (transformers' modeling_llama.py:NNN), the
    # failure sits at the user's call that reaches it and names the library line here.
    library_path: str | None = None
    library_line: int | None = None


@dataclass
class ExportResult:
    ok: bool
    message: str  # one or two sentences the user can act on
    stage: str | None = None  # the stage that failed, when not ok
    output: str | None = None
    size_bytes: int | None = None
    op_histogram: dict[str, int] = field(default_factory=dict)
    inputs: list[TensorInfo] = field(default_factory=list)
    outputs: list[TensorInfo] = field(default_factory=list)
    latency_ms_mean: float | None = None
    latency_ms_p90: float | None = None
    max_abs_error: float | None = None
    max_rel_error: float | None = None
    failures: list[SourceFailure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    status: Status | None = None  # None: "ok" or "failed", from `ok`

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            self.status = "ok" if self.ok else "failed"
        elif self.ok != (self.status == "ok"):
            raise ValueError(f"an ExportResult with ok={self.ok} cannot have status {self.status!r}")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExportResult:
        data = dict(data)
        data["inputs"] = [TensorInfo(**t) for t in data.get("inputs", [])]
        data["outputs"] = [TensorInfo(**t) for t in data.get("outputs", [])]
        data["failures"] = [SourceFailure(**f) for f in data.get("failures", [])]
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


class ExportError(Exception):
    """A failure with a sentence for the user, raised inside exporters."""

    def __init__(self, stage: str, message: str, failures: list[SourceFailure] | None = None):
        super().__init__(message)
        self.stage = stage
        self.message = message
        self.failures = failures or []
