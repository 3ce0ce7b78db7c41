"""From a measured knowledge-base entry and one call's literal arguments to a verdict.

The knowledge base (`litert_lsp.kb`) says, per op, whether litert-torch converts it and
the LiteRT runtime runs it with matching numbers; for `conditional` ops its `variants` say
which literal keyword arguments, ranks and dtypes were probed with which outcome. This
module decides, for one call, whether its arguments pick out a failing variant, a working
one, or cannot be told apart statically (then a warning says on what it depends).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from litert_lsp import kb
from litert_lsp.analysis.literals import UNKNOWN, literal
from litert_lsp.analysis.torch.usage import CallSite
from litert_lsp.core import codes
from litert_lsp.core.codes import TORCH_STATUS_CODES, default_severity
from litert_lsp.core.findings import Severity
from litert_lsp.kb import idioms

_LAYER_WORDS = {
    "export": "torch.export (the model cannot be traced)",
    "lowering": "lowering to LiteRT (litert-torch cannot convert it)",
    "runtime": "the LiteRT runtime (it converts, but cannot be run)",
    "numerics": "numerics (it converts and runs, but LiteRT's results differ from PyTorch)",
}
_STATUS_LAYER = {
    "export_fails": "export",
    "no_lowering": "lowering",
    "lowering_fails": "lowering",
    "runtime_fails": "runtime",
    "wrong_numbers": "numerics",
}
_MISSING = object()


@dataclass(frozen=True)
class Verdict:
    code: str
    severity: Severity
    message: str
    status: str
    data: dict[str, Any]


def lookup(name: str) -> kb.Entry | None:
    """The entry for a qualified torch name; never raises (a broken data file = no data)."""
    try:
        return kb.lookup(name, "torch")
    except Exception:  # noqa: BLE001 - a corrupt knowledge base must not break diagnostics
        return None


def call_arguments(call: ast.Call, params: list[str] | None, method: bool) -> dict[str, Any] | None:
    """Parameter name -> literal value (or UNKNOWN) for the arguments this call passes.
    None when a `*args`/`**kwargs` hides which parameters are passed."""
    names = list(params or [])
    if method and names and names[0] in ("self", "input"):
        names = names[1:]
    passed: dict[str, Any] = {}
    for index, argument in enumerate(call.args):
        if isinstance(argument, ast.Starred):
            return None
        if index < len(names):
            passed[names[index]] = literal(argument)
    for keyword in call.keywords:
        if keyword.arg is None:
            return None
        passed[keyword.arg] = literal(keyword.value)
    return passed


def verdict(entry: kb.Entry, op: str, call: ast.Call | None, method: bool,
            site: CallSite | None = None, operands: list[str | None] | None = None) -> Verdict | None:
    """What to report for a call of `op` whose entry is `entry`; None when it works. `site`:
    what the call site tells (which outputs are used, the input's rank), when known."""
    status = entry.status
    if status == "supported" or status not in TORCH_STATUS_CODES:
        return None
    if status == "conditional":
        decided, chosen = _decide_variant(entry, call, method, site, operands)
        if decided == "supported":
            return None
        if decided in TORCH_STATUS_CODES and decided != "conditional":
            return _failing_variant(entry, op, decided, chosen)
        condition = entry.get("condition") or "the arguments, shapes or dtypes"
        message = (
            f"`{op}` converts for some arguments and fails for others: {condition}. "
            f"Which case this call is cannot be told from the source (it depends on "
            f"{_depends_on(entry)}). {_advice(entry, op)}"
        )
        return Verdict(codes.LRT106.code, default_severity(codes.LRT106.code), message, status, _data(entry))
    return _failing(entry, op, status)


def _failing(entry: kb.Entry, op: str, status: str) -> Verdict:
    code = TORCH_STATUS_CODES[status]
    layer = _STATUS_LAYER.get(status) or entry.get("layer") or "lowering"
    reason = entry.get("reason")
    text = f"`{op}` fails at {_LAYER_WORDS.get(layer, layer)}"
    if reason:
        text += f": {reason}"
    text += f". {_advice(entry, op)}"
    return Verdict(code, default_severity(code), text, status, _data(entry))


def _failing_variant(entry: kb.Entry, op: str, status: str, chosen: list[dict[str, Any]]) -> Verdict:
    """The call's literal arguments pick measured variants that all fail the same way: say
    that variant's own cause, and which measured cases work instead."""
    code = TORCH_STATUS_CODES[status]
    layer = _STATUS_LAYER.get(status) or entry.get("layer") or "lowering"
    reasons = list(dict.fromkeys(v["reason"] for v in chosen if v.get("reason")))
    reason = "; ".join(reasons) or entry.get("condition")
    text = f"`{op}` {_case_words(chosen)} fails at {_LAYER_WORDS.get(layer, layer)}"
    if reason:
        text += f": {reason}"
    working = [str(v.get("label")) for v in entry.variants if v.get("status") == "supported" and v.get("label")]
    usage_advice = _usage_advice(op, chosen) or _rank_advice(entry, chosen)
    if usage_advice:
        text += f". {usage_advice}"
    elif entry.rewrite or not working:
        text += f". {_advice(entry, op)}"
    else:
        text += f". Instead: use a measured working case ({'; '.join(working[:4])})."
    return Verdict(code, default_severity(code), text, status, _data(entry))


def _advice(entry: kb.Entry, op: str) -> str:
    rewrite = entry.rewrite
    if rewrite and rewrite.get("description"):
        return f"Instead: {rewrite['description']}."
    return (f"Instead: replace it with ops LiteRT supports, or compute it outside the model "
            f"(`litert-lsp ops {op}` shows what was measured).")


def _data(entry: kb.Entry) -> dict[str, Any]:
    rewrite = entry.rewrite
    return {"rewrite": rewrite["code"]} if rewrite and rewrite.get("code") else {}


def _depends_on(entry: kb.Entry) -> str:
    variants = entry.variants
    aspects = []
    if len({v.get("rank") for v in variants}) > 1:
        aspects.append("the input's rank")
    if len({v.get("dtype") for v in variants}) > 1:
        aspects.append("the input's dtype")
    keys = sorted({k for v in variants for k in (v.get("kwargs") or {})})
    if keys:
        aspects.append("the values of " + ", ".join(f"`{k}`" for k in keys))
    if len({_used_key(v) for v in variants}) > 1:
        aspects.append("which of its outputs are used")
    return " and ".join(aspects) or "values known only at run time"


# ---- the call site: which outputs are used, the input's rank ----------------------------------


def _used_key(variant: dict[str, Any]) -> tuple[int, ...] | None:
    used = variant.get("outputs_used")
    return tuple(sorted(used)) if used is not None else None


def _by_call_site(candidates: list[dict[str, Any]], site: CallSite | None) -> list[dict[str, Any]]:
    """The candidates the call site can be. Variants probed with only some outputs used are
    chosen only when the call site reads exactly those outputs; an unknown use counts as
    "all outputs used" (the variants probed without `outputs_used`). Variants probed at
    several ranks keep the call's rank, when the source fixes it and it was probed."""
    if any(v.get("outputs_used") is not None for v in candidates):
        used = tuple(sorted(site.outputs_used)) if site and site.outputs_used is not None else None
        same = [v for v in candidates if _used_key(v) == used]
        candidates = same or [v for v in candidates if v.get("outputs_used") is None] or candidates
    rank = site.input_rank if site else None
    if rank is not None and len({v.get("rank") for v in candidates}) > 1:
        candidates = [v for v in candidates if v.get("rank") == rank] or candidates
    return candidates


def has_operand_variants(entry: kb.Entry) -> bool:
    """Whether the entry's variants were probed with different operand kinds (a plain-number
    second operand, constant tensors), so the call site's operands can pick one."""
    return len({tuple(v.get("operands") or ()) for v in entry.variants}) > 1


def _by_operands(candidates: list[dict[str, Any]], operands: list[str | None] | None) -> list[dict[str, Any]]:
    """The candidates probed with this call's operand kinds (None in either: any). A call on
    constants only picks a variant probed on constants; when none matches (an input tensor
    beside a constant one), the constants count as tensors, as the converter sees them
    then. No match at all: the candidates stay (an unknown case is not invented)."""
    if not operands or not any(v.get("operands") for v in candidates):
        return candidates
    as_tensors = [("tensor" if kind == "const" else kind) for kind in operands]
    for kinds in (operands, as_tensors):
        kept = [v for v in candidates if _operands_match(v.get("operands"), kinds)]
        if kept:
            return kept
    return candidates


def _operands_match(probed: list[str | None] | None, call: list[str | None]) -> bool:
    if not probed:
        return True
    return all(kind is None or index >= len(probed) or probed[index] in (None, kind)
               for index, kind in enumerate(call))


def _usage_advice(op: str, chosen: list[dict[str, Any]]) -> str | None:
    """For a failing use of some outputs: the measured idiom's verified rewrite of that use
    (`kb/data/torch_idioms.json`), e.g. topk's values taken through its indices."""
    used = {_used_key(v) for v in chosen}
    if len(used) != 1 or None in used:
        return None
    record = idioms.for_call_site(op, next(iter(used)))
    rewrite = idioms.verified_rewrite(record) if record else None
    if rewrite is None:
        return None
    return f"Instead: {rewrite['description']} (verified through litert-torch and LiteRT)."


def _rank_advice(entry: kb.Entry, chosen: list[dict[str, Any]]) -> str | None:
    """For a failure picked by the input's rank: the ranks measured to work with the same
    arguments."""
    ranks = {v.get("rank") for v in chosen}
    if len(ranks) != 1 or None in ranks or any(v.get("kwargs") for v in chosen):
        return None
    working = sorted({v["rank"] for v in entry.variants if v.get("status") == "supported"
                      and not v.get("kwargs") and v.get("rank") is not None and v.get("outputs_used") is None})
    if not working:
        return None
    return (f"Instead: give it an input of a measured working rank ({', '.join(f'{r}-D' for r in working)}), "
            f"e.g. merge dimensions with a reshape before it and split them after.")


def _agreeing_on_probed_keywords(variants: list[dict[str, Any]], passed: dict[str, Any]) -> list[dict[str, Any]]:
    """A call combining keywords no single variant was probed with (`mode="bicubic",
    align_corners=True` when each was probed alone): the variants whose own probed keywords
    the call passes with the same values, the most specific of them (most keywords matched:
    `antialias=True` with `mode="bicubic"` is the antialias variant, not plain bicubic)."""
    found: list[tuple[int, dict[str, Any]]] = []
    for variant in variants:
        wanted = variant.get("kwargs") or {}
        if all(passed.get(k, _MISSING) is UNKNOWN or (passed.get(k, _MISSING) is not _MISSING
                                                       and _normal(passed[k]) == _normal(v))
               for k, v in wanted.items()):
            found.append((len(wanted), variant))
    most = max((n for n, _ in found), default=0)
    return [variant for n, variant in found if n == most]


def _case_words(chosen: list[dict[str, Any]]) -> str:
    """How the failing case is named: by the outputs the call uses, its rank, or its arguments."""
    used = {_used_key(v) for v in chosen}
    if len(used) == 1 and None not in used:
        (indices,) = used
        return f"using only output{'s' if len(indices) > 1 else ''} {', '.join(map(str, indices))} of its result"
    ranks = {v.get("rank") for v in chosen}
    if len(ranks) == 1 and None not in ranks and not any(v.get("kwargs") for v in chosen):
        return f"on a {ranks.pop()}-D input"
    return "with these arguments"


def _decide_variant(entry: kb.Entry, call: ast.Call | None, method: bool, site: CallSite | None = None,
                    operands: list[str | None] | None = None) -> tuple[str | None, list[dict[str, Any]]]:
    """The status shared by every variant this call may be (None if they disagree), and
    those variants."""
    variants = [v for v in entry.variants if v.get("status")]
    if not variants or call is None:
        return None, []
    passed = call_arguments(call, entry.get("params"), method)
    if passed is None:
        return None, []
    keys = {k for v in variants for k in (v.get("kwargs") or {})}
    candidates = []
    for variant in variants:
        wanted = variant.get("kwargs") or {}
        possible = True
        for key in keys:
            given = passed.get(key, _MISSING)
            if given is UNKNOWN:
                continue
            if key in wanted:
                # A variant probed with a non-default value: the call must pass that value.
                if given is _MISSING or _normal(given) != _normal(wanted[key]):
                    possible = False
                    break
            elif given is not _MISSING and _normal(given) in {_normal(v.get("kwargs", {}).get(key)) for v in variants if key in (v.get("kwargs") or {})}:
                # The call passes a value some other variant was probed with.
                possible = False
                break
        if possible:
            candidates.append(variant)
    if not candidates:
        candidates = _agreeing_on_probed_keywords(variants, passed)
    # Variants probed with different numbers of positional arguments (torch.where(cond) vs
    # torch.where(cond, x, y)): keep those with this call's count, when any has it.
    counts = {id(v): _argument_count(v.get("args")) for v in candidates}
    if len(set(counts.values())) > 1 and not any(isinstance(a, ast.Starred) for a in call.args):
        given = len(call.args) + (1 if method else 0)
        same = [v for v in candidates if counts[id(v)] == given]
        if same:
            candidates = same
    candidates = _by_call_site(candidates, site)
    candidates = _by_operands(candidates, operands)
    statuses = {v["status"] for v in candidates}
    if len(statuses) == 1:
        return statuses.pop(), candidates
    # Variants that differ only by an integer/bool dtype (`int32 ** 2` fails, float works):
    # model code computes in floating point, so without a sign of an integer tensor the
    # floating-point verdict is the one that applies (else every `x.pow(2)` would warn).
    floating = [v for v in candidates if str(v.get("dtype") or "").startswith(_FLOAT_DTYPES)]
    if floating and len(floating) < len(candidates):
        float_statuses = {v["status"] for v in floating}
        if len(float_statuses) == 1:
            return float_statuses.pop(), floating
    # Variants that differ only by a rank above 5 (`F.pad` of a 6-D tensor fails; LiteRT's
    # kernels stop at 5-D for several ops): model tensors are at most 5-D (images, video,
    # attention heads) unless the source shows otherwise, so without a known rank the verdict
    # of the usual ranks applies (else every `F.pad` would warn: 221 calls of unknown rank in
    # transformers + timm). A rank the source fixes (a reshape to 6 sizes) is still judged; a
    # fixed usual rank that was not probed (a 3-D tensor, probes at 4-D and 5-D) is one of the
    # usual ranks too.
    usual = [v for v in candidates if isinstance(v.get("rank"), int) and v["rank"] <= USUAL_MAX_RANK]
    rank = site.input_rank if site is not None else -1
    unprobed = rank is None or (rank <= USUAL_MAX_RANK and all(v.get("rank") != rank for v in candidates))
    if usual and len(usual) < len(candidates) and site is not None and unprobed:
        usual_statuses = {v["status"] for v in usual}
        if len(usual_statuses) == 1:
            return usual_statuses.pop(), usual
    return None, candidates


_FLOAT_DTYPES = ("float", "bfloat", "half", "double")
USUAL_MAX_RANK = 5


def _argument_count(args: object) -> int | None:
    """How many top-level comma-separated items a variant's `args` text lists."""
    if not isinstance(args, str) or not args.strip():
        return None
    depth, count = 0, 1
    for char in args:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            count += 1
    return count


def _normal(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_normal(v) for v in value)
    return value
