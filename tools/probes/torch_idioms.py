"""Idiom probes for PyTorch: constructs whose outcome no single op's probe shows.

`python -m tools.probes.torch_idioms` builds each idiom's minimal module in every common
spelling, converts it with litert-torch, runs it in LiteRT and compares with eager PyTorch
(the same pipeline as the op probes: `torch_probe.probe_module`), each spelling in its own
worker process. The measurements go to `litert_lsp/kb/data/torch_idioms.json` (schema in
`litert_lsp/kb/idioms.py`); the analyzer's idiom rules read their evidence from there.

Idiom `gqa_kv_widening`: grouped-query attention with 2 query heads and 1 key/value head from
separate K and V projections, the KV head widened to the query heads before attention
(transformers' `repeat_kv` expand+reshape, `.repeat`, `repeat_interleave`, SDPA
`enable_gqa=True`, explicit matmul-softmax after widening), against controls (as many KV heads
as query heads; K and V the same tensor) and the candidate rewrite (explicit attention that
lets the matmul broadcast the KV head, no widening).

Idiom `topk_values_only`: `torch.topk(...)` whose values alone are used (the op probe measures
that it lowers to a sort LiteRT cannot run), against the values gathered through its indices.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tools.probes.isolation import run_isolated

WORKER_MODULE = "tools.probes.torch_idioms_worker"
DATA_FILE = Path(__file__).resolve().parents[2] / "litert_lsp" / "kb" / "data" / "torch_idioms.json"
SCHEMA = 1

# Minimal shapes: batch 1, 6 tokens, model width 8, head dim 4; 2 query heads, 1 KV head.
BATCH, TOKENS, WIDTH, HEAD_DIM, Q_HEADS, KV_HEADS = 1, 6, 8, 4, 2, 1

# label -> (role, words). Roles: "widening" (the idiom), "control" (should be exact),
# "rewrite" (the formulation offered instead).
GQA_SPELLINGS: dict[str, tuple[str, str]] = {
    "expand_reshape": ("widening", "K/V widened with expand+reshape (transformers' repeat_kv), then SDPA"),
    "expand_reshape_causal": ("widening", "as expand_reshape, with is_causal=True"),
    "repeat": ("widening", "K/V widened with .repeat(1, groups, 1, 1), then SDPA"),
    "repeat_interleave": ("widening", "K/V widened with repeat_interleave(groups, dim=1), then SDPA"),
    "enable_gqa": ("widening", "SDPA with enable_gqa=True on the unwidened K/V"),
    "explicit_widened": ("widening", "K/V widened with expand+reshape, then explicit matmul-softmax-matmul"),
    "mha": ("control", "as many KV heads as query heads (no widening), SDPA"),
    "shared_kv": ("control", "K and V the same tensor, widened with expand+reshape, SDPA"),
    "broadcast": ("rewrite", ("explicit attention on query heads grouped per KV head, the matmul "
                              "broadcasting the KV head (no widening)")),
    "broadcast_causal": ("rewrite", "as broadcast, with a causal mask"),
}

REWRITE_DESCRIPTION = (
    "group the query heads per KV head and let the matmul broadcast K and V instead of widening "
    "them: `q = q.view(b, kv_heads, groups, t, d)`, `w = (q @ k.unsqueeze(2).transpose(-1, -2)) "
    "* scale` (add the mask), `out = (w.softmax(-1) @ v.unsqueeze(2)).reshape(b, kv_heads * groups, t, d)`"
)


TOPK_SPELLINGS: dict[str, tuple[str, str]] = {
    "values_only": ("construct", "torch.topk(x, 3).values alone"),
    "both_outputs": ("control", "values and indices both returned"),
    "gather_indices": ("rewrite", "x.gather(-1, torch.topk(x, 3).indices)"),
}
TOPK_REWRITE = ("take the values through the indices, which convert alone: "
                "`x.gather(dim, torch.topk(x, k, dim).indices)`")

# Idioms that are one op's call site: the op names and the outputs the construct uses, so that
# the analyzer can attach the idiom's verified rewrite to that op's usage-picked verdict.
CALL_SITES: dict[str, dict[str, Any]] = {
    "topk_values_only": {"ops": ["torch.topk", "torch.Tensor.topk"], "outputs_used": [0]},
}

# idiom -> (what it is, its spellings, the rewrite's description)
IDIOMS: dict[str, tuple[str, dict[str, tuple[str, str]], str]] = {
    "gqa_kv_widening": (
        (f"grouped-query attention ({Q_HEADS} query heads, {KV_HEADS} KV head, separate K and V projections) "
         "with K/V widened to the query heads before attention"), GQA_SPELLINGS, REWRITE_DESCRIPTION),
    "topk_values_only": ("torch.topk with only its values used", TOPK_SPELLINGS, TOPK_REWRITE),
}


def jobs() -> list[str]:
    return [f"{idiom}::{label}" for idiom, (_, spellings, _) in IDIOMS.items() for label in spellings]


# ---- worker side -------------------------------------------------------------------------------


def _gqa_module(spelling: str) -> Any:
    import torch
    import torch.nn.functional as F

    kv_heads = Q_HEADS if spelling == "mha" else KV_HEADS
    groups = Q_HEADS // kv_heads
    causal = spelling.endswith("_causal")

    def widen(t: torch.Tensor) -> torch.Tensor:
        if spelling == "repeat":
            return t.repeat(1, groups, 1, 1)
        if spelling == "repeat_interleave":
            return t.repeat_interleave(groups, dim=1)
        b, h, n, d = t.shape
        return t[:, :, None, :, :].expand(b, h, groups, n, d).reshape(b, h * groups, n, d)

    class Attention(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.q = torch.nn.Linear(WIDTH, Q_HEADS * HEAD_DIM)
            self.k = torch.nn.Linear(WIDTH, kv_heads * HEAD_DIM)
            self.v = torch.nn.Linear(WIDTH, kv_heads * HEAD_DIM)
            self.o = torch.nn.Linear(Q_HEADS * HEAD_DIM, WIDTH)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            b, n, _ = x.shape
            q = self.q(x).view(b, n, Q_HEADS, HEAD_DIM).transpose(1, 2)
            k = self.k(x).view(b, n, kv_heads, HEAD_DIM).transpose(1, 2)
            v = k if spelling == "shared_kv" else self.v(x).view(b, n, kv_heads, HEAD_DIM).transpose(1, 2)
            if spelling == "enable_gqa":
                out = F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
            elif spelling.startswith("broadcast"):
                qg = q.view(b, kv_heads, groups, n, HEAD_DIM)
                w = (qg @ k.unsqueeze(2).transpose(-1, -2)) * HEAD_DIM ** -0.5
                if causal:
                    w = w + torch.full((n, n), float("-inf")).triu(1)
                out = (w.softmax(-1) @ v.unsqueeze(2)).reshape(b, kv_heads * groups, n, HEAD_DIM)
            elif spelling == "explicit_widened":
                kw, vw = widen(k), widen(v)
                w = (q @ kw.transpose(-1, -2)) * HEAD_DIM ** -0.5
                out = w.softmax(-1) @ vw
            elif spelling == "mha":
                out = F.scaled_dot_product_attention(q, k, v)
            else:
                out = F.scaled_dot_product_attention(q, widen(k), widen(v), is_causal=causal)
            return self.o(out.transpose(1, 2).reshape(b, n, Q_HEADS * HEAD_DIM))

    torch.manual_seed(0)
    return Attention().eval()


def _topk_module(spelling: str) -> Any:
    import torch

    class TopK(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> Any:
            if spelling == "values_only":
                return torch.topk(x, 3).values
            if spelling == "both_outputs":
                values, indices = torch.topk(x, 3)
                return values, indices
            return x.gather(-1, torch.topk(x, 3).indices)

    return TopK().eval()


BUILDERS: dict[str, Callable[[str], Any]] = {"gqa_kv_widening": _gqa_module, "topk_values_only": _topk_module}
INPUTS: dict[str, tuple[int, ...]] = {"gqa_kv_widening": (BATCH, TOKENS, WIDTH), "topk_values_only": (2, 3, 8, 8)}


def probe_one(job: str) -> dict[str, Any]:
    """Measure one spelling of one idiom (runs in a worker)."""
    import torch

    from tools.probes import torch_probe

    started = time.monotonic()
    idiom, _, spelling = job.partition("::")
    module = BUILDERS[idiom](spelling)
    generator = torch.Generator().manual_seed(20240611)
    x = torch.randn(*INPUTS[idiom], generator=generator)
    with torch.no_grad():
        expected = torch_probe.flatten(module(x))
    result = torch_probe.probe_module(lambda sub, ins, cs: sub(*ins), [x], (), module)
    scale = max(float(t.abs().max()) for t in expected)
    abs_error = result.get("max_abs_error")
    result["rel_to_scale_error"] = abs_error / scale if abs_error is not None and scale else None
    result["seconds"] = round(time.monotonic() - started, 3)
    return result


# ---- parent side -------------------------------------------------------------------------------


def _versions() -> dict[str, str]:
    from tools.probes.torch_suite import versions

    return versions()


def build_document(outcomes: list[Any], seconds: float) -> dict[str, Any]:
    by_idiom: dict[str, list[Any]] = {}
    for outcome in outcomes:
        by_idiom.setdefault(outcome.job.partition("::")[0], []).append(outcome)
    return {"schema": SCHEMA, "framework": "torch",
            "generated_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "duration_seconds": round(seconds, 1), "versions": _versions(),
            "shapes": {"batch": BATCH, "tokens": TOKENS, "width": WIDTH, "head_dim": HEAD_DIM,
                       "query_heads": Q_HEADS, "kv_heads": KV_HEADS},
            "idioms": [_idiom_record(name, found) for name, found in by_idiom.items()]}


def _idiom_record(name: str, outcomes: list[Any]) -> dict[str, Any]:
    description, table, rewrite_words = IDIOMS[name]
    spellings = []
    for outcome in outcomes:
        _, _, label = outcome.job.partition("::")
        role, words = table[label]
        result = outcome.result or {}
        status = result.get("status") or ("probe " + (outcome.failure or result.get("probe_error") or "error"))
        spellings.append({
            "label": label, "role": role, "description": words, "status": status,
            "error": result.get("error"), "tflite_ops": result.get("tflite_ops") or [],
            "max_abs_error": result.get("max_abs_error"),
            "rel_to_scale_error": result.get("rel_to_scale_error"),
            "seconds": result.get("seconds"),
        })
    widening = [s for s in spellings if s["role"] in ("widening", "construct")]
    rewrites = [s for s in spellings if s["role"] == "rewrite"]
    failing = [s for s in widening if s["status"] != "supported"]
    statuses = {s["status"] for s in failing}
    status = "supported" if not failing else (statuses.pop() if len(statuses) == 1 else "conditional")
    errors = [s["rel_to_scale_error"] for s in failing if s["rel_to_scale_error"] is not None]
    verified = bool(rewrites) and all(s["status"] == "supported" for s in rewrites)
    return {
        "name": name,
        "description": description,
        **CALL_SITES.get(name, {}),
        "status": status,
        "failing_spellings": [s["label"] for s in failing],
        "rel_to_scale_error_range": [min(errors), max(errors)] if errors else None,
        "spellings": spellings,
        "rewrite": {"description": rewrite_words, "verified": verified,
                    "max_abs_error": max((s["max_abs_error"] or 0.0) for s in rewrites) if rewrites else None,
                    "rel_to_scale_error": max((s["rel_to_scale_error"] or 0.0) for s in rewrites) if rewrites else None},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.probes.torch_idioms", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument("--output", type=Path, default=DATA_FILE)
    args = parser.parse_args(argv)
    from tools.probes.__main__ import write_text_atomically

    started = time.monotonic()
    outcomes = run_isolated(jobs(), WORKER_MODULE, processes=max(1, args.jobs), timeout=args.timeout)
    document = build_document(outcomes, time.monotonic() - started)
    write_text_atomically(json.dumps(document, indent=1) + "\n", args.output)
    for idiom in document["idioms"]:
        for spelling in idiom["spellings"]:
            error = spelling["rel_to_scale_error"]
            print(f"{idiom['name']:17} {spelling['label']:22} {spelling['role']:9} {spelling['status']:15} "
                  f"rel err {error if error is None else f'{error:.3g}'}  abs {spelling['max_abs_error']}")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
