"""Measure one PyTorch model of the catalog, in its own process (run by `truth_torch`).

    python -m bench.real_models._torch_child ID RESULT.json STAGE.txt

Stages, in order: build, eager, export, lowering, runtime, compare, and for a model that runs
with wrong numbers culprit (which submodule the mismatch starts in, and the lines it runs).
The stage about to run is written to STAGE.txt first, so a crash or a hang can be mapped to it by the parent. Coverage
records the library lines run while building, in the eager forward and under
`torch.export.export(strict=False)` (what litert-torch runs first); it is stopped before
lowering so the converter's own speed is not measured under tracing.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import sys
import traceback
from collections.abc import Callable
from importlib import util
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

LIBRARIES = ("transformers", "timm", "torchvision")


def main(argv: list[str]) -> int:
    model_id, result_path, stage_path = argv
    def save(result: dict[str, Any]) -> None:
        Path(result_path).write_text(json.dumps(result), encoding="utf-8")

    save(measure(model_id, Path(stage_path), save))
    return 0


def measure(model_id: str, stage_file: Path, save: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    import coverage
    import numpy as np
    import torch

    from bench.real_models import catalog_torch
    from bench.real_models._torch_errors import construct_of, first_informative_line
    from bench.real_models.torchvision_shim import install

    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    install()  # timm and torchvision import only with it
    import timm  # noqa: F401 - imported before coverage starts: package import is not the model's
    import transformers  # noqa: F401

    packages = _package_dirs()
    tracer = coverage.Coverage(data_file=None, config_file=False, branch=False,
                               include=[str(folder / "*") for folder in packages])
    result: dict[str, Any] = {"status": None, "error": None, "construct": None,
                              "max_rel_error": None, "executed": {}}
    entry = catalog_torch.entry(model_id)
    stage = "build"

    def enter(name: str) -> None:
        nonlocal stage
        stage = name
        stage_file.write_text(name, encoding="utf-8")

    def fail(status: str, error: BaseException) -> dict[str, Any]:
        message = _messages(error)
        print(f"[{status}] {message}", file=sys.stderr, flush=True)  # the parent keeps the log
        construct = None if status == "build_error" else construct_of(message)
        result.update(status=status, error=first_informative_line(type(error).__name__, message),
                      construct=construct)
        if status != "build_error" and construct is None:
            # No op to name: where in the library it broke is what a finding can name instead.
            result["failing_at"] = failing_location(error, message, packages)
        return result

    tracer.start()
    try:
        try:
            enter("build")
            module, inputs = entry.build()
            enter("eager")
            with torch.no_grad():
                expected = module(*inputs)
        except Exception as error:  # noqa: BLE001 - the harness could not build or run it
            return fail("build_error", error)
        try:
            enter("export")
            torch.export.export(module, inputs, strict=False)
        except Exception as error:  # noqa: BLE001 - every failure is a measurement
            return fail("export", error)
    finally:
        tracer.stop()
        result["executed"] = _executed(tracer, packages)

    measured = _convert_and_compare(module, inputs, expected, enter, fail, result)
    if measured["status"] == "wrong_numbers":
        if save is not None:
            save(measured)  # the verdict stands if the culprit search dies or runs out of time
        enter("culprit")
        measured["culprit"] = culprit_of(module, inputs, packages)
    return measured


def _convert_and_compare(module: Any, inputs: tuple[Any, ...], expected: Any, enter: Any, fail: Any,
                         result: dict[str, Any]) -> dict[str, Any]:
    import litert_torch

    from litert_lsp.jobs.job import ExportRequest
    from litert_lsp.worker import runtime
    from litert_lsp.worker.verify import tolerances

    enter("lowering")
    try:
        converted = litert_torch.convert(module, inputs)
        content = converted.model_content() if callable(converted.model_content) else converted.model_content
        content = bytes(content)
    except Exception as error:  # noqa: BLE001
        return fail("export" if _in_torch_export(error) else "lowering", error)

    enter("runtime")
    try:
        interpreter = runtime.load_interpreter(content)
        declared = runtime._tensor_infos(interpreter, "inputs")
        # int64 token ids arrive as int32: feed each input the dtype the model declares.
        feed = [t.detach().numpy().astype(d.dtype, copy=False) for t, d in zip(inputs, declared)]
        actual = runtime.run(content, feed, interpreter)
    except Exception as error:  # noqa: BLE001
        return fail("runtime", error)

    enter("compare")
    reference = [expected.detach().numpy()]
    outcome = compare_to_scale(actual, reference, *tolerances(ExportRequest(source=""), reference))
    result["max_rel_error"] = outcome["max_rel_error"]
    if outcome["ok"]:
        result["status"] = "ok"
    else:
        result.update(status="wrong_numbers", error=f"runs but disagrees with PyTorch: {outcome['detail']}")
    return result


def compare_to_scale(actual: list[Any], expected: list[Any], atol: float, rtol: float) -> dict[str, Any]:
    """The export's rule (`runtime.compare`: |a - e| <= atol + rtol |e|, with the export's
    tolerances) applied to outputs divided by their scale (max |expected|). Random-weight models
    give outputs from 1e-11 to 1e15; an absolute tolerance means nothing across that range."""
    import numpy as np

    from litert_lsp.worker import runtime

    scale = max((float(np.max(np.abs(e))) for e in expected if np.size(e)), default=0.0)
    scale = scale if scale > 0 and np.isfinite(scale) else 1.0
    scaled_actual = [np.asarray(a, dtype=np.float64) / scale for a in actual]
    scaled_expected = [np.asarray(e, dtype=np.float64) / scale for e in expected]
    comparison = runtime.compare(scaled_actual, scaled_expected, atol, rtol)
    detail = (f"max error {comparison.max_abs_error:.3g} of the output scale {scale:.3g} "
              f"(tolerance atol={atol:g}, rtol={rtol:g} on outputs divided by that scale)")
    if not np.isfinite(comparison.max_abs_error):
        detail = comparison.detail  # a shape or output-count mismatch says it better
    finite = bool(np.isfinite(comparison.max_abs_error))
    return {"ok": comparison.ok, "max_rel_error": comparison.max_abs_error if finite else None, "detail": detail}


def culprit_of(module: Any, inputs: tuple[Any, ...], packages: list[Path]) -> dict[str, Any] | None:
    """Where a wrong-numbers model's mismatch starts (the worker's culprit finder), and the library
    lines that submodule's forward alone executes on the example inputs (coverage started by a
    forward pre-hook on it and stopped by its forward hook). None when no submodule disagrees alone."""
    import inspect

    import coverage
    import torch

    from litert_lsp.worker.torch import culprit

    try:
        found = culprit.find(module, inputs)
    except Exception as error:  # noqa: BLE001 - the finder failing leaves the model unnamed, not unmeasured
        print(f"[culprit] {type(error).__name__}: {error}", file=sys.stderr, flush=True)
        return None
    if found is None:
        return None
    part = module.get_submodule(found.name)
    tracer = coverage.Coverage(data_file=None, config_file=False, branch=False,
                               include=[str(folder / "*") for folder in packages])
    # Its first call in each run: a submodule called again later (shared blocks) runs the same
    # lines. Both runs count, as for `executed`: the eager forward, and the forward under
    # `torch.export` (what the converter gets, which may take other paths: transformers' SDPA
    # widens K/V with `repeat_kv` only there).
    calls = {"n": 0, "tracing": False}

    def start(*_: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            tracer.start()
            calls["tracing"] = True

    def stop(*_: Any) -> None:
        if calls["tracing"]:
            tracer.stop()
            calls["tracing"] = False

    handles = [part.register_forward_pre_hook(start), part.register_forward_hook(stop)]
    try:
        with torch.no_grad():
            module(*inputs)
        calls["n"] = 0
        with contextlib.suppress(Exception):  # it converted once already; a failure here only costs lines
            torch.export.export(module, inputs, strict=False)
    finally:
        for handle in handles:
            handle.remove()
        if calls["tracing"]:
            tracer.stop()  # the export failed inside the culprit's forward
    try:
        source, first = inspect.getsourcelines(type(part))
        lines = [first, first + len(source) - 1]
    except (OSError, TypeError):
        lines = None
    path = getattr(found, "path", None)
    return {"name": found.name, "class": found.class_name, "file": _relative(path, packages) if path else None,
            "lines": lines, "rel_error": getattr(found, "rel_error", None),
            "executed": _executed(tracer, packages)}


_FILE_LINE = re.compile(r'File "([^"]+)", line (\d+)')


def failing_location(error: BaseException, message: str, packages: list[Path]) -> dict[str, str]:
    """The deepest library line of each traceback in the error's chain (and of tracebacks quoted in
    its message, as FX re-raises give them): where the model's own code was when it broke."""
    from bench.real_models.line_sets import encode

    chains: list[list[tuple[str, int]]] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chains.append([(f.filename, f.lineno or 0) for f in traceback.extract_tb(current.__traceback__)])
        current = current.__cause__ or current.__context__
    chains.append([(name, int(line)) for name, line in _FILE_LINE.findall(message)])
    found: dict[str, set[int]] = {}
    for frames in chains:
        for filename, line in reversed(frames):
            relative = _relative(filename, packages)
            if relative is not None and line:
                found.setdefault(relative, set()).add(line)
                break
    return {path: encode(lines) for path, lines in sorted(found.items())}


def _relative(filename: str, packages: list[Path]) -> str | None:
    path = Path(filename).resolve()
    folder = next((f for f in packages if path.is_relative_to(f)), None)
    return path.relative_to(folder.parent).as_posix() if folder is not None else None


def _messages(error: BaseException) -> str:
    """The error's message and those of its causes: converters re-raise with a generic message
    ("While executing %node ...") and keep the informative one as the cause."""
    texts, seen, current = [], set(), error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        texts.append(str(current))
        current = current.__cause__ or current.__context__
    return "\n".join(t for t in texts if t) or type(error).__name__


def _in_torch_export(error: BaseException) -> bool:
    frames = [f for f in traceback.extract_tb(error.__traceback__) if "litert_torch" in f.filename]
    return bool(frames) and frames[-1].name == "export_torch_signature"


def _package_dirs() -> list[Path]:
    """Each measured library's package folder (site-packages, or the suites' own
    .venv/bench-libs); recorded paths are relative to the folder that holds it."""
    folders = []
    for library in LIBRARIES:
        spec = util.find_spec(library)
        if spec is not None and spec.submodule_search_locations:
            folders.append(Path(next(iter(spec.submodule_search_locations))).resolve())
    return folders


def _executed(tracer: Any, packages: list[Path]) -> dict[str, str]:
    from bench.real_models.line_sets import encode as line_ranges

    data = tracer.get_data()
    executed = {}
    for name in sorted(data.measured_files()):
        lines = data.lines(name) or []
        path = Path(name).resolve()
        folder = next((f for f in packages if path.is_relative_to(f)), None)
        if lines and folder is not None:
            executed[path.relative_to(folder.parent).as_posix()] = line_ranges(lines)
    return executed


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
