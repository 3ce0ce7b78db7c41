"""The background conversion check on the real-model suite's failing PyTorch models (#12 target).

For each model of `bench/real_models/data/torch_truth.json` that fails in LiteRT, a fresh
subprocess builds it as the truth did (tiny config, random weights) and runs the worker's own
post-build path, `litert_lsp.worker.torch.export.check_model` (convert, verify in LiteRT, then
locate: converter text and tracebacks, the failing submodule, the numerical culprit), with the
model library's package folder as the project root, as if its author were editing it. Scores:

- flagged: a located failure on a line the model executed (the truth's `executed` lines; a
  finding inside a multi-line statement counts by its statement, as score.py does). Target 95%.
- culprit: for the wrong-numbers models, whether the culprit found is an attention submodule.

    flock /tmp/litert-converter.lock .venv/bin/python -m bench.convert_check_real [--only ID ...] [--timeout S]

One subprocess per model, killed at the timeout. With `--lock-each` (and no outer flock) each
child takes the machine's converter lock itself, so other converter users interleave between
models. Prints a table and the two fractions.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TRUTH = REPO / "bench" / "real_models" / "data" / "torch_truth.json"
NOT_FAILING = ("ok", "build_error")
TIMEOUT = 200.0


# ---- the child: one model --------------------------------------------------------------------


def child(model_id: str, result_path: Path) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import random

    import numpy as np
    import torch

    from bench.real_models import catalog_torch
    from bench.real_models.torchvision_shim import install

    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    install()
    entry = catalog_torch.entry(model_id)
    root = package_folder(entry.library)
    module, inputs = entry.build()

    from litert_lsp.jobs.job import ExportRequest
    from litert_lsp.worker.torch.export import check_model

    started = time.monotonic()
    request = ExportRequest(source=str(root), write_output=False, workspace=str(root))
    result = check_model(module, tuple(inputs), type(module).__name__, request, [root], lambda *_: None)
    report = {"result": result.to_json(), "root": str(root), "seconds": round(time.monotonic() - started, 1)}
    result_path.write_text(json.dumps(report, default=str), encoding="utf-8")


def package_folder(library: str) -> Path:
    from importlib import util

    spec = util.find_spec(library)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{library} is not importable here")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


# ---- the parent: run, score, print -----------------------------------------------------------


def run(model_id: str, timeout: float, lock: bool) -> dict[str, Any]:
    from bench.real_models.truth_file import run_measuring_child

    with tempfile.TemporaryDirectory(prefix="convert_check_real_") as folder:
        result_file, log_file = Path(folder) / "result.json", Path(folder) / "log"
        command = [sys.executable, "-m", "bench.convert_check_real", "--child", model_id, str(result_file)]
        env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
        code, seconds = run_measuring_child(command, log_file, env, REPO, timeout, lock=lock)
        if result_file.exists():
            return {**json.loads(result_file.read_text(encoding="utf-8")), "wall": seconds}
        tail = log_file.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
        why = "timed out" if code is None else f"exited with {code}"
        return {"result": None, "error": f"{why}: {' | '.join(tail)}"[:300], "wall": seconds}


def statement_lines(path: Path) -> dict[int, int]:
    from bench.real_models.score import _statement_lines

    try:
        return _statement_lines(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return {}


def score(model: dict[str, Any], outcome: dict[str, Any]) -> dict[str, Any]:
    """Which located failures sit on lines the model executed, and the culprit's class."""
    from bench.real_models.score import parse_ranges

    result = outcome.get("result") or {}
    root = Path(outcome.get("root") or ".")
    executed = {relative: parse_ranges(ranges) for relative, ranges in (model.get("executed") or {}).items()}
    hits, places = [], []
    for failure in result.get("failures") or []:
        path = Path(failure["path"])
        try:
            relative = path.resolve().relative_to(root.parent).as_posix()
        except ValueError:
            relative = path.as_posix()
        line = int(failure["line"])
        places.append(f"{relative.split('/')[-1]}:{line}")
        lines = executed.get(relative, set())
        statement = statement_lines(path).get(line, line)
        if line in lines or statement in lines:
            hits.append(f"{relative}:{line}")
    culprit = (result.get("details") or {}).get("culprit") or {}
    attention = None
    if model["status"] == "wrong_numbers":
        attention = "attn" in (culprit.get("module") or "").lower() or "attention" in (culprit.get("class") or "").lower()
    return {"flagged": bool(hits), "hits": hits, "places": places, "attention": attention,
            "culprit": f"{culprit.get('module')} ({culprit.get('class')})" if culprit else None,
            "status": result.get("status"), "stage": result.get("stage"),
            "message": (result.get("message") or outcome.get("error") or "")[:140]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.convert_check_real", description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", default=None, help="model ids (default: every failing model)")
    parser.add_argument("--timeout", type=float, default=TIMEOUT, help="seconds per model")
    parser.add_argument("--lock-each", action="store_true", help="take /tmp/litert-converter.lock for each model "
                        "(instead of running the whole command under flock)")
    parser.add_argument("--json", type=Path, default=None, help="also write the per-model rows here")
    parser.add_argument("--child", nargs=2, metavar=("ID", "RESULT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return 0

    truth = json.loads(TRUTH.read_text(encoding="utf-8"))
    models = [m for m in truth["models"] if m["status"] not in NOT_FAILING]
    if args.only:
        models = [m for m in models if m["id"] in args.only]
    rows = []
    started = time.monotonic()
    for model in models:
        outcome = run(model["id"], args.timeout, lock=args.lock_each)
        row = {"id": model["id"], "truth": model["status"], "wall": outcome["wall"], **score(model, outcome)}
        rows.append(row)
        where = ", ".join(row["places"][:3]) or "-"
        extra = f" culprit {row['culprit']}" if row["truth"] == "wrong_numbers" else ""
        print(f"{row['id']:<34} {row['truth']:<13} {row['status'] or '-':<9} {'HIT ' if row['flagged'] else 'MISS'} "
              f"{row['wall']:>6.1f}s  at {where}{extra}", flush=True)
        if not row["flagged"]:
            print(f"{'':<34} {row['message']}", flush=True)
    flagged = sum(r["flagged"] for r in rows)
    numeric = [r for r in rows if r["truth"] == "wrong_numbers"]
    named = sum(bool(r["attention"]) for r in numeric)
    print(f"\nflagged at an executed line: {flagged}/{len(rows)} = {flagged / max(len(rows), 1):.0%} (target 95%)")
    print(f"wrong-numbers models whose culprit is the attention submodule: {named}/{len(numeric)}")
    print(f"total {time.monotonic() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

