"""Turn whatever the user points at into one SavedModel signature the converter can take.

SavedModel folders are used as they are; `.keras`/`.h5` files, Python code + TF2 checkpoint and
TF1 `.ckpt.meta` + `.ckpt` are restored and written as a temporary SavedModel. Worker-only.
"""

from __future__ import annotations

import inspect
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from litert_lsp.jobs.job import ExportError, ExportRequest, Progress
from litert_lsp.worker.tensorflow import checkpoint as tf_checkpoint
from litert_lsp.worker.tensorflow import dynamic as tf_dynamic
from litert_lsp.worker.tensorflow import usercode as tf_usercode


@dataclass
class Prepared:
    saved_model: Path
    signature_key: str
    kind: str  # saved_model | keras | code+checkpoint | tf1-checkpoint
    input_order: list[str] | None = None  # signature input names in the user's order, when known
    pinned: bool = False  # input shapes already fixed while exporting
    user_files: list[Path] = field(default_factory=list)  # where converter errors may point
    details: dict[str, Any] = field(default_factory=dict)


def source_kind(path: Path) -> str:
    if not path.exists():
        raise ExportError("load code", f"{path} does not exist.")
    name = path.name.lower()
    if path.is_dir():
        if (path / "saved_model.pb").is_file() or (path / "saved_model.pbtxt").is_file():
            return "saved_model"
        if (path / "checkpoint").is_file() or any(path.glob("*.index")):
            raise _weights_only(path)
        raise ExportError("load code", f"{path} is a folder but not a SavedModel (no saved_model.pb in it).")
    if name.endswith((".weights.h5", ".index")) or re.search(r"\.data-\d+-of-\d+$", name):
        raise _weights_only(path)
    if name.endswith((".keras", ".h5", ".hdf5")):
        return "keras"
    if name.endswith(".meta"):
        return "tf1"
    if name.endswith(".py"):
        return "code"
    raise ExportError(
        "load code",
        f"{path.name} is not a TensorFlow source this exporter knows: give a SavedModel folder, a .keras or "
        ".h5 file, a TF1 .ckpt.meta file, or a Python file that builds the model (with --checkpoint).",
    )


def prepare(request: ExportRequest, workdir: Path, progress: Progress) -> Prepared:
    source = Path(request.source).expanduser().resolve()
    kind = source_kind(source)
    if kind == "saved_model":
        progress("restore", f"reading SavedModel {source.name}", 20.0)
        return Prepared(source, choose_signature(source, request.signature or request.model), kind, user_files=_roots(request, source),
                        details={"checkpoint": str(source / "variables"), "checkpoint_format": "SavedModel variables"})
    if kind == "keras":
        progress("restore", f"loading {source.name}", 20.0)
        model = load_keras_file(source, request.allow_pickle)
        progress("export", "writing a SavedModel for the converter", 35.0)
        return _from_keras(model, request, None, workdir, kind, _roots(request, source), {"checkpoint": str(source), "checkpoint_format": "weights in the Keras file"}, None)
    if kind == "tf1":
        progress("restore", f"importing {source.name} and restoring its variables", 20.0)
        prefix = tf_checkpoint.checkpoint_prefix(Path(request.checkpoint).expanduser() if request.checkpoint else source)
        target = workdir / "tf1_saved_model"
        signature = tf_checkpoint.tf1_to_saved_model(source, prefix, request.input_names, request.output_names, target)
        details = {"checkpoint": str(prefix), "graph_inputs": signature.inputs, "graph_outputs": signature.outputs}
        if signature.chosen_automatically:
            details["note"] = ("inputs are the placeholders the outputs need, outputs the ops nothing consumes; "
                               "override with input_names/output_names")
            if signature.training:
                details["training_graph"] = True
                details["losses_set_aside"] = signature.losses
        order = [_tf1_key(n) for n in signature.inputs]
        return Prepared(target, "serving_default", kind, order, False, _roots(request, source), details)
    # Python code that builds the model, plus (usually) a checkpoint to restore into it.
    progress("load code", f"building the model from {source.name}", 5.0)
    model, name, examples = tf_usercode.build_model(request, source)
    details: dict[str, Any] = {"model": name}
    if request.checkpoint:
        progress("restore", "restoring the checkpoint into the model", 20.0)
        details.update(restore_weights(model, Path(request.checkpoint).expanduser().resolve()))
    else:
        details["note"] = "no checkpoint given: the model keeps the weights its code creates"
    progress("export", "writing a SavedModel for the converter", 35.0)
    return _from_keras(model, request, examples, workdir, "code+checkpoint", _roots(request, source), details, source)


def restore_weights(model: Any, checkpoint: Path) -> dict[str, Any]:
    """A TF2 checkpoint (prefix/.index/.data/folder) or a Keras weights file into `model`."""
    if not checkpoint.exists() and not Path(f"{checkpoint}.index").exists():
        raise ExportError("restore", f"checkpoint {checkpoint} does not exist.")
    if checkpoint.is_file() and checkpoint.name.lower().endswith((".h5", ".hdf5", ".keras")):
        try:
            model.load_weights(str(checkpoint))
        except Exception as error:  # Keras raises ValueError/OSError/KeyError here
            raise ExportError("restore", f"{checkpoint.name} does not fit the model: {_short(error)}") from error
        return {"checkpoint": str(checkpoint), "checkpoint_format": "keras weights"}
    report = tf_checkpoint.restore_tf2(model, tf_checkpoint.checkpoint_prefix(checkpoint))
    details: dict[str, Any] = {"checkpoint": report.prefix, "checkpoint_format": "TF2",
                               "restored_variables": report.restored_variables}
    if report.ignored:
        details["checkpoint_not_restored"] = report.ignored  # optimizer state and counters
    return details


def load_keras_file(path: Path, allow_pickle: bool) -> keras.Model:
    try:
        # safe_mode refuses Lambda layers (stored Python bytecode) unless the user opted in.
        return keras.models.load_model(str(path), compile=False, safe_mode=not allow_pickle)
    except ValueError as error:
        text = str(error)
        if "safe_mode" in text or "Lambda" in text:
            raise ExportError(
                "restore",
                f"{path.name} holds Python code (a Lambda layer) that runs when it is loaded; allow pickle/custom "
                "code for this export only if you trust the file.",
            ) from error
        if "No model config found" in text:
            raise _weights_only(path) from error
        match = re.search(r"Could not locate (?:class|function) '([^']+)'", text)
        if match:
            raise ExportError(
                "restore",
                f"{path.name} uses the custom object {match.group(1)!r}, which is not importable here; export from the "
                "Python file that defines the model instead (with this file as --checkpoint).",
            ) from error
        raise ExportError("restore", f"{path.name} cannot be loaded: {_short(error)}") from error
    except (OSError, zipfile.BadZipFile, EOFError, KeyError) as error:
        raise ExportError("restore", f"{path.name} cannot be read (corrupt or truncated?): {_short(error)}") from error


def choose_signature(saved_model: Path, requested: str | None) -> str:
    try:
        loaded = tf.saved_model.load(str(saved_model))
    except Exception as error:  # corrupt protos raise assorted errors
        raise ExportError("restore", f"{saved_model.name} cannot be loaded as a SavedModel: {_short(error)}") from error
    keys = list(loaded.signatures.keys())
    if requested:
        if requested not in keys:
            raise ExportError("restore", f"the SavedModel has no signature {requested!r}; it has: {', '.join(keys) or 'none'}.")
        return requested
    if "serving_default" in keys:
        return "serving_default"
    if len(keys) == 1:
        return keys[0]
    if not keys:
        raise ExportError("restore", f"{saved_model.name} has no signatures: save it with signatures=... "
                          "(tf.saved_model.save) or model.export().")
    raise ExportError("restore", f"the SavedModel has several signatures ({', '.join(keys)}); choose one with --signature.")


def _from_keras(
    model: keras.Model, request: ExportRequest, examples: list[Any] | None, workdir: Path, kind: str,
    roots: list[Path], details: dict[str, Any], code: Path | None,
) -> Prepared:
    names = _input_names(model, examples)
    specs = None
    if request.input_shapes:
        dtypes = _input_dtypes(model, request, len(request.input_shapes))
        if names and len(names) != len(request.input_shapes):
            raise ExportError("export", f"the model takes {len(names)} input(s) ({', '.join(names)}), "
                              f"{len(request.input_shapes)} shape(s) were given.")
        names = names or [f"input_{i}" for i in range(len(request.input_shapes))]
        # -1 in a requested shape is a dynamic size: None in the signature.
        specs = [tf.TensorSpec(s, dt, name=n)
                 for s, dt, n in zip(tf_dynamic.with_request(request, []), dtypes, names)]
    elif examples is not None:
        names = names or [f"input_{i}" for i in range(len(examples))]
        declared = [list(e.shape) for e in examples]
        specs = [tf.TensorSpec(s, tf.as_dtype(e.dtype), name=n)
                 for s, e, n in zip(tf_dynamic.with_request(request, declared), examples, names)]
    target = workdir / "keras_saved_model"
    try:
        _export_keras(model, target, specs)
    except Exception as error:  # tracing runs the user's call()
        failures = tf_usercode.user_code_error(error, code, "export", "").failures if code else []
        raise ExportError(
            "export",
            f"tracing the Keras model failed: {_short(error)}"
            + ("" if specs else " (pass --input-shape if the input shape is unknown)"),
            failures,
        ) from error
    order = [s.name for s in specs] if specs else names
    return Prepared(target, "serving_default", kind, order or None, specs is not None, roots, details)


def _export_keras(model: keras.Model, target: Path, specs: list[tf.TensorSpec] | None) -> None:
    """model.export(), but keeping the traced call stacks (save_debug_info) so converter errors
    can name the user's lines."""
    if specs is None:
        try:  # Keras' own inference of the signature (private module; the public export() uses it)
            from keras.src.export.export_utils import get_input_signature

            signature = get_input_signature(model)
        except ImportError:
            model.export(str(target), format="tf_saved_model", verbose=False)
            return
    else:
        signature = specs
    archive = keras.export.ExportArchive()
    archive.track_and_add_endpoint("serve", model, signature)
    archive.write_out(str(target), options=tf.saved_model.SaveOptions(save_debug_info=True), verbose=False)


def _input_names(model: Any, examples: list[Any] | None) -> list[str] | None:
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if inputs:
        return [re.sub(r"[^A-Za-z0-9_]", "_", t.name) for t in inputs]
    try:
        parameters = [
            p.name for p in inspect.signature(model.call).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name not in ("training", "mask")
        ]
    except (TypeError, ValueError):
        return None
    if examples is not None and len(parameters) >= len(examples):
        return parameters[: len(examples)]
    return None


def _input_dtypes(model: Any, request: ExportRequest, count: int) -> list[Any]:
    given = list(getattr(request, "input_dtypes", None) or [])
    try:
        declared = [t.dtype for t in (model.inputs or [])]
    except (AttributeError, ValueError):
        declared = []
    return [tf.as_dtype(given[i] if i < len(given) else (declared[i] if i < len(declared) else "float32"))
            for i in range(count)]


def _tf1_key(tensor_name: str) -> str:
    name = tensor_name.removesuffix(":0")
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def _roots(request: ExportRequest, source: Path) -> list[Path]:
    # Converter errors may point into any file of the user's project, not only the source.
    roots = [source.parent if source.is_file() else source]
    if request.workspace:
        roots.append(Path(request.workspace).expanduser().resolve())
    return roots


def _weights_only(path: Path) -> ExportError:
    return ExportError(
        "load code",
        f"{path.name} holds weights only, not the model's graph: export the Python file that builds the model "
        f"and pass {path.name} as --checkpoint.",
    )


def _short(error: BaseException) -> str:
    return tf_usercode.first_line(error)
