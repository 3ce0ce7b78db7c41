"""One PyTorch probe through the real toolchain: torch.export -> litert-torch -> LiteRT -> compare.

Runs inside a probe worker only (imports torch, litert_torch, numpy, ai_edge_litert). The
result says which layer failed first, with the first line of the real error; only the last
layer reached is the truth, so every layer is tried in order.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import torch

ATOL = 1e-3
RTOL = 1e-3


_MLIR_LOCATION = re.compile(r'error: "[^\n]*?\)\): ')  # error: "module;"("fn"("file.py":1:0)): ...
_WHILE_EXECUTING = re.compile(r"While executing .*?target=(?:torch\.ops\.)?(aten\.[\w.]+)")


def first_line(error: BaseException) -> str:
    """The error's first informative line: converters often lead with a bare heading
    ("Failed to export flatbuffer:", "Verification failed:") or a lone key ("torch.complex64")
    and give the cause on a later line; that cause is what a user can act on."""
    text = _MLIR_LOCATION.sub("error: ", str(error).strip())
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    head = lines[0] if lines else ""
    rest = lines[1:]
    if head.endswith(":"):
        detail = next((line for line in rest if line.lower().startswith("error:") or " error: " in line), None)
        detail = detail or next((line for line in rest if not line.startswith("While executing")), "")
        head = f"{head} {detail}".strip()
    select = next((line for line in rest if re.match(r"(TF Select|Flex|Custom) ops?:", line)), None)
    if select and select not in head:
        head = f"{head.rstrip('. ')}. {select}"
    executing = _WHILE_EXECUTING.search(text)
    if executing and len(head) < 60 and executing.group(1) not in head:  # a lone key or type name: say which ATen op raised it
        head = f"{head} (while lowering {executing.group(1)})"
    result = f"{type(error).__name__}: {head}"
    # Paths of this machine say nothing about the op: keep the file name only.
    return re.sub(r"(?:/[\w.+-]+)+/([\w.+-]+\.py)", r"\1", result)[:400]


def unconverted_ops(converted: Any) -> list[str]:
    """Ops of a converted-but-unwritable model that are not LiteRT (tfl) ops: when flatbuffer
    export fails without a message, these are what it could not write. Reads litert-torch's
    private exporter, so any surprise there yields no names rather than an error."""
    try:
        text = str(converted._exporter.module)
    except Exception:  # noqa: BLE001 - best-effort detail for an error message
        return []
    names = set(re.findall(r"=\s*\"?([a-z_]+\.[\w.]+)\"?[ (]", text))
    # After a failed export the module may be in its serialized (VHLO) form: say the StableHLO name.
    names = {re.sub(r"^vhlo\.(\w+?)_v\d+$", r"stablehlo.\1", n) for n in names}
    return sorted(n for n in names if not n.startswith(("tfl.", "func.", "arith.constant", "vhlo.func", "vhlo.return")))


def flatten(value: Any) -> list[torch.Tensor]:
    """Tensors of an op's output, in order (tuples, namedtuples and lists flattened)."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        out: list[torch.Tensor] = []
        for item in value:
            out.extend(flatten(item))
        return out
    return []


class _Probe(torch.nn.Module):
    """Calls `call(module, *inputs)`; constants live in `self.consts` so they become weights."""

    def __init__(self, call: Callable[..., Any], consts: Sequence[torch.Tensor],
                 submodule: torch.nn.Module | None) -> None:
        super().__init__()
        self.call = call
        for index, const in enumerate(consts):
            self.register_buffer(f"c{index}", const)
        self.n_consts = len(consts)
        self.sub = submodule

    def forward(self, *inputs: torch.Tensor) -> Any:
        consts = [getattr(self, f"c{i}") for i in range(self.n_consts)]
        return tuple(flatten(self.call(self.sub, inputs, consts)))


def aten_ops(graph: Any) -> list[str]:
    """The ATen ops a graph calls."""
    names = set()
    for node in graph.nodes:
        if node.op == "call_function":
            name = getattr(node.target, "name", None)
            text = str(node.target)
            if text.startswith("aten.") or (callable(name) and name().startswith("aten::")):
                names.add(text)
    return sorted(names)


def probe_module(call: Callable[..., Any], inputs: Sequence[torch.Tensor],
                 consts: Sequence[torch.Tensor] = (), submodule: torch.nn.Module | None = None,
                 on_stage: Callable[[str], None] = lambda stage: None) -> dict[str, Any]:
    """Measure one call. Returns {status, layer, error, aten_ops, tflite_ops, max_*_error}."""
    import litert_torch

    from litert_lsp.worker.runtime import compare, op_histogram

    module = _Probe(call, consts, submodule).eval()
    inputs = tuple(inputs)
    result: dict[str, Any] = {"status": None, "layer": None, "error": None, "aten_ops": [],
                              "tflite_ops": [], "max_abs_error": None, "max_rel_error": None, "input_narrowing": None}
    with torch.no_grad():
        expected = [t.detach().clone() for t in module(*inputs)]
    if not expected:
        raise ValueError("the recipe's call returned no tensor")
    on_stage("export")
    try:
        exported = torch.export.export(module, inputs)
    except Exception as error:  # noqa: BLE001 - any failure here is the measurement
        return {**result, "status": "export_fails", "layer": "export", "error": first_line(error)}
    result["aten_ops"] = aten_ops(exported.graph)
    unspecified = values_unspecified(exported.graph)
    on_stage("convert")
    try:
        with _last_decomposition() as seen:
            try:
                converted = litert_torch.convert(module, inputs)
            finally:
                if seen:  # the graph the lowerings were given, after litert-torch's decompositions
                    result["aten_ops"] = aten_ops(seen[-1].graph)
    except Exception as error:  # noqa: BLE001 - any failure here is the measurement
        status = "no_lowering" if "Lowering not found" in str(error) else "lowering_fails"
        return {**result, "status": status, "layer": "lowering", "error": first_line(error)}
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "probe.tflite")
            converted.export(path)
            with open(path, "rb") as handle:
                content = handle.read()
    except Exception as error:  # noqa: BLE001 - any failure here is the measurement
        message = first_line(error)
        if message.rstrip().endswith(":"):  # no cause given: name the ops left unconverted
            left = unconverted_ops(converted)
            if left:
                message = f"{message.rstrip()} (ops left unconverted: {', '.join(left)})"
        return {**result, "status": "lowering_fails", "layer": "lowering", "error": message}
    on_stage("runtime")
    try:
        result["tflite_ops"] = sorted(op_histogram(content))
        result["input_narrowing"] = input_narrowing(content, [t.detach().numpy() for t in inputs])
        actual = _run(content, [t.detach().numpy() for t in inputs])
    except Exception as error:  # noqa: BLE001 - any failure here is the measurement
        return {**result, "status": "runtime_fails", "layer": "runtime", "error": first_line(error)}
    on_stage("compare")
    if unspecified:  # random or uninitialised values: only what the runtime returns can be checked
        result["values_compared"] = False
        mismatch = _shape_mismatch(actual, [_numpy(t) for t in expected])
        if mismatch:
            return {**result, "status": "wrong_numbers", "layer": "numerics", "error": mismatch}
        return {**result, "status": "supported"}
    comparison = compare(actual, [_numpy(t) for t in expected], atol=ATOL, rtol=RTOL)
    result["max_abs_error"] = _finite(comparison.max_abs_error)
    result["max_rel_error"] = _finite(comparison.max_rel_error)
    if not comparison.ok:
        return {**result, "status": "wrong_numbers", "layer": "numerics",
                "error": comparison.detail[:400]}
    return {**result, "status": "supported"}


# ATen ops whose output values are unspecified by definition (uninitialised memory).
_UNINITIALISED = frozenset({"empty", "empty_like", "empty_strided", "empty_permuted", "new_empty", "new_empty_strided"})


def values_unspecified(graph: Any) -> bool:
    """Whether the graph draws random numbers (ATen's `nondeterministic_seeded` tag) or reads
    uninitialised memory (`empty`): then LiteRT cannot be expected to give eager's numbers."""
    for node in graph.nodes:
        if node.op != "call_function":
            continue
        tags = getattr(node.target, "tags", ()) or ()
        packet = getattr(getattr(node.target, "overloadpacket", None), "__name__", "")
        if torch.Tag.nondeterministic_seeded in tags or packet in _UNINITIALISED:
            return True
    return False


def _shape_mismatch(actual: Sequence[np.ndarray], expected: Sequence[np.ndarray]) -> str | None:
    if len(actual) != len(expected):
        return f"LiteRT returned {len(actual)} outputs, PyTorch {len(expected)}"
    for index, (got, want) in enumerate(zip(actual, expected)):
        if tuple(got.shape) != tuple(want.shape):
            return f"output {index}: shape {tuple(got.shape)}, PyTorch {tuple(want.shape)}"
    return None


@contextlib.contextmanager
def _last_decomposition() -> Iterator[list[Any]]:
    """Record the programs litert-torch's decomposition passes return, without running the
    (slow) decompositions a second time ourselves."""
    from litert_torch import fx_infra

    seen: list[Any] = []
    original = fx_infra.safe_run_decompositions

    def spy(*args: Any, **kwargs: Any) -> Any:
        program = original(*args, **kwargs)
        seen.append(program)
        return program

    fx_infra.safe_run_decompositions = spy
    try:
        yield seen
    finally:
        fx_infra.safe_run_decompositions = original


def _numpy(tensor: torch.Tensor) -> np.ndarray:
    if tensor.is_complex():
        return torch.view_as_real(tensor).numpy()
    return tensor.detach().numpy()


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _default_signature(content: bytes) -> tuple[Any, list[str], list[str]]:
    """A fresh interpreter's default signature runner, its input names and output names.

    Each caller gets its own interpreter, so a feed the runtime refuses cannot leave state
    behind for the measured run."""
    from litert_lsp.worker.runtime import load_interpreter

    interpreter = load_interpreter(content)
    signatures = interpreter.get_signature_list()
    key = next(iter(signatures))
    return interpreter.get_signature_runner(key), signatures[key]["inputs"], signatures[key]["outputs"]


def input_narrowing(content: bytes, inputs: list[np.ndarray]) -> str | None:
    """When the .tflite declares a narrower input dtype than the module was given (litert-torch
    turns int64 inputs into int32), what the LiteRT runtime says when fed the original values.
    The probe then feeds the declared dtype, so the verdict is the op's; this records what an
    app feeding int64 would meet. None when every input keeps its dtype (or int64 is accepted)."""
    runner, names, _outputs = _default_signature(content)
    details = runner.get_input_details()
    if len(names) != len(inputs):
        return None
    narrowed = [(name, value) for name, value in zip(names, inputs)
                if value.dtype == np.int64 and details[name]["dtype"] != np.int64]
    if not narrowed:
        return None
    feed = {name: np.ascontiguousarray(value if value.dtype == np.int64 else value.astype(details[name]["dtype"]))
            for name, value in zip(names, inputs)}
    try:
        runner(**feed)
    except Exception as error:  # noqa: BLE001 - the runtime's refusal is the measurement
        return first_line(error)
    return None


def _run(content: bytes, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """Run the default signature, casting inputs to the dtypes the .tflite declares
    (litert-torch may narrow int64 to int32)."""
    runner, names, outputs = _default_signature(content)
    details = runner.get_input_details()
    if len(names) != len(inputs):
        raise ValueError(f"the .tflite takes {len(names)} inputs, the module {len(inputs)}")
    feed = {name: np.ascontiguousarray(value.astype(details[name]["dtype"]))
            for name, value in zip(names, inputs)}
    output = runner(**feed)
    values = [np.asarray(output[name]) for name in outputs]
    # Complex outputs are compared as (real, imag) pairs, like the eager side.
    return [np.stack([v.real, v.imag], -1) if np.iscomplexobj(v) else v for v in values]
