"""PyTorch: load the user's code, restore weights, convert with litert-torch, verify, profile.

Worker-only. Loading the user's module executes it: that happens only here, for an export
the user asked for.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import time
import traceback
import types
from pathlib import Path
from typing import Any

import numpy as np
import torch

from litert_lsp.jobs.job import ExportError, ExportRequest, ExportResult, Progress, SourceFailure
from litert_lsp.jobs.package import PackagePlace, package_place
from litert_lsp.models.exportable import models_of
from litert_lsp.models.hf_folder import hf_folder
from litert_lsp.worker.locate import failures_from_exception, is_user_file
from litert_lsp.worker.torch import hf_folder as torch_hf_folder
from litert_lsp.worker.torch import restore as torch_restore
from litert_lsp.worker.torch.alone import model_content
from litert_lsp.worker.verify import finish

# Spatial size used when only the channel count of the first layer is known.
DEFAULT_SPATIAL = {1: 128, 2: 64, 3: 16}
DEFAULT_SEQUENCE = 16


def export_torch(request: ExportRequest, progress: Progress) -> ExportResult:
    details: dict[str, Any] = {"framework": "torch", "seconds": {}}
    source = Path(request.source).resolve()
    roots = _roots(request, source)
    clock = _Clock(details)
    try:
        progress("load code", f"loading {source.name}", 0.0)
        model, inputs, class_name = _model_and_inputs(request, source, roots, progress, details)
    except ExportError as error:
        return ExportResult(ok=False, stage=error.stage, message=error.message, failures=error.failures, details=details)
    except Exception as error:  # noqa: BLE001 - the worker must answer, whatever the user's code does
        return _unexpected(error, "load code", roots, details)
    clock.lap("load code + restore")
    details["model"] = class_name
    return check_model(model, inputs, class_name, request, roots, progress, details)


def check_model(model: torch.nn.Module, inputs: tuple[torch.Tensor, ...], class_name: str, request: ExportRequest,
                roots: list[Path], progress: Progress, details: dict[str, Any] | None = None) -> ExportResult:
    """Everything an export does once the model is built: the eager run, conversion, verification
    in LiteRT, and where a failure or a mismatch starts. `roots` are the project's folders (a
    frame under them is the user's). The real-model benchmark calls it on models it builds."""
    details = details if details is not None else {"framework": "torch", "seconds": {}, "model": class_name}
    details.setdefault("seconds", {})
    clock = _Clock(details)
    stage = "export"
    try:
        progress("export", "tracing with torch.export", 30.0)
        _eval_mode(model)
        with torch.no_grad():
            try:
                expected = _flatten(model(*inputs))
            except Exception as error:
                raise _located("load code", f"running {class_name} on the example inputs failed", error, roots) from error
        clock.lap("eager run")

        stage = "convert"
        progress("convert", "converting with litert-torch" + (f" ({request.quantize})" if request.quantize else ""), 45.0)
        if request.quantize == "full-int8":
            content, first = _convert_full_integer(model, inputs, request, roots, details, progress)
            # Verified on a calibration sample: the activation ranges were fixed on those, so
            # a random example input outside them would only measure clipping.
            inputs = tuple(torch.from_numpy(np.asarray(a)) for a in first)
            expected = _eager(model, first)
        else:
            try:
                content = _convert(model, inputs, request, roots)
            except ExportError as error:
                if not error.failures and request.find_culprit and error.__cause__ is not None:
                    clock.lap("convert")
                    _locate_unplaced(model, inputs, error, roots, progress, details)
                raise
            from litert_lsp.worker.torch import dynamic

            if (said := dynamic.describe(request, inputs)) is not None:
                details["dynamic"] = said
        clock.lap("convert")
        numpy_inputs = [t.detach().cpu().numpy() for t in inputs]
        stage = "verify"
        result = finish(content, numpy_inputs, expected, request, progress, details, "PyTorch")
        if result.status == "mismatch" and request.find_culprit and not request.quantize:
            _locate_mismatch(model, inputs, result, progress)
        return result
    except ExportError as error:
        _note_library(error.failures, details)
        return ExportResult(ok=False, stage=error.stage, message=error.message, failures=error.failures, details=details)
    except Exception as error:  # noqa: BLE001 - the worker must answer, whatever the user's code does
        return _unexpected(error, stage, roots, details)


def _note_library(failures: list[SourceFailure], details: dict[str, Any]) -> None:
    """The library lines failures reach, beside the user's lines they sit on (the editor shows
    them as related information)."""
    reached = [{"path": f.library_path, "line": f.library_line, "from_path": f.path, "from_line": f.line}
               for f in failures if f.library_path and f.library_line]
    if reached:
        details["library_locations"] = reached


def _locate_unplaced(model: torch.nn.Module, inputs: tuple[torch.Tensor, ...], error: ExportError, roots: list[Path],
                     progress: Progress, details: dict[str, Any]) -> None:
    """A conversion error that names no line of the user's: find one (see unplaced.py)."""
    from litert_lsp.worker.torch import unplaced

    progress(error.stage, "finding where the error starts (the exported graph, then submodules alone)", 80.0)
    try:
        placed = unplaced.place(model, inputs, error.__cause__ or error, error.stage, roots)
    except Exception as why:  # noqa: BLE001 - the search is extra: the failure stands without a line
        details["unplaced_search"] = f"not finished: {type(why).__name__}: {_first_line(why)}"
        return
    details["unplaced_search"] = {"how": placed.how, **placed.details}
    if not placed.failures:
        return
    error.failures.extend(placed.failures)
    first = placed.failures[0]
    if placed.how == "bisection":
        error.message += f"; {first.message}"
    error.message += f" (at {Path(first.path).name}:{first.line})"


def _unexpected(error: BaseException, stage: str, roots: list[Path], details: dict[str, Any]) -> ExportResult:
    failures = failures_from_exception(error, stage, roots)
    _note_library(failures, details)
    return ExportResult(
        ok=False, stage=stage, message=f"{type(error).__name__}: {_first_line(error)}",
        failures=failures, details={**details, "traceback": traceback.format_exc(limit=20)},
    )


# ---- load code + restore --------------------------------------------------------------


def _model_and_inputs(
    request: ExportRequest, source: Path, roots: list[Path], progress: Progress, details: dict[str, Any]
) -> tuple[torch.nn.Module, tuple[torch.Tensor, ...], str]:
    if source.suffix == ".pt2":
        progress("restore", f"loading the torch.export archive {source.name}", 10.0)
        program = _load_exported(source)
        inputs = tuple(program.example_inputs[0]) if program.example_inputs else ()
        if request.input_shapes:
            inputs = _tensors_from_shapes(request)
        if not inputs:
            raise ExportError("load code", f"{source.name} stores no example inputs: pass --input-shape")
        details["inputs_from"] = "the archive's example inputs"
        details["checkpoint"] = str(source)
        return program.module(), inputs, source.stem
    folder = hf_folder(source)
    if folder is not None:
        progress("load code", f"building {folder.architectures[0] if folder.architectures else folder.model_type} "
                 f"from the Hugging Face folder {folder.path.name}", 5.0)
        return torch_hf_folder.build(folder, request, details)
    if source.suffix != ".py":
        # A whole pickled model given as the source.
        progress("restore", f"unpickling {source.name}", 10.0)
        _ensure_path(roots)
        model = torch_restore.load_whole_model(source, request.allow_pickle, None)
        inputs, origin = _example_inputs(request, model, None, type(model).__name__)
        details["inputs_from"] = origin
        details["checkpoint"] = str(source)
        return model, inputs, type(model).__name__

    module = load_user_module(source, roots)
    class_name = request.model or _default_class(source)
    cls = getattr(module, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, torch.nn.Module)):
        raise ExportError("load code", f"{source.name} defines no torch.nn.Module subclass named {class_name}")

    checkpoint = Path(request.checkpoint).resolve() if request.checkpoint else None
    described = torch_restore.describe(checkpoint) if checkpoint else None
    if described is not None and described.kind == "whole_model":
        progress("restore", f"unpickling {checkpoint.name}", 15.0)
        model = torch_restore.load_whole_model(checkpoint, request.allow_pickle, module)
        details["checkpoint"] = str(checkpoint)
    else:
        try:
            model = cls(*request.constructor_args, **request.constructor_kwargs)
        except TypeError as error:
            raise ExportError(
                "load code",
                f"{class_name}({_call_text(request)}) failed: {_first_line(error)}. Give its constructor "
                f"arguments as `args = [...]` / `kwargs = {{...}}` under [tool.litert-lsp.models.{class_name}] "
                "in pyproject.toml.",
                failures_from_exception(error, "load code", roots),
            ) from error
        except Exception as error:
            raise _located("load code", f"{class_name}() raised", error, roots) from error
        if checkpoint is not None:
            progress("restore", f"restoring {checkpoint.name}", 15.0)
            weights = torch_restore.load_weights(checkpoint, request.weights)
            removed = torch_restore.apply_weights(model, weights, checkpoint.name, class_name)
            details["checkpoint"] = str(checkpoint)
            details["weights"] = weights.describe()
            if removed:
                details["removed_prefixes"] = removed
                details["weights"] += "; prefix " + " then ".join(f"'{p}'" for p in removed) + " removed from every key"
        else:
            details["checkpoint"] = None  # the weights __init__ makes
    inputs, origin = _example_inputs(request, model, module, class_name)
    details["inputs_from"] = origin
    return model, inputs, class_name


def load_user_module(source: Path, roots: list[Path]) -> types.ModuleType:
    """Import the user's file fresh (earlier versions of the workspace's modules are dropped so
    edits since the last export are seen), under its own name so pickles referring to it work."""
    for name, loaded in list(sys.modules.items()):
        file = getattr(loaded, "__file__", None)
        # Never our own modules, even when the workspace is a checkout of litert-lsp.
        if file and not name.startswith("litert_lsp") and is_user_file(file, roots):
            del sys.modules[name]
    place = package_place(source)
    if place.in_package:
        return _import_in_package(source, place, roots)
    _ensure_path([source.parent, *roots])
    name = source.stem if source.stem.isidentifier() and source.stem not in sys.modules else f"_litert_user_{abs(hash(source))}"
    spec = importlib.util.spec_from_file_location(name, source)
    if spec is None or spec.loader is None:
        raise ExportError("load code", f"{source} cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        del sys.modules[name]
        raise ExportError("load code", f"{source.name} does not parse: {error.msg} (line {error.lineno})") from error
    except (Exception, SystemExit) as error:  # a script calling sys.exit() at import is an error too
        del sys.modules[name]
        raise _located("load code", f"importing {source.name} failed", error, roots) from error
    return module


def _import_in_package(source: Path, place: PackagePlace, roots: list[Path]) -> types.ModuleType:
    """Import a file that lives in a package by its dotted name, so its relative imports resolve
    and pickles name its classes as the project does."""
    top = place.module_name.split(".")[0]
    for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
        del sys.modules[name]  # an earlier version of this package: edits must be seen
    _ensure_path([*roots, place.import_root])  # the import root ends up first
    importlib.invalidate_caches()
    try:
        return importlib.import_module(place.module_name)
    except SyntaxError as error:
        raise ExportError("load code", f"{Path(error.filename or source).name} does not parse: {error.msg} "
                                       f"(line {error.lineno})") from error
    except (Exception, SystemExit) as error:
        raise _located("load code", f"importing {place.module_name} (from {place.import_root}) failed",
                       error, roots) from error


def _default_class(source: Path) -> str:
    """The model the planner would pick (`models.exportable`), for requests that name none."""
    file_models = models_of(source.read_text(encoding="utf-8", errors="replace"))
    found = file_models.exported if file_models.framework == "torch" else []
    if len(found) == 1:
        return found[0].name
    if not found:
        raise ExportError("load code", f"{source.name} defines no torch.nn.Module subclass")
    names = ", ".join(m.name for m in found)
    raise ExportError("load code", f"{source.name} defines several models ({names}): choose one with --model")


def _load_exported(path: Path) -> Any:
    try:
        return torch.export.load(str(path))
    except Exception as error:
        raise ExportError("restore", f"{path.name} cannot be read as a torch.export archive: {_first_line(error)}") from error


# ---- example inputs -------------------------------------------------------------------


def _example_inputs(
    request: ExportRequest, model: torch.nn.Module, module: types.ModuleType | None, class_name: str
) -> tuple[tuple[torch.Tensor, ...], str]:
    """The example inputs and where they come from, with any dtype the converter will narrow.
    A forward taking several tensors needs their shapes said: guessing one from the first layer
    would only end in a TypeError."""
    from litert_lsp.jobs.verdict import narrowing, shapes_needed
    from litert_lsp.worker.torch.inputs import forward_tensor_names

    wanted = forward_tensor_names(model)
    found: tuple[tuple[torch.Tensor, ...], str] | None = None
    if request.input_shapes:
        found = _tensors_from_shapes(request), f"the given input shape ({request.input_shapes})"
        if wanted is not None and len(found[0]) < len(wanted):
            given = f"{len(found[0])} shape{'s' if len(found[0]) != 1 else ''} given"
            raise ExportError("load code", f"{shapes_needed(class_name, wanted)} ({given})")
    for owner, where in ((model, f"{class_name}.example_inputs"), (module, "example_inputs() in the file")):
        if found is not None:
            break
        value = getattr(owner, "example_inputs", None) if owner is not None else None
        if value is None:
            continue
        if callable(value) and not isinstance(value, torch.Tensor):
            value = value()
        tensors = (value,) if isinstance(value, torch.Tensor) else tuple(value)
        if tensors and all(isinstance(t, torch.Tensor) for t in tensors):
            found = tensors, where
    if found is None:
        inferred = _from_first_layer(model)
        if wanted is not None and len(wanted) > 1:
            guess = list(inferred[0][0].shape) if inferred is not None else None
            raise ExportError("load code", shapes_needed(class_name, wanted, guess))
        found = inferred
    if found is None:
        raise ExportError(
            "load code",
            f"cannot tell what {class_name} takes as input: add `input-shape = [1, 3, 224, 224]` (your shape) "
            f"under [tool.litert-lsp.models.{class_name}] in pyproject.toml, pass --input-shape, or define "
            f"`example_inputs()` on {class_name} returning a tuple of tensors",
        )
    tensors, origin = found
    narrowed = narrowing([str(t.dtype) for t in tensors])
    return tensors, origin + "".join(f"; {sentence}" for sentence in narrowed)


def _from_first_layer(model: torch.nn.Module) -> tuple[tuple[torch.Tensor, ...], str] | None:
    generator = torch.Generator().manual_seed(0)
    for name, layer in model.named_modules():
        if isinstance(layer, (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d)):
            dims = len(layer.kernel_size)
            shape = [1, layer.in_channels, *([DEFAULT_SPATIAL[dims]] * dims)]
            what = f"{type(layer).__name__} `{name}` in_channels={layer.in_channels}"
            return (torch.randn(*shape, generator=generator),), f"inferred {shape} from the first layer ({what})"
        if isinstance(layer, torch.nn.Linear):
            shape = [1, layer.in_features]
            what = f"Linear `{name}` in_features={layer.in_features}"
            return (torch.randn(*shape, generator=generator),), f"inferred {shape} from the first layer ({what})"
        if isinstance(layer, torch.nn.Embedding):
            shape = [1, DEFAULT_SEQUENCE]
            tokens = torch.randint(0, layer.num_embeddings, shape, generator=generator)
            what = f"Embedding `{name}` num_embeddings={layer.num_embeddings}"
            return (tokens,), f"inferred token ids {shape} from the first layer ({what})"
    return None


def _tensors_from_shapes(request: ExportRequest) -> tuple[torch.Tensor, ...]:
    from litert_lsp.jobs.shapes import concrete

    generator = torch.Generator().manual_seed(0)
    dtypes = request.input_dtypes or []
    tensors = []
    for index, given in enumerate(request.input_shapes or []):
        shape = concrete(given)  # a dynamic size (-1) is traced at an example size; see dynamic.py
        name = dtypes[index] if index < len(dtypes) else "float32"
        dtype = getattr(torch, str(name), None)
        if not isinstance(dtype, torch.dtype):
            raise ExportError("load code", f"unknown input dtype {name!r}: use float32, int64, int32, ...")
        if dtype.is_floating_point:
            tensors.append(torch.randn(*shape, generator=generator).to(dtype))
        else:
            tensors.append(torch.randint(0, 8, list(shape), generator=generator).to(dtype))
    return tuple(tensors)


# ---- convert --------------------------------------------------------------------------


def _convert(model: torch.nn.Module, inputs: tuple[torch.Tensor, ...], request: ExportRequest, roots: list[Path]) -> bytes:
    quant_config = None
    if request.quantize:
        from litert_torch.generative.quantize import quant_recipes

        if request.quantize == "int8":
            quant_config = quant_recipes.full_dynamic_recipe()  # int8 weights, dynamic-range activations
        elif request.quantize == "float16":
            quant_config = quant_recipes.full_fp16_recipe()
        else:
            raise ExportError("convert", f"unknown quantization {request.quantize!r}: use int8 or float16")
    from litert_lsp.worker.torch import dynamic

    try:
        # litert_torch.convert, with torch.export dynamic shapes when the request has dynamic dims.
        converted = dynamic.convert(model, inputs, request, quant_config)
    except ExportError:
        raise  # already a located sentence (a dimension that cannot stay dynamic)
    except Exception as error:
        stage = "export" if _failed_in_torch_export(error) else "convert"
        failures = failures_from_exception(error, stage, roots)
        where = "torch.export could not trace the model" if stage == "export" else "litert-torch could not convert the model"
        message = f"{where}: {type(error).__name__}: {_first_line(error)}"
        if failures:
            message += f" (at {Path(failures[0].path).name}:{failures[0].line})"
        raise ExportError(stage, message, failures) from error
    return model_content(converted)


def _locate_mismatch(model: torch.nn.Module, inputs: tuple[torch.Tensor, ...], result: ExportResult,
                     progress: Progress) -> None:
    """Say where a numerical mismatch starts (see culprit.py), on that class's line too."""
    from litert_lsp.worker.torch import culprit

    progress("verify", "finding where the mismatch starts (converting submodules alone)", 85.0)
    try:
        found = culprit.find(model, inputs)
    except Exception as error:  # noqa: BLE001 - the search is extra: the mismatch verdict stands
        result.details["culprit_search"] = f"not finished: {type(error).__name__}: {_first_line(error)}"
        return
    if found is None:
        result.details["culprit_search"] = ("no submodule disagrees alone: the mismatch comes from how they combine, "
                                            "or they do not convert alone")
        return
    result.message += f"; {found.sentence()}"
    result.details["culprit"] = {"module": found.name, "class": found.class_name, "path": found.path,
                                 "line": found.line, "rel_error": found.rel_error, "checked": found.checked,
                                 "tried": found.tried}
    if found.path and found.line:
        result.failures.append(SourceFailure(found.path, found.line, found.sentence(), "verify"))


def _convert_full_integer(model: torch.nn.Module, inputs: tuple[torch.Tensor, ...], request: ExportRequest,
                          roots: list[Path], details: dict[str, Any],
                          progress: Progress) -> tuple[bytes, list[np.ndarray]]:
    """Full-integer int8 (weights and activations, int8 inputs and outputs) through litert-torch's
    PT2E quantizer: export, insert observers, run the calibration samples, convert. The float
    model is converted too, to report what quantization saved and cost. Returns the file and
    the calibration sample to verify it on."""
    from litert_lsp.worker.torch import dynamic

    if dynamic.wanted(request):
        raise ExportError("convert", "full-int8 quantization exports at fixed sizes: give every input a fixed "
                          "shape (no -1, no --dynamic-batch) to quantize with calibration")
    import litert_torch
    from litert_torch.quantize import pt2e_quantizer
    from litert_torch.quantize.quant_config import QuantConfig
    from torchao.quantization.pt2e import quantize_pt2e

    from litert_lsp.worker import calibration

    examples = [t.detach().cpu().numpy() for t in inputs]
    samples = calibration.load(request.calibration, examples)
    details["quantization"] = f"full-integer int8 (weights and activations), calibrated on {samples.source}"
    if samples.random:
        details.setdefault("warnings", []).append(calibration.CALIBRATION_WARNING)
    try:
        graph = torch.export.export(model, inputs, strict=False).module()
        quantizer = pt2e_quantizer.PT2EQuantizer().set_global(
            pt2e_quantizer.get_symmetric_quantization_config(is_per_channel=True))
        graph = quantize_pt2e.prepare_pt2e(graph, quantizer)
        progress("convert", f"calibrating on {samples.source}", 50.0)
        with torch.no_grad():
            for sample in samples.samples:
                graph(*(torch.from_numpy(np.asarray(a)) for a in sample))
        graph = quantize_pt2e.convert_pt2e(graph, fold_quantize=False)
        converted = litert_torch.convert(graph, inputs, quant_config=QuantConfig(pt2e_quantizer=quantizer))
    except Exception as error:
        failures = failures_from_exception(error, "convert", roots)
        raise ExportError("convert", f"full-integer quantization failed: {type(error).__name__}: "
                          f"{_first_line(error)}", failures) from error
    content = bytes(model_content(converted))
    float_content = _convert(model, inputs, ExportRequest(**{**request.to_json(), "quantize": None}), roots)
    details["float_size_bytes"] = len(float_content)
    details["calibration_error"] = calibration.error_on_samples(content, lambda sample: _eager(model, sample),
                                                                samples.samples[:16])
    warning = calibration.size_warning(len(content), len(float_content))
    if warning:
        details.setdefault("warnings", []).append(warning)
    return content, samples.samples[0]


def _eager(model: torch.nn.Module, sample: list[np.ndarray]) -> list[np.ndarray]:
    with torch.no_grad():
        return _flatten(model(*(torch.from_numpy(np.asarray(a)) for a in sample)))


def _failed_in_torch_export(error: BaseException) -> bool:
    """Whether the deepest litert-torch frame is its torch.export step (not lowering)."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if "litert_torch" in f.filename]
    return bool(frames) and frames[-1].name == "export_torch_signature"


# ---- helpers --------------------------------------------------------------------------


def _eval_mode(model: torch.nn.Module) -> None:
    # A torch.export program's module raises here: its train/eval mode was fixed when it was exported.
    with contextlib.suppress(NotImplementedError):
        model.eval()


def _flatten(value: Any) -> list[np.ndarray]:
    leaves, _ = torch.utils._pytree.tree_flatten(value)
    return [leaf.detach().cpu().numpy() for leaf in leaves if isinstance(leaf, torch.Tensor)]


def _roots(request: ExportRequest, source: Path) -> list[Path]:
    roots = [source.parent if source.suffix else source]
    if request.workspace:
        roots.append(Path(request.workspace).resolve())
    return roots


def _ensure_path(folders: list[Path]) -> None:
    for folder in folders:
        text = str(folder)
        if text not in sys.path:
            sys.path.insert(0, text)


def _located(stage: str, what: str, error: BaseException, roots: list[Path]) -> ExportError:
    failures = failures_from_exception(error, stage, roots)
    where = f" ({Path(failures[0].path).name}:{failures[0].line})" if failures else ""
    return ExportError(stage, f"{what}: {type(error).__name__}: {_first_line(error)}{where}", failures)


def _call_text(request: ExportRequest) -> str:
    parts = [repr(a) for a in request.constructor_args] + [f"{k}={v!r}" for k, v in request.constructor_kwargs.items()]
    return ", ".join(parts)


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:300] if text else type(error).__name__


class _Clock:
    def __init__(self, details: dict[str, Any]) -> None:
        self.details = details
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.details["seconds"][name] = round(now - self.last, 3)
        self.last = now

