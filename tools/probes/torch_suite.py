"""The PyTorch suite: one job per probe variant (`NAME::INDEX`) plus `NAME::rewrite` for ops
with a candidate rewrite; `build_document` turns the measured outcomes into `data/torch.json`.

Only `probe_one` runs in the workers. `jobs()` and `build_document()` run in the parent and
import torch for introspection (names, parameters), never litert_torch.
"""

from __future__ import annotations

import datetime
import os
import re
import tempfile
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

FRAMEWORK = "torch"
WORKER_MODULE = "tools.probes.torch_worker"
SCHEMA = 1
LAYER_OF = {"export_fails": "export", "no_lowering": "lowering", "lowering_fails": "lowering",
            "runtime_fails": "runtime", "wrong_numbers": "numerics", "supported": None}
STAGE_STATUS = {"export": "export_fails", "convert": "lowering_fails", "runtime": "runtime_fails",
                "compare": "wrong_numbers"}


def _stage_dir() -> Path:
    """Where a worker notes the stage it is in, so a crash or hang maps to a layer."""
    path = Path(os.environ.get("LITERT_LSP_STAGE_DIR") or Path(tempfile.gettempdir()) / "litert-lsp-probe-stage")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _stage_file(job: str) -> Path:
    return _stage_dir() / re.sub(r"[^\w.-]", "_", job)


def versions() -> dict[str, str]:
    found = {}
    for dist in ("torch", "litert-torch", "ai-edge-litert", "litert-converter"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = "absent"
    return found


# ---- parent: which jobs --------------------------------------------------------------------


def jobs() -> list[str]:
    from tools.probes.torch_recipes import recipes
    from tools.probes.torch_rewrites import candidate_for

    table = recipes()
    out = []
    for name, recipe in table.items():
        out.extend(f"{name}::{index}" for index in range(len(recipe.variants)))
        if candidate_for(name) and _rewrite_owner(name, table) == name:
            out.append(f"{name}::rewrite")
    return out


def _rewrite_owner(name: str, table: dict[str, Any]) -> str:
    """A mirrored `torch.Tensor.X` shares the probe of `torch.X`'s rewrite (same inputs, same math)."""
    if name.startswith("torch.Tensor."):
        function = "torch." + name.rsplit(".", 1)[-1]
        if function in table and table[function].variants is table[name].variants:
            return function
    return name


# ---- worker: one probe -----------------------------------------------------------------------


class _Slot:
    """A placeholder for a tensor argument: the index-th module input or constant."""

    def __init__(self, const: bool, index: int) -> None:
        self.const = const
        self.index = index


def _materialize(value: Any, inputs: list, consts: list, generator: Any) -> Any:
    from tools.probes.torch_recipes import T, make_tensor

    if isinstance(value, T):
        tensor = make_tensor(value, generator)
        bucket = consts if value.const else inputs
        bucket.append(tensor)
        return _Slot(value.const, len(bucket) - 1)
    if isinstance(value, list):
        return [_materialize(v, inputs, consts, generator) for v in value]
    if isinstance(value, tuple):
        return tuple(_materialize(v, inputs, consts, generator) for v in value)
    return value


def _resolve(value: Any, inputs: Sequence[Any], consts: Sequence[Any]) -> Any:
    if isinstance(value, _Slot):
        return (consts if value.const else inputs)[value.index]
    if isinstance(value, list):
        return [_resolve(v, inputs, consts) for v in value]
    if isinstance(value, tuple):
        return tuple(_resolve(v, inputs, consts) for v in value)
    return value


def _special_method(name: str, args: list[Any]) -> Any:
    import torch

    x = args[0]
    if name == "__getitem__":
        return x[args[1]]
    if name == "__setitem__":
        y = x.clone()
        y[args[1]] = args[2]
        return y
    if name == "item":
        return x * x.sum().item()
    if name == "tolist":
        return torch.tensor(x.tolist())
    if name == "numpy":
        return torch.from_numpy(x.numpy()) + 1
    raise ValueError(f"no call for {name}")


def _prepare(recipe: Any, variant: Any) -> tuple[Any, list, list, Any]:
    """(call(sub, inputs, consts), inputs, consts, submodule) for one variant."""
    import torch

    from tools.probes.torch_recipes import COMPLEX_INPUT, CREATION

    generator = torch.Generator().manual_seed(20240611)
    inputs: list = []
    consts: list = []
    args = _materialize(tuple(variant.args), inputs, consts, generator)
    kwargs = dict(variant.kwargs)
    target = recipe.target
    submodule = None
    if recipe.kind == "layer":
        torch.manual_seed(0)
        submodule = target(*variant.ctor, **variant.ctor_kwargs).eval()

        def call(sub: Any, ins: Sequence[Any], cs: Sequence[Any]) -> Any:
            return sub(*_resolve(args, ins, cs), **kwargs)
    elif isinstance(target, str):
        short = target.rsplit(".", 1)[-1]

        def call(sub: Any, ins: Sequence[Any], cs: Sequence[Any]) -> Any:
            return _special_method(short, list(_resolve(args, ins, cs)))
    elif recipe.name in CREATION or getattr(recipe, "adds_input", False):

        def call(sub: Any, ins: Sequence[Any], cs: Sequence[Any]) -> Any:
            resolved = _resolve(args, ins, cs)
            return target(*resolved[:-1], **kwargs) + resolved[-1]
    elif getattr(recipe, "clone_first", False):

        def call(sub: Any, ins: Sequence[Any], cs: Sequence[Any]) -> Any:
            first, *rest = _resolve(args, ins, cs)
            return target(first.clone(), *rest, **kwargs)
    elif recipe.name in COMPLEX_INPUT:

        def call(sub: Any, ins: Sequence[Any], cs: Sequence[Any]) -> Any:
            first, *rest = _resolve(args, ins, cs)
            return target(torch.fft.rfft(first), *rest, **kwargs)
    else:

        def call(sub: Any, ins: Sequence[Any], cs: Sequence[Any]) -> Any:
            return target(*_resolve(args, ins, cs), **kwargs)
    if variant.outputs_used is not None:
        return _keep_outputs(call, variant.outputs_used), inputs, consts, submodule
    return call, inputs, consts, submodule


def _keep_outputs(call: Any, keep: Sequence[int]) -> Any:
    """The call returning only the outputs `keep` names: the others are dead in the graph,
    as when a model reads only `torch.topk(...).values`."""
    from tools.probes.torch_probe import flatten

    def kept(sub: Any, ins: Sequence[Any], cs: Sequence[Any]) -> Any:
        outputs = flatten(call(sub, ins, cs))
        return tuple(outputs[i] for i in keep)

    return kept


def _note_stage(job: str, stage: str) -> None:
    _stage_file(job).write_text(stage)


def probe_one(job: str) -> dict[str, Any]:
    """Measure one job in this worker (imports the frameworks on first use)."""
    import time

    from tools.probes.torch_recipes import recipes

    started = time.monotonic()
    name, _, tag = job.partition("::")
    recipe = recipes()[name]
    if tag == "rewrite":
        result = _probe_rewrite(job, recipe)
    else:
        result = _probe_variant(job, recipe, recipe.variants[int(tag)])
    result["seconds"] = round(time.monotonic() - started, 3)
    _stage_file(job).unlink(missing_ok=True)
    return result


def _probe_variant(job: str, recipe: Any, variant: Any) -> dict[str, Any]:
    import torch

    from tools.probes import torch_probe

    call, inputs, consts, submodule = _prepare(recipe, variant)
    try:
        with torch.no_grad():
            torch_probe.flatten(call(submodule, inputs, consts)) or _no_tensor()
    except Exception as error:  # noqa: BLE001 - the recipe cannot call the op: no measurement
        return {"recipe_error": torch_probe.first_line(error)}
    result = torch_probe.probe_module(call, inputs, consts, submodule,
                                      on_stage=lambda stage: _note_stage(job, stage))
    return {**result, "label": variant.label}


def _no_tensor() -> None:
    raise ValueError("the call returned no tensor")


def _probe_rewrite(job: str, recipe: Any) -> dict[str, Any]:
    import torch

    from tools.probes import torch_probe
    from tools.probes.torch_rewrites import candidate_for

    description, code = candidate_for(recipe.name) or ("", "")
    original, inputs, consts, submodule = _prepare(recipe, recipe.variants[0])
    scope = {"torch": torch, "F": torch.nn.functional}
    rewritten = eval(f"lambda x=None, y=None, z=None, *rest: {code}", scope)  # our own table, not user code

    def call(sub: Any, ins: Sequence[Any], cs: Sequence[Any]) -> Any:
        tensors = _tensor_args(recipe.variants[0].args, ins, cs)
        return rewritten(*tensors)

    with torch.no_grad():
        try:
            want = torch_probe.flatten(original(submodule, inputs, consts))
        except Exception as error:  # noqa: BLE001 - reported as the result
            return {"recipe_error": torch_probe.first_line(error)}
        try:
            got = torch_probe.flatten(call(None, inputs, consts))
        except Exception as error:  # noqa: BLE001 - reported as the result
            return {"rewrite": code, "description": description, "eager_error": torch_probe.first_line(error)}
    eager_error = _max_abs_diff(want, got)
    result = torch_probe.probe_module(call, inputs, consts, None,
                                      on_stage=lambda stage: _note_stage(job, stage))
    return {**result, "rewrite": code, "description": description, "eager_max_abs_error": eager_error}


def _tensor_args(args: Sequence[Any], ins: Sequence[Any], cs: Sequence[Any]) -> list[Any]:
    """The tensors among a variant's arguments, in order (the rewrite's x, y, z)."""
    out: list[Any] = []
    counters = {"i": 0, "c": 0}
    from tools.probes.torch_spec import T

    def walk(value: Any) -> None:
        if isinstance(value, T):
            key = "c" if value.const else "i"
            out.append((cs if value.const else ins)[counters[key]])
            counters[key] += 1
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)

    for arg in args:
        walk(arg)
    return out


def _max_abs_diff(want: Sequence[Any], got: Sequence[Any]) -> float | None:
    if len(want) != len(got):
        return None
    worst = 0.0
    for a, b in zip(want, got):
        if tuple(a.shape) != tuple(b.shape):
            return None
        if a.numel():
            worst = max(worst, float((a.double() - b.double()).abs().max()))
    return worst


# ---- parent: the document ---------------------------------------------------------------------


def _literal(value: Any) -> Any:
    """A JSON-able spelling of a literal argument."""
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value if not (isinstance(value, float) and value in (float("inf"), float("-inf"))) else str(value)
    if isinstance(value, (list, tuple)):
        return [_literal(v) for v in value]
    return str(value)


def _args_words(variant: Any) -> str:
    from tools.probes.torch_spec import T

    def word(value: Any) -> str:
        if isinstance(value, T):
            return value.words()
        if isinstance(value, list):
            return "[" + ", ".join(word(v) for v in value) + "]"
        if isinstance(value, tuple):
            return "(" + ", ".join(word(v) for v in value) + ")"
        if isinstance(value, slice):
            return f"{'' if value.start is None else value.start}:{'' if value.stop is None else value.stop}" + (
                f":{value.step}" if value.step is not None else "")
        return repr(value)

    text = ", ".join(word(a) for a in variant.args)
    if variant.ctor or variant.ctor_kwargs:
        ctor = ", ".join([repr(a) for a in variant.ctor] + [f"{k}={v!r}" for k, v in variant.ctor_kwargs.items()])
        text = f"layer({ctor}) on {text}"
    return text


def _first_tensor(variant: Any) -> Any:
    from tools.probes.torch_spec import T

    for arg in variant.args:
        items = arg if isinstance(arg, (list, tuple)) else [arg]
        for item in items:
            if isinstance(item, T):
                return item
    return None


# Error texts seen from this toolchain, said in plain words (matched before the generic rules).
_KNOWN_CAUSES = [
    (r"IsPowerOfTwo", "the LiteRT RFFT2D kernel takes only power-of-two FFT lengths"),
    (r"Only 1D FFT on the last dimension",
     "litert-torch lowers only a 1-D FFT over the last dimension"),
    (r"FFT normalization != 0",
     "litert-torch lowers no FFT with a scale factor (norm='ortho', 'forward' on rfft, the inverse's default)"),
    (r"'stablehlo\.fft' op inferred type",
     "the FFT lowering builds an invalid stablehlo.fft (only rfft of a real input is lowered)"),
    (r"Unsupported ir element type: complex|torch\.complex64|complex<f32>",
     "complex tensors cannot be lowered (only rfft of a real input produces one)"),
    (r"unexpected keyword argument '(\w+)'", "the lowering does not take this keyword argument"),
    (r"comparator block argument .* 'tensor<i64>'", "the sort lowering mixes int32 and int64 indices"),
    (r"operations are currently supported for stablehlo\.scatter",
     "the LiteRT scatter kernel does not take this update (only replace, add, multiply, max, min)"),
    (r"Number of input tokens \(\d+\) does not match output tokens",
     "the linalg lowering emits a custom call the converter cannot take"),
    (r"DataDependentOutputException|DynamicOutputShapeException|PendingUnbackedSymbol|GuardOnDataDependent",
     "data-dependent value or output size"),
    (r"not supported by the native TFLite runtime",
     "becomes ops the builtin LiteRT runtime lacks (only TF Select could run them)"),
    (r"whose output has alias annotations",
     ("this in-place op cannot be functionalized by torch.export (it has no out-of-place ATen twin of the same "
      "signature)")),
    (r"Failed to export flatbuffer", "the converted model cannot be written as a flatbuffer"),
    (r"MLIRError: Verification failed", "the lowered MLIR fails verification"),
]
_DTYPE_WORDS = {"f64": "float64", "i64": "int64", "complex<f32>": "complex64"}
_PROBE_LOCATION = re.compile(r"\b[\w.-]+\.py:\d+:\d+: ")


def clean_error(error: str | None) -> str | None:
    """The real error without our probe module's source location (it says nothing about the op)."""
    return _PROBE_LOCATION.sub("", error) if error else error


def reason_for(status: str, error: str | None) -> str | None:
    """A short plain-words cause, derived from the real error text."""
    if status == "supported":
        return None
    text = error or ""
    match = re.search(r"Lowering not found: (aten\.[\w.]+)", text)
    if match:
        return f"no lowering for {match.group(1)}"
    match = re.search(r"Didn't find op for builtin opcode '(\w+)'", text)
    if match:
        return f"the LiteRT runtime has no kernel for {match.group(1)}"
    match = re.search(r"failed to legalize operation '([\w.]+)'", text)
    if match:
        # The operand types say why, when they are a dtype LiteRT lacks (pow of int32 is computed in f64).
        wide = sorted(set(re.findall(r"tensor<(?:[\dx?]*x)?(f64|i64|complex<f32>)>", text)))
        on = f" on {' and '.join(_DTYPE_WORDS.get(t, t) for t in wide)}" if wide else ""
        return f"the converter cannot legalize {match.group(1)}{on}"
    match = re.search(r"TF Select ops?: ([\w, ]+)", text)
    if match:
        ops = ", ".join(f"tf.{op.strip()}" for op in match.group(1).split(",") if op.strip())
        return f"becomes {ops}, which only the TF Select (Flex) runtime has, not the builtin LiteRT runtime"
    match = re.search(r"ops left unconverted: ([\w., ]+)", text)
    if match:
        return f"the converter has no LiteRT op for {match.group(1).strip()}, so no .tflite can be written"
    for pattern, words in _KNOWN_CAUSES:
        if re.search(pattern, text):
            if words.startswith("complex tensors"):  # say which ATen op met the complex tensor
                where = re.search(r"\(while lowering (aten\.[\w.]+)\)", text)
                return f"{words}; here {where.group(1)} gets one" if where else words
            return words
    lowered = text.lower()
    if "timed out" in lowered:
        return "the probe hung (timed out)"
    if "crashed" in lowered or "out of memory" in lowered:
        return f"the probe {text}"
    if "complex" in lowered:
        return "complex dtype"
    if "numpy" in lowered:
        return ".numpy() / non-tensor values in forward"
    if "must be concrete" in lowered or "nonconcrete" in lowered:
        return "data-dependent output size (boolean mask)"
    if "data-dependent" in lowered or "guardondatadependent" in lowered or "unbacked" in lowered:
        return "data-dependent value or output size"
    if "concretiz" in lowered or "tracerintegerconversion" in lowered or "abstract tracer" in lowered:
        return "data-dependent output size"
    if "float64" in lowered or "f64" in lowered:
        return "float64 dtype"
    if status == "wrong_numbers":
        match = re.search(r"output (\d+): max abs error ([\w.+-]+)", text)
        if match:
            return f"LiteRT's output {match.group(1)} differs from PyTorch (max abs error {match.group(2)})"
        return "LiteRT output differs from PyTorch"
    match = re.search(r"error: (.+)", text) or re.search(r"NotImplementedError: (.+)", text)
    if match:  # the converter's own words are the most precise cause we have
        return match.group(1).strip().rstrip(".")[:100]
    return {"export_fails": "torch.export cannot capture it", "no_lowering": "no lowering",
            "lowering_fails": "the lowering fails", "runtime_fails": "the LiteRT runtime rejects it"}.get(status)


def _aliases(names: set[str]) -> dict[str, list[str]]:
    """Other public spellings that are the very same object (torch.conv2d for F.conv2d)."""
    import torch

    from tools.probes.torch_recipes import recipes

    by_id: dict[int, list[str]] = {}
    spaces = {"torch": torch, "torch.nn.functional": torch.nn.functional, "torch.special": torch.special,
              "torch.linalg": torch.linalg, "torch.fft": torch.fft}
    for prefix, module in spaces.items():
        for short in dir(module):
            if short.startswith("_"):
                continue
            obj = getattr(module, short, None)
            if callable(obj):
                by_id.setdefault(id(obj), []).append(f"{prefix}.{short}")
    out: dict[str, list[str]] = {}
    for name, recipe in recipes().items():
        if recipe.kind != "function" or name not in names:
            continue
        same = [n for n in by_id.get(id(recipe.target), []) if n != name and n not in names]
        if same:
            out[name] = sorted(same)
    return out


def operand_kinds(variant: Any) -> list[str | None] | None:
    """What each positional argument of a variant is: "tensor" (a module input), "const" (a
    constant tensor: a weight, folded or not by the converter), "scalar" (a plain Python
    number), None (anything else). None for layers (their inputs are all tensors)."""
    from tools.probes.torch_spec import T

    if variant.ctor or variant.ctor_kwargs:
        return None
    kinds: list[str | None] = []
    for arg in variant.args:
        if isinstance(arg, T):
            kinds.append("const" if arg.const else "tensor")
        elif isinstance(arg, (int, float)) and not isinstance(arg, bool):
            kinds.append("scalar")
        else:
            kinds.append(None)
    return kinds


def _variant_record(variant: Any, result: dict[str, Any]) -> dict[str, Any]:
    tensor = _first_tensor(variant)
    return {
        "label": variant.label,
        "args": _args_words(variant),
        "kwargs": {k: _literal(v) for k, v in {**variant.ctor_kwargs, **variant.kwargs}.items()},
        "operands": operand_kinds(variant),
        "rank": len(tensor.shape) if tensor else None,
        "dtype": tensor.dtype if tensor else None,
        "status": result["status"],
        "error": clean_error(result.get("error")),
        "reason": reason_for(result["status"], clean_error(result.get("error"))),
        "aten_ops": result.get("aten_ops") or [],
        "tflite_ops": result.get("tflite_ops") or [],
        "max_abs_error": result.get("max_abs_error"),
        "max_rel_error": result.get("max_rel_error"),
        "seconds": result.get("seconds"),
        "input_narrowing": result.get("input_narrowing"),
        "outputs_used": list(variant.outputs_used) if getattr(variant, "outputs_used", None) is not None else None,
        # Derived variants say where their call came from (a twin's recipe, an OpInfo sample).
        **({"source": variant.source} if getattr(variant, "source", None) else {}),
        # Random or uninitialised outputs: only shapes were compared.
        **({"values_compared": False} if result.get("values_compared") is False else {}),
    }


def outcome_result(outcome: Any) -> dict[str, Any] | None:
    """The probe's measured result, with a crash or hang mapped to the layer it happened in.
    None when there is no measurement (the recipe could not call the op, or a probe bug)."""
    if outcome.failure:
        stage_file = _stage_file(outcome.job)
        stage = stage_file.read_text().strip() if stage_file.exists() else "convert"
        stage_file.unlink(missing_ok=True)
        status = STAGE_STATUS.get(stage, "lowering_fails")
        return {"status": status, "layer": LAYER_OF[status], "error": f"the probe {outcome.failure} while in {stage}",
                "aten_ops": [], "tflite_ops": [], "max_abs_error": None, "max_rel_error": None,
                "seconds": outcome.seconds}
    result = outcome.result or {}
    if "recipe_error" in result or "probe_error" in result or "status" not in result:
        return None
    return result


def _failing_words(failing: list[dict[str, Any]]) -> str:
    """The failing variants of a conditional entry grouped by cause, each group as
    "LABEL (status): cause" or "[LABEL; LABEL] (status): cause"."""
    groups: dict[tuple[str, str | None], list[str]] = {}
    for variant in failing:
        key = (variant["status"], reason_for(variant["status"], variant["error"]))
        groups.setdefault(key, []).append(variant["label"])
    parts = []
    for (status, cause), labels in groups.items():
        which = labels[0] if len(labels) == 1 else "[" + "; ".join(labels) + "]"
        words = f"{which} ({status.replace('_', ' ')})"
        parts.append(f"{words}: {cause}" if cause else words)
    return "; ".join(parts)


def entry_status(statuses: Sequence[str]) -> str:
    """All variants agree: their status. Some work: conditional. None works: the first's."""
    if all(s == "supported" for s in statuses):
        return "supported"
    if any(s == "supported" for s in statuses):
        return "conditional"
    return statuses[0]


def build_entry(recipe: Any, measured: list[tuple[Any, dict[str, Any]]], params: list[str] | None,
                aliases: list[str], rewrite: dict[str, Any] | None, version_map: dict[str, str]
                ) -> dict[str, Any]:
    variants = [_variant_record(variant, result) for variant, result in measured]
    failing = [v for v in variants if v["status"] != "supported"]
    status = entry_status([v["status"] for v in variants])
    condition = None
    if status == "conditional":
        works = "; ".join(v["label"] for v in variants if v["status"] == "supported")
        fails = _failing_words(failing)
        condition = f"fails for {fails}; works for {works}"
    narrowing = next((v["input_narrowing"] for v in variants if v.get("input_narrowing")), None)
    if narrowing:  # measured: the .tflite takes int32 where the module took int64
        note = ("the .tflite takes int32 where the PyTorch module takes int64, and the LiteRT runtime "
                f"rejects int64 values ({narrowing}): feed int32")
        condition = f"{condition}. Also: {note}" if condition else note
    first_fail = failing[0] if failing else None
    errors = [v[k] for v in variants for k in ("max_abs_error",) if v[k] is not None]
    rel_errors = [v["max_rel_error"] for v in variants if v["max_rel_error"] is not None]
    entry = {
        "framework": FRAMEWORK,
        "name": recipe.name,
        "kind": recipe.kind,
        "aliases": aliases,
        "params": params,
        "status": status,
        "layer": LAYER_OF.get(first_fail["status"]) if first_fail else None,
        "reason": reason_for(first_fail["status"], first_fail["error"]) if first_fail else None,
        "condition": condition,
        "error": first_fail["error"] if first_fail else None,
        "aten_ops": sorted({op for v in variants for op in v["aten_ops"]}),
        "tflite_ops": sorted({op for v in variants for op in v["tflite_ops"]}),
        "max_abs_error": max(errors) if errors else None,
        "max_rel_error": max(rel_errors) if rel_errors else None,
        "variants": variants,
        "rewrite": rewrite if status != "supported" else None,
        "versions": version_map,
        "probe_seconds": round(sum(v["seconds"] or 0.0 for v in variants), 3),
    }
    return entry


def _rewrite_record(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """Only a rewrite that converts, runs, matches LiteRT to eager and matches the original op."""
    from tools.probes.torch_probe import ATOL

    if not result or result.get("status") != "supported":
        return None
    eager = result.get("eager_max_abs_error")
    if eager is None or eager > ATOL:
        return None
    return {"description": result["description"], "code": result["rewrite"], "verified": True,
            "max_abs_error": max(eager, result.get("max_abs_error") or 0.0)}


def build_document(outcomes: Sequence[Any], seconds: float) -> dict[str, Any]:
    from tools.probes.torch_recipes import params, recipes

    table = recipes()
    per_name: dict[str, list[tuple[Any, dict[str, Any]]]] = {}
    rewrites: dict[str, dict[str, Any] | None] = {}
    for outcome in outcomes:
        name, _, tag = outcome.job.partition("::")
        recipe = table.get(name)
        if recipe is None:
            continue
        result = outcome_result(outcome)
        if tag == "rewrite":
            rewrites[name] = _rewrite_record(result)
            continue
        if result is None:
            continue
        per_name.setdefault(name, []).append((recipe.variants[int(tag)], result))
    version_map = versions()
    aliases = _aliases(set(per_name))
    entries = []
    for name in sorted(per_name):
        recipe = table[name]
        order = {id(v): i for i, v in enumerate(recipe.variants)}
        measured = sorted(per_name[name], key=lambda pair: order[id(pair[0])])
        entries.append(build_entry(recipe, measured, params(recipe), aliases.get(name, []),
                                   rewrites.get(_rewrite_owner(name, table)), version_map))
    return {
        "schema": SCHEMA,
        "framework": FRAMEWORK,
        "generated_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "duration_seconds": round(seconds, 1),
        "versions": version_map,
        "tolerance": {"atol": 1e-3, "rtol": 1e-3},
        "entries": entries,
    }
