"""Turn "export this file" into a complete ExportRequest, without running anything.

Shared by the CLI and the server: picks the model class, its constructor arguments (config,
else a literal call site in the workspace) and its example inputs from the configuration;
anything missing is left for the worker to infer or is reported in one actionable sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litert_lsp.core.settings import Settings
from litert_lsp.jobs.job import ExportRequest
from litert_lsp.jobs.shapes import ShapeError, parse_input_shapes
from litert_lsp.models.checkpoints import classify
from litert_lsp.models.classes import CallSite, find_call_sites
from litert_lsp.models.exportable import models_of
from litert_lsp.models.hf_folder import hf_folder

# Input dtypes a user may name (numpy spellings, which TensorFlow and torch both understand here).
DTYPES = ("float32", "float16", "float64", "bfloat16", "int8", "int16", "int32", "int64", "uint8", "bool")
SELF_CONTAINED_SUFFIXES = (".pt2", ".pt", ".pth", ".keras", ".h5", ".hdf5", ".meta", ".tar", ".ckpt", ".bin")


class PlanError(Exception):
    """The request cannot be completed; the message says what to add."""


@dataclass
class Choice:
    request: ExportRequest
    notes: list[str]
    # Where the constructor arguments come from, as the report says it: "MiniViT(32, 8) from
    # tests/test_vit.py:14", "... from [tool.litert-lsp.models.MiniViT] in pyproject.toml",
    # "MiniViT() with the defaults of __init__". None when no class is built (a model file).
    constructor: str | None = None


def model_settings(settings: Settings, class_name: str | None) -> dict[str, Any]:
    """[tool.litert-lsp.models.<Class>] with keys normalised to snake_case."""
    if not class_name:
        return {}
    raw = settings.models.get(class_name) or {}
    if not isinstance(raw, Mapping):
        return {}
    return {str(k).replace("-", "_"): v for k, v in raw.items()}


def parse_shapes(text: str) -> list[list[int]]:
    """`1,3,224,224`, `1,16;1,16` (several inputs) or `-1,16` (a dynamic size) -> lists of sizes."""
    try:
        return parse_input_shapes(text)
    except ShapeError as why:
        raise PlanError(str(why)) from None


def parse_dtypes(text: str) -> list[str]:
    """`int32` or `int32,float32` (one per input, in --input-shape order)."""
    dtypes = [d for d in text.replace(" ", "").replace(";", ",").split(",") if d]
    unknown = [d for d in dtypes if d not in DTYPES]
    if not dtypes or unknown:
        raise PlanError(f"input dtype {', '.join(unknown) or repr(text)} is not one of {', '.join(DTYPES)}")
    return dtypes


def parse_names(text: str) -> list[str]:
    """`x,labels` -> ["x", "labels"] (TF1 tensor or op names; `name:0` is kept as written)."""
    names = [n for n in text.replace(" ", "").split(",") if n]
    if not names:
        raise PlanError("empty name list: give tensor names like x,labels")
    return names


def checkpoint_exists(path: Path) -> bool:
    """A file or folder, or a TF2 checkpoint prefix (`ckpt/ckpt-3` has `ckpt-3.index` beside it)."""
    return path.exists() or Path(f"{path}.index").is_file()


def plan_export(
    source: Path,
    settings: Settings,
    workspace: Path | None = None,
    *,
    model: str | None = None,
    checkpoint: str | None = None,
    weights: str | None = None,
    input_shapes: list[list[int]] | None = None,
    output: str | None = None,
    quantize: str | None = None,
    allow_select_tf_ops: bool | None = None,
    allow_pickle: bool | None = None,
    allow_unverified: bool | None = None,
    dynamic_batch: bool | None = None,
    calibration: str | None = None,
    write_output: bool = True,
    input_dtypes: list[str] | None = None,
    input_names: list[str] | None = None,
    output_names: list[str] | None = None,
    signature: str | None = None,
) -> Choice:
    source = source.resolve()
    if not source.exists():
        raise PlanError(f"{source} does not exist")
    notes: list[str] = []
    export = settings.export
    workspace = (workspace or source.parent).resolve()
    request = ExportRequest(
        source=str(source),
        model=model,
        checkpoint=str(Path(checkpoint).resolve()) if checkpoint else None,
        weights=weights,
        input_shapes=input_shapes,
        write_output=write_output,
        quantize=quantize if quantize is not None else export.quantize,
        allow_select_tf_ops=export.allow_select_tf_ops if allow_select_tf_ops is None else allow_select_tf_ops,
        allow_pickle=export.allow_pickle if allow_pickle is None else allow_pickle,
        allow_unverified=export.allow_unverified if allow_unverified is None else allow_unverified,
        dynamic_batch=export.dynamic_batch if dynamic_batch is None else dynamic_batch,
        calibration=str(Path(calibration).resolve()) if calibration else None,
        atol=export.atol,
        rtol=export.rtol,
        workspace=str(workspace),
        input_dtypes=input_dtypes,
        input_names=input_names,
        output_names=output_names,
        signature=signature,
    )
    if request.checkpoint and not checkpoint_exists(Path(request.checkpoint)):
        raise PlanError(f"the checkpoint {request.checkpoint} does not exist")
    folder = hf_folder(source)
    if folder is not None:
        source = folder.path
        request.source = str(source)
        built = folder.architectures[0] if folder.architectures else f"the AutoModel of '{folder.model_type}'"
        notes.append(f"a Hugging Face folder: {built}, built from its config.json with weights from {folder.weights}")
    _check_source_options(source, request, folder is not None)
    constructor = None
    if source.suffix == ".py":
        constructor = _plan_python(source, settings, workspace, request, notes)
    elif source.is_file() and classify(source) is None and not source.name.endswith(SELF_CONTAINED_SUFFIXES):
        raise PlanError(
            f"{source.name} is neither Python model code nor a model file litert-lsp knows "
            "(.pt2, whole-model .pt, SavedModel folder, .keras, .h5, .ckpt.meta)"
        )
    _check_dtypes(request)
    if write_output:
        stem = request.model or (source.stem if source.is_file() else source.name)
        target = Path(output).expanduser() if output else source.parent / f"{stem}.tflite"
        request.output = str(checked_output(target, workspace))
    return Choice(request, notes, constructor)


def checked_output(target: Path, workspace: Path | None) -> Path:
    """Where the .tflite will go, refused before any conversion when writing there would be
    wrong: a folder, an existing file that is not a .tflite (a `.py`, say), a parent that is
    a file, or a symbolic link out of the workspace."""
    if target.is_symlink():
        real = target.resolve()
        if workspace is not None and not _within(real, workspace.resolve()):
            raise PlanError(f"{target} is a symbolic link to {real}, outside the workspace: litert-lsp does not "
                            "write through it. Give the real path as the output")
    resolved = target.resolve()
    if resolved.is_dir():
        raise PlanError(f"the output {target} is a folder: give a file name, like {target / 'model.tflite'}")
    if resolved.exists() and resolved.suffix != ".tflite":
        raise PlanError(f"the output {target} exists and is not a .tflite file: litert-lsp will not overwrite it. "
                        "Choose another output path")
    parent = resolved.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise PlanError(f"the output {target} cannot be created: {parent} is a file, not a folder")
    return resolved


def _within(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def _check_source_options(source: Path, request: ExportRequest, hugging_face: bool = False) -> None:
    """Options that only one kind of source understands: refuse them elsewhere rather than
    silently ignoring them."""
    if request.input_names and not source.name.endswith(".meta"):
        raise PlanError("--input-names chooses placeholders of a TF1 graph: SOURCE must be a .ckpt.meta file")
    if request.output_names and not (source.name.endswith(".meta") or hugging_face):
        raise PlanError("--output-names chooses the outputs of a TF1 graph (.ckpt.meta) or of a Hugging Face "
                        "folder (logits, last_hidden_state, ...): SOURCE must be one of those")
    if hugging_face and request.checkpoint:
        raise PlanError("a Hugging Face folder carries its weights: drop --checkpoint")
    if request.signature and not (source.is_dir() and classify(source) is not None):
        raise PlanError("--signature chooses a signature of a SavedModel: SOURCE must be a SavedModel folder "
                        "(for Python code, name the class or builder with --model)")


def _check_dtypes(request: ExportRequest) -> None:
    """One dtype per example input: the dtypes describe the --input-shape inputs."""
    dtypes, shapes = request.input_dtypes, request.input_shapes
    if not dtypes or not shapes:
        return  # without shapes the inputs come from the model itself, dtypes included
    if len(dtypes) not in (1, len(shapes)):
        raise PlanError(f"{len(dtypes)} input dtypes for {len(shapes)} input shapes: give one dtype, or one per shape")
    request.input_dtypes = list(dtypes) * len(shapes) if len(dtypes) == 1 else list(dtypes)


def _plan_python(source: Path, settings: Settings, workspace: Path, request: ExportRequest,
                 notes: list[str]) -> str | None:
    """Fill in the class, its constructor arguments and the model's settings; returns where the
    constructor arguments come from (see Choice.constructor)."""
    try:
        text = source.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise PlanError(f"cannot read {source}: {error.strerror or error}") from error
    found = models_of(text)
    if request.model is None and found.exported:
        if len(found.exported) > 1:
            names = ", ".join(m.name for m in found.exported)
            raise PlanError(f"{source.name} defines several models ({names}): choose one with --model")
        request.model = found.exported[0].name
    chosen = found.named(request.model)
    if request.model and found.all and chosen is None:
        names = ", ".join(m.name for m in found.all)
        raise PlanError(f"{source.name} has no model class {request.model} (it has: {names})")
    config = model_settings(settings, request.model)
    constructor = None
    if "args" in config or "kwargs" in config:
        request.constructor_args = list(config.get("args") or [])
        request.constructor_kwargs = dict(config.get("kwargs") or {})
        call = CallSite("", 0, request.constructor_args, request.constructor_kwargs).call_text(str(request.model))
        constructor = f"{call} from [tool.litert-lsp.models.{request.model}] in pyproject.toml"
    elif chosen is not None and chosen.required:
        sites = find_call_sites(workspace, chosen.name)
        if not sites:
            needed = ", ".join(chosen.required)
            example = ", ".join(f"{n} = ..." for n in chosen.required)
            raise PlanError(
                f"{chosen.name}() needs {needed}, which have no defaults: add `kwargs = {{ {example} }}` under "
                f"[tool.litert-lsp.models.{chosen.name}] in pyproject.toml"
            )
        site = sites[0]
        request.constructor_args, request.constructor_kwargs = list(site.args), dict(site.kwargs)
        constructor = f"{site.call_text(chosen.name)} from {_where(site, workspace)}" + _disagreeing(
            sites, chosen.name, workspace)
    elif chosen is not None and found.framework == "torch":
        constructor = f"{chosen.name}() with the defaults of __init__"
    if constructor:
        notes.append(f"constructor: {constructor}")
    if request.input_shapes is None:
        shapes = config.get("input_shapes") or ([config["input_shape"]] if config.get("input_shape") else None)
        if shapes:
            request.input_shapes = [[int(d) for d in s] for s in shapes]
            notes.append(f"input shape from [tool.litert-lsp.models.{request.model}]")
    dtype = config.get("input_dtype") or config.get("input_dtypes")
    if dtype and not request.input_dtypes:
        request.input_dtypes = [dtype] * len(request.input_shapes or [1]) if isinstance(dtype, str) else list(dtype)
    if request.calibration is None and config.get("calibration"):
        folder = Path(str(config["calibration"]))
        request.calibration = str((workspace / folder).resolve() if not folder.is_absolute() else folder)
        notes.append(f"calibration samples from [tool.litert-lsp.models.{request.model}]")
    if request.weights is None and config.get("weights"):
        request.weights = str(config["weights"])
        notes.append(f"weights key from [tool.litert-lsp.models.{request.model}]")
    if request.checkpoint is None and config.get("checkpoint"):
        path = Path(str(config["checkpoint"]))
        request.checkpoint = str((workspace / path).resolve() if not path.is_absolute() else path)
        notes.append(f"checkpoint from [tool.litert-lsp.models.{request.model}]")
    return constructor


def _where(site: CallSite, workspace: Path) -> str:
    path = Path(site.path)
    try:
        shown = path.resolve().relative_to(workspace).as_posix()
    except ValueError:
        shown = str(path)
    return f"{shown}:{site.line}"


def _disagreeing(sites: list[CallSite], class_name: str, workspace: Path) -> str:
    """"; 1 other call differs: MiniViT(16, 4) at tests/test_vit.py:3 (...)" when the workspace's
    literal calls build the class differently from the one taken; "" when they all agree."""
    chosen = (sites[0].args, sites[0].kwargs)
    others = [s for s in sites[1:] if (s.args, s.kwargs) != chosen]
    if not others:
        return ""
    shown = ", ".join(f"{s.call_text(class_name)} at {_where(s, workspace)}" for s in others[:3])
    more = f" and {len(others) - 3} more" if len(others) > 3 else ""
    calls = "call differs" if len(others) == 1 else "calls differ"
    return (f"; {len(others)} other {calls}: {shown}{more} (calls outside tests are taken first; "
            f"choose with `args`/`kwargs` under [tool.litert-lsp.models.{class_name}] in pyproject.toml)")

