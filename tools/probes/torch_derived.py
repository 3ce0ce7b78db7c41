"""Recipes derived by rule for the public torch names no hand-written recipe covers.

In order, the first source that gives a call which runs eagerly wins:

1. twins of a written recipe, same arguments: the in-place op (`Tensor.add_` of `torch.add`,
   `torch.relu_`, `F.elu_`; probed on a copy of its first tensor, as a model uses it on an
   intermediate), the `_copy` op (`torch.permute_copy` of `torch.permute`), the same name in
   `torch` and `torch.nn.functional`, and the loss or layer class of a functional
   (`nn.TripletMarginLoss` of `F.triplet_margin_loss`, default constructor);
2. torch's own test inputs: a small float32 sample of the op's OpInfo, or a module's
   ModuleInfo constructor and input, frozen in `torch_opinfo_samples.json` by
   `python -m tools.probes.torch_opinfo` (the worker reads that file, so every process probes
   the same values).
3. the method spelling of a name measured by 1 or 2, and back (`Tensor.zero_` of `torch.zero_`).

A name that none of them can call stays "not measured"; names that are not ops are classified
apart (`torch_not_ops`). Everything here runs in the parent and in the workers alike.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any

import torch

from tools.probes.torch_spec import Recipe, T, Variant

SAMPLES = Path(__file__).with_name("torch_opinfo_samples.json")
TWIN_VARIANTS = 2  # a twin re-measures the same math: its first variants are enough


def candidates(written: dict[str, Recipe]) -> list[str]:
    """Public names that may be ops and have no written recipe, in name order."""
    from tools.probes.public_names import _torch_callables
    from tools.probes.torch_not_ops import why_not_an_op

    return [name for name, obj in _torch_callables().items()
            if name not in written and obj is not None and why_not_an_op(name, obj) is None]


def _target(name: str) -> Any:
    from tools.probes.torch_recipes import resolve

    if name.startswith("torch.Tensor."):
        return getattr(torch.Tensor, name.rsplit(".", 1)[1], None)
    return resolve(name)


def _kind(name: str) -> str:
    if name.startswith("torch.Tensor."):
        return "method"
    return "layer" if name.rsplit(".", 1)[-1][:1].isupper() else "function"


def _snake(camel: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", camel).lower()


def _twin_bases(name: str) -> list[tuple[str, str]]:
    """(written name whose arguments fit, why) for each twin rule that applies to `name`."""
    prefix, short = name.rsplit(".", 1)
    out: list[tuple[str, str]] = []
    if short.endswith("_") and not short.endswith("__"):
        base = short[:-1]
        for space in dict.fromkeys((prefix, "torch", "torch.Tensor", "torch.nn.functional")):
            out.append((f"{space}.{base}", "in-place twin"))
    if short.endswith("_copy"):
        base = short[: -len("_copy")]
        out += [(f"torch.{base}", "copying twin"), (f"torch.Tensor.{base}", "copying twin")]
    if prefix == "torch":
        out.append((f"torch.nn.functional.{short}", "same op in torch.nn.functional"))
    if prefix == "torch.nn.functional":
        out.append((f"torch.{short}", "same op in torch"))
    if prefix == "torch.nn" and short[:1].isupper():
        out.append((f"torch.nn.functional.{_snake(short)}", "layer of the functional"))
    return out


def _runs(recipe: Recipe, variant: Variant) -> bool:
    """Whether the variant's call runs eagerly and returns a tensor (the probe's first check)."""
    from tools.probes import torch_probe
    from tools.probes.torch_suite import _prepare

    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            call, inputs, consts, submodule = _prepare(recipe, variant)
            outputs = torch_probe.flatten(call(submodule, inputs, consts))
    except Exception:  # noqa: BLE001 - a twin whose arguments do not fit is simply not used
        return False
    # An empty result (a zero-size sample) measures nothing the runtime would compute.
    return bool(outputs) and all(t.numel() > 0 for t in outputs)


def _from_twin(name: str, target: Any, written: dict[str, Recipe]) -> Recipe | None:
    from tools.probes.torch_recipes import COMPLEX_INPUT, CREATION

    kind = _kind(name)
    for base_name, why in _twin_bases(name):
        base = written.get(base_name)
        if base is None or isinstance(base.target, str) or base.kind == "layer" or base_name in CREATION \
                or base_name in COMPLEX_INPUT or getattr(base, "adds_input", False):
            continue
        if kind == "layer" and any(not isinstance(a, T) for v in base.variants for a in v.args):
            continue  # a layer of the functional takes only the tensors; literal options are its constructor's
        inplace = name.rsplit(".", 1)[-1].endswith("_")
        variants = [Variant(v.label, v.args, {} if kind == "layer" else dict(v.kwargs), outputs_used=v.outputs_used,
                            source=f"{why} of {base_name}") for v in base.variants[:TWIN_VARIANTS]]
        recipe = Recipe(name, kind, target, [], clone_first=inplace and kind != "layer")
        recipe.variants = [v for v in variants if _runs(recipe, v)]
        if recipe.variants:
            return recipe
    return None


# ---- the frozen OpInfo / ModuleInfo samples --------------------------------------------------


def decode(value: Any) -> Any:
    """A sample argument from its JSON form (see `torch_opinfo.encode`)."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        if "tensor" in value:
            return T(tuple(value["tensor"]), value["dtype"], "given", bool(value.get("const")),
                     tuple(value["values"]))
        if "tuple" in value:
            return tuple(decode(v) for v in value["tuple"])
        if "torch_dtype" in value:
            return getattr(torch, value["torch_dtype"])
        if "float" in value:
            return float(value["float"])  # inf, -inf, nan
        raise ValueError(f"unknown encoded value {value!r}")
    return value


def variant_from(record: dict[str, Any]) -> Variant:
    return Variant(record["label"], tuple(decode(a) for a in record.get("args", [])),
                   {k: decode(v) for k, v in record.get("kwargs", {}).items()},
                   tuple(decode(a) for a in record.get("ctor", [])),
                   {k: decode(v) for k, v in record.get("ctor_kwargs", {}).items()},
                   source=record.get("source"))


def _samples() -> dict[str, Any]:
    if not SAMPLES.exists():
        return {}
    return json.loads(SAMPLES.read_text(encoding="utf-8")).get("recipes", {})


def recipe_from_sample(name: str, target: Any, record: dict[str, Any]) -> Recipe:
    return Recipe(name, record["kind"], target, [variant_from(v) for v in record["variants"]],
                  clone_first=bool(record.get("clone_first")), adds_input=bool(record.get("adds_input")))


def derived_recipes(written: dict[str, Recipe]) -> dict[str, Recipe]:
    """A recipe for every candidate name that a rule can call, by name."""
    samples = _samples()
    out: dict[str, Recipe] = {}
    for name in candidates(written):
        target = _target(name)
        recipe = _from_twin(name, target, written)
        if recipe is None and name in samples:
            recipe = recipe_from_sample(name, target, samples[name])
        if recipe is not None:
            out[name] = recipe
    # Second pass: the method spelling of a function measured by any source, and back
    # (`Tensor.zero_` of `torch.zero_`, whose sample came from OpInfo).
    known = {**written, **out}
    for name in candidates(written):
        if name not in out:
            recipe = _mirror(name, known)
            if recipe is not None:
                out[name] = recipe
    return out


def _mirror(name: str, known: dict[str, Recipe]) -> Recipe | None:
    short = name.rsplit(".", 1)[-1]
    if name == f"torch.Tensor.{short}":
        base_name, kind = f"torch.{short}", "method"
    elif name == f"torch.{short}":
        base_name, kind = f"torch.Tensor.{short}", "function"
    else:
        return None
    base = known.get(base_name)
    if base is None or base.kind == "layer" or isinstance(base.target, str) or getattr(base, "adds_input", False):
        return None
    target = _target(name)
    variants = [Variant(v.label, v.args, dict(v.kwargs), outputs_used=v.outputs_used,
                        source=f"{'method' if kind == 'method' else 'function'} spelling of {base_name}")
                for v in base.variants[:TWIN_VARIANTS] if v.args and isinstance(v.args[0], T)]
    recipe = Recipe(name, kind, target, [], clone_first=short.endswith("_"))
    recipe.variants = [v for v in variants if _runs(recipe, v)]
    return recipe if recipe.variants else None
