"""Make PyPI's torchvision importable beside the CPU build of torch 2.13.0.

PyPI's torchvision wheel carries a C extension built against the CUDA torch; with the CPU
build its operators are never registered, and `import torchvision` then fails in
`_meta_registrations` ("operator torchvision::nms does not exist"). The pure-Python models
(and timm, which imports `torchvision.ops.misc`) do not need those operators, so the
harness declares the two schemas torchvision registers fake kernels for, before the import.
Models that call torchvision's detection ops (nms, roi_align, ...) are left out of the suite.

torchvision is not installed in the project's environment, because transformers imports it
whenever it is installed and would then fail the same way for every model: it lives in
`BENCH_LIBS` (`.venv/bench-libs`, where ./dev installs the suite's libraries with --no-deps),
which only the suites put on `sys.path`.
"""

from __future__ import annotations

import sys
from pathlib import Path

BENCH_LIBS = Path(__file__).resolve().parents[2] / ".venv" / "bench-libs"


def activate_bench_libs() -> None:
    """Put the suites' own libraries (`BENCH_LIBS`) on `sys.path`, after site-packages."""
    if BENCH_LIBS.is_dir() and str(BENCH_LIBS) not in sys.path:
        sys.path.append(str(BENCH_LIBS))


def bench_version(name: str) -> str | None:
    """The version of a library installed in `BENCH_LIBS`, read from its metadata without
    putting the folder on `sys.path`."""
    from importlib import metadata

    wanted = name.replace("-", "_").lower()
    for distribution in metadata.distributions(path=[str(BENCH_LIBS)]):
        if distribution.metadata["Name"].replace("-", "_").lower() == wanted:
            return distribution.version
    return None


def install() -> None:
    """Make torchvision importable: the bench libraries on the path, and `torchvision::nms`
    and `torchvision::qnms` declared if nothing else has."""
    activate_bench_libs()
    import torch

    try:
        torch.ops.torchvision.nms  # noqa: B018 - the real extension loaded: nothing to do
        return
    except (AttributeError, RuntimeError):
        pass
    library = torch.library.Library("torchvision", "DEF")
    library.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    library.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    # Keep the library object alive for the life of the process (dropping it unregisters).
    install.library = library  # type: ignore[attr-defined]
