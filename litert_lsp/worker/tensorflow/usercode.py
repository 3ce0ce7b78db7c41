"""Build a Keras model from the user's Python file (for TF2 checkpoints and weight files).

Runs the user's code: only ever called for an export the user asked for. Worker-only.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import inspect
import re
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

import keras
import numpy as np

from litert_lsp.jobs.job import ExportError, ExportRequest, SourceFailure
from litert_lsp.jobs.package import PackagePlace, package_place
from litert_lsp.jobs.shapes import concrete
from litert_lsp.models.exportable import models_of

# Function names taken as model builders when the request names none.
_BUILDER_PREFIXES = ("build", "make", "create", "get_model", "model")


def load_module(path: Path, stage: str = "load code") -> ModuleType:
    """Import the user's file under a private module name, its folder first on sys.path
    (so its sibling imports resolve as they do when the user runs it)."""
    place = package_place(path)
    if place.in_package:
        return _import_in_package(path, place, stage)
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    name = f"_litert_user_{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ExportError(stage, f"{path} cannot be imported as a Python module.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    folder = str(path.parent)
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except Exception as error:  # user code may raise anything
        sys.modules.pop(name, None)
        raise user_code_error(error, path, stage, f"importing {path.name} failed") from error
    finally:
        with contextlib.suppress(ValueError):  # user code may have removed it itself
            sys.path.remove(folder)
    return module


def _import_in_package(path: Path, place: PackagePlace, stage: str) -> ModuleType:
    """A file inside a package is imported by its dotted name from the package's import root,
    so its relative imports (`from .layers import Block`) resolve as in the project."""
    top = place.module_name.split(".")[0]
    for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
        del sys.modules[name]  # a stale copy from an earlier export: edits must be seen
    root = str(place.import_root)
    sys.path.insert(0, root)
    importlib.invalidate_caches()
    try:
        return importlib.import_module(place.module_name)
    except Exception as error:  # user code may raise anything
        raise user_code_error(error, path, stage, f"importing {place.module_name} failed") from error
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(root)


def user_code_error(error: BaseException, path: Path, stage: str, what: str) -> ExportError:
    """An ExportError for an exception raised inside user code, pointing at its deepest line there."""
    summary = f"{type(error).__name__}: {_first_line(error)}"
    failures = []
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename and _same_file(frame.filename, path) and frame.lineno:
            failures.append(SourceFailure(str(path), frame.lineno, summary, stage))
            break
    if isinstance(error, SyntaxError) and error.lineno and not failures:
        failures.append(SourceFailure(str(path), error.lineno, summary, stage))
    where = f" (line {failures[0].line})" if failures else ""
    return ExportError(stage, f"{what}{where}: {summary}", failures)


def find_builder(module: ModuleType, name: str | None, path: Path) -> tuple[str, Any]:
    """The model class or builder function to call: the one named, or the only candidate."""
    if name:
        target = getattr(module, name, None)
        if target is None or not callable(target):
            raise ExportError("load code", f"{path.name} defines no class or function named {name!r}.")
        return name, target
    chosen = _statically_chosen(module, path)
    if chosen is not None:
        return chosen
    # The file's text names no single model (or cannot be read): judge by what importing it made.
    classes = [
        (n, obj) for n, obj in vars(module).items()
        if inspect.isclass(obj) and obj.__module__ == module.__name__ and issubclass(obj, keras.Model)
    ]
    if len(classes) == 1:
        return classes[0]
    functions = [
        (n, obj) for n, obj in vars(module).items()
        if inspect.isfunction(obj) and obj.__module__ == module.__name__ and n.lower().startswith(_BUILDER_PREFIXES)
    ]
    if not classes and len(functions) == 1:
        return functions[0]
    found = [n for n, _ in classes] or [n for n, _ in functions]
    if not found:
        raise ExportError(
            "load code",
            f"{path.name} defines no keras.Model subclass and no build_*/make_*/create_* function; "
            "name the model builder with --model.",
        )
    raise ExportError("load code", f"{path.name} defines several models ({', '.join(found)}); choose one with --model.")


def _statically_chosen(module: ModuleType, path: Path) -> tuple[str, Any] | None:
    """The model the planner and the editor would pick from the file's text (`models.exportable`)."""
    try:
        found = models_of(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None
    if found.framework != "tensorflow" or len(found.exported) != 1:
        return None
    name = found.exported[0].name
    target = getattr(module, name, None)
    return (name, target) if callable(target) else None


def build_model(request: ExportRequest, path: Path) -> tuple[keras.Model, str, list[np.ndarray] | None]:
    """Import the file, call the builder with the request's arguments, and build the weights.

    Returns the model, the builder's name and the example inputs used to build it (None when
    the model was already built, e.g. a functional model with declared inputs).
    """
    module = load_module(path)
    name, builder = find_builder(module, request.model, path)
    try:
        model = builder(*request.constructor_args, **request.constructor_kwargs)
    except Exception as error:
        raise user_code_error(error, path, "load code", f"calling {name}() failed") from error
    if not isinstance(model, keras.layers.Layer):
        raise ExportError(
            "load code", f"{name}() returned {type(model).__name__}, not a Keras model; name the builder with --model."
        )
    examples = example_inputs(request, model, module)
    if examples is not None and not _has_declared_inputs(model):
        try:
            model(*examples)
        except Exception as error:
            raise user_code_error(
                error, path, "load code", f"calling {name} on inputs of shape {[list(e.shape) for e in examples]} failed"
            ) from error
    elif not model.built:
        raise ExportError(
            "load code",
            f"{name} has no weights until it is called and its input shape is unknown: pass --input-shape "
            "(e.g. 1,28,28,1) or define example_inputs() in the file.",
        )
    return model, name, examples


def example_inputs(request: ExportRequest, model: Any, module: ModuleType) -> list[np.ndarray] | None:
    """Inputs to build/trace with: request shapes first, then an `example_inputs` the user defined
    on the model or in the file (a value or a function), else None."""
    if request.input_shapes:
        dtypes = list(getattr(request, "input_dtypes", None) or [])
        dtypes += ["float32"] * (len(request.input_shapes) - len(dtypes))
        # A dynamic size (-1) gets an example size; the signature keeps it open (sources.py).
        return [sample_array(concrete(shape, 1), dtype) for shape, dtype in zip(request.input_shapes, dtypes)]
    for owner in (model, module):
        value = getattr(owner, "example_inputs", None)
        if value is None:
            continue
        if callable(value):
            value = value()
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        return [np.asarray(v) for v in values]
    return None


def sample_array(shape: list[int], dtype: str, seed: int = 0) -> np.ndarray:
    """Deterministic example data: normal floats, small non-negative ints (valid indices for
    any embedding with at least 4 rows), random booleans."""
    rng = np.random.default_rng(seed + len(shape) * 7919 + sum(shape))
    kind = np.dtype(dtype)
    if kind.kind == "f":
        return rng.standard_normal(shape).astype(kind)
    if kind.kind in "iu":
        return rng.integers(0, 4, size=shape).astype(kind)
    if kind.kind == "b":
        return rng.integers(0, 2, size=shape).astype(bool)
    raise ExportError("export", f"cannot make example inputs of dtype {dtype}; only numeric and bool inputs are supported.")


def _has_declared_inputs(model: Any) -> bool:
    try:
        return bool(model.inputs)
    except (AttributeError, ValueError):
        return False


def _same_file(a: str, b: Path) -> bool:
    try:
        return Path(a).resolve() == b.resolve()
    except OSError:
        return False


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def first_line(error: BaseException) -> str:
    """The sentence of an error worth showing: Keras wraps errors raised inside call() as
    "Exception encountered when calling X.call()." with the real cause (in ANSI bold) below."""
    lines = [line.strip() for line in _ANSI.sub("", str(error)).strip().splitlines() if line.strip()]
    text = lines[0] if lines else type(error).__name__
    if text.startswith("Exception encountered when calling") and len(lines) > 1:
        text = f"{lines[1]} (in {text.removeprefix('Exception encountered when calling ').rstrip('.')})"
    return text if len(text) <= 300 else text[:297] + "..."


_first_line = first_line
