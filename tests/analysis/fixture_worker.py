"""Worker for the fixture reality check: convert one fixture with litert-torch, run it in
the LiteRT runtime and compare with eager PyTorch. Run as `python -m tests.analysis.fixture_worker`
(through `tools.probes.isolation`, which isolates crashes and hangs).
"""

from __future__ import annotations

import importlib.util
from typing import Any

from tools.probes.isolation import serve

RTOL = 1e-3
ATOL = 1e-4


def _outputs(value: Any) -> list:
    if isinstance(value, (tuple, list)):
        return [o for v in value for o in _outputs(v)]
    return [value]


def check(path: str) -> dict[str, Any]:
    import litert_torch
    import numpy as np
    import torch

    spec = importlib.util.spec_from_file_location(f"fixture_{abs(hash(path))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    torch.manual_seed(0)
    model = module.Model().eval()
    inputs = tuple(module.example_inputs())
    with torch.no_grad():
        expected = [o.detach().numpy() for o in _outputs(model(*inputs))]
    try:
        converted = litert_torch.convert(model, inputs)
    except Exception as error:  # noqa: BLE001 - the failure is the result
        return {"stage": "convert", "ok": False, "error": f"{type(error).__name__}: {str(error)[:300]}"}
    try:
        actual = [np.asarray(o) for o in _outputs(converted(*inputs))]
    except Exception as error:  # noqa: BLE001
        return {"stage": "run", "ok": False, "error": f"{type(error).__name__}: {str(error)[:300]}"}
    if len(actual) != len(expected):
        return {"stage": "compare", "ok": False, "error": f"{len(actual)} outputs, expected {len(expected)}"}
    for index, (a, e) in enumerate(zip(actual, expected)):
        if a.shape != e.shape or not np.allclose(a.astype(np.float64), e.astype(np.float64), rtol=RTOL, atol=ATOL):
            worst = float(np.max(np.abs(a.astype(np.float64) - e.astype(np.float64)))) if a.shape == e.shape else None
            return {"stage": "compare", "ok": False, "error": f"output {index} differs (max abs error {worst})"}
    return {"stage": "compare", "ok": True, "error": None}


def main() -> None:
    serve(check)


if __name__ == "__main__":
    main()
