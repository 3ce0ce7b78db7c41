"""Measure one PyTorch model of the catalog, in its own process (run by `truth_torch`).

    python -m bench.real_models._torch_child ID RESULT.json STAGE.txt

Stages, in order: build, eager, export, lowering, runtime, compare. The stage about to run is
written to STAGE.txt first, so a crash or a hang can be mapped to it by the parent. Coverage
records the library lines run while building, in the eager forward and under
`torch.export.export(strict=False)` (what litert-torch runs first); it is stopped before
lowering so the converter's own speed is not measured under tracing.
"""

from __future__ import annotations

import json
import os
import random
import sys
import traceback
from importlib import util
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

LIBRARIES = ("transformers", "timm", "torchvision")


def main(argv: list[str]) -> int:
    model_id, result_path, stage_path = argv
    result = measure(model_id, Path(stage_path))
    Path(result_path).write_text(json.dumps(result), encoding="utf-8")
    return 0


def measure(model_id: str, stage_file: Path) -> dict[str, Any]:
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

    return _convert_and_compare(module, inputs, expected, enter, fail, result)


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
    from bench.real_models.truth_torch import line_ranges

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
