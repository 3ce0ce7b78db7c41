"""Freeze probe inputs from torch's own test database for the names no recipe covers.

    python -m tools.probes.torch_opinfo        # writes tools/probes/torch_opinfo_samples.json

torch ships, with every wheel, the inputs its own tests call each op with:
`torch.testing._internal.common_methods_invocations.op_db` (OpInfo: `sample_inputs(device,
dtype)`) and `common_modules.module_db` (ModuleInfo: constructor and forward inputs). For each
public name that has no written or twin recipe (`torch_derived.candidates`), this picks the
first small sample (float32, else int32; every tensor at most `MAX_ELEMENTS` elements, none
empty) whose call runs eagerly with the public name itself, and writes it down with its exact
values: those were drawn inside the op's domain (positive for `log`, SPD for `cholesky`), and
a frozen file makes every worker, and the drift test later, probe the very same call.
Tensors: the sample's input and its other float tensors become module inputs; integer and
bool tensors (indices, targets, masks) become constants, as in the written recipes.

The test database imports `expecttest`, a test-only package the pinned environment lacks;
nothing of it is used to build samples, so a stand-in module is registered for the import.
"""

from __future__ import annotations

import datetime
import itertools
import json
import math
import sys
import types
import unittest
import warnings
from typing import Any

import torch

from litert_lsp.core.atomic import write_text_atomically
from tools.probes.torch_derived import SAMPLES, _kind, _runs, _target, candidates, recipe_from_sample
from tools.probes.torch_recipes import hand_recipes

MAX_ELEMENTS = 256
SAMPLES_PER_OP = 40  # the first samples are the plain ones; later ones probe corner cases
DTYPES = (torch.float32, torch.int32)


class _Unencodable(ValueError):
    pass


def encode(value: Any, const: bool) -> Any:
    """A JSON form of one sample argument (tensors with their values); raises _Unencodable."""
    if isinstance(value, torch.Tensor):
        if value.is_complex() or value.numel() == 0 or value.numel() > MAX_ELEMENTS or value.layout != torch.strided:
            raise _Unencodable("tensor")
        dtype = str(value.dtype).removeprefix("torch.")
        if dtype not in ("float32", "int32", "int64", "bool"):
            raise _Unencodable(dtype)
        values = value.detach().reshape(-1).double().tolist()
        is_const = const or dtype in ("int32", "int64", "bool")
        return {"tensor": list(value.shape), "dtype": dtype, "const": is_const,
                "values": [float(f"{v:.6g}") if dtype == "float32" else v for v in values]}
    if isinstance(value, torch.dtype):
        return {"torch_dtype": str(value).removeprefix("torch.")}
    if isinstance(value, torch.Size):
        return {"tuple": list(value)}
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"float": str(value)}
    if isinstance(value, tuple):
        return {"tuple": [encode(v, const) for v in value]}
    if isinstance(value, list):
        return [encode(v, const) for v in value]
    raise _Unencodable(type(value).__name__)


def _literal_only(values: Any) -> bool:
    text = json.dumps(values)
    return '"tensor"' not in text


def _databases() -> tuple[list[Any], list[Any]]:
    sys.modules.setdefault("expecttest", types.SimpleNamespace(TestCase=unittest.TestCase))
    from torch.testing._internal.common_methods_invocations import op_db
    from torch.testing._internal.common_modules import module_db

    return op_db, module_db


def _op_index(op_db: list[Any]) -> dict[str, tuple[Any, str]]:
    """Public name -> (OpInfo, how the name calls it: function | method | inplace)."""
    index: dict[str, tuple[Any, str]] = {}
    for op in sorted(op_db, key=lambda o: (o.name, o.variant_test_name != "")):
        short = op.name.rsplit(".", 1)[-1]
        for spelled in [op.name, *(alias.name for alias in op.aliases)]:
            index.setdefault(f"torch.{spelled}", (op, "function"))
            index.setdefault(f"torch.{spelled}_", (op, "inplace"))
        if op.method_variant is not None:
            index.setdefault(f"torch.Tensor.{short}", (op, "method"))
        if op.inplace_variant is not None:
            index.setdefault(f"torch.Tensor.{short}_", (op, "inplace"))
    return index


def _op_record(name: str, op: Any, how: str) -> dict[str, Any] | None:
    target = _target(name)
    for dtype in DTYPES:
        if dtype not in op.supported_dtypes("cpu"):
            continue
        torch.manual_seed(0)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                samples = list(itertools.islice(op.sample_inputs("cpu", dtype), SAMPLES_PER_OP))
        except Exception:  # noqa: BLE001, S112 - an OpInfo that cannot make samples here gives none
            continue
        for sample in samples:
            try:
                args = [encode(sample.input, False), *(encode(a, False) for a in sample.args)]
                kwargs = {k: encode(v, False) for k, v in sample.kwargs.items() if k not in ("device", "requires_grad")}
            except _Unencodable:
                continue
            if not _literal_only(kwargs):
                continue
            creation = _literal_only(args)
            if creation:  # no tensor operand: the result is added to a module input of its shape
                made = _creation_input(target, sample, kwargs)
                if made is None:
                    continue
                args.append(made)
            elif not isinstance(sample.input, torch.Tensor) or sample.input.dim() == 0:
                continue
            record = {"kind": _kind(name), "clone_first": how == "inplace", "adds_input": creation,
                      "variants": [{"label": f"OpInfo '{op.name}' sample, {str(dtype).removeprefix('torch.')}",
                                    "args": args, "kwargs": kwargs, "source": f"opinfo:{op.name}"}]}
            recipe = recipe_from_sample(name, target, record)
            if _runs(recipe, recipe.variants[0]):
                return record
    return None


def _creation_input(target: Any, sample: Any, kwargs: dict[str, Any]) -> dict[str, Any] | None:
    """The module input a creation op's result is added to: a tensor of the result's shape and
    dtype (None when the call fails or makes something no probe input can be)."""
    from tools.probes.torch_derived import decode

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            made = target(sample.input, *sample.args, **{k: decode(v) for k, v in kwargs.items()})
    except Exception:  # noqa: BLE001 - a sample the public name cannot take gives no recipe
        return None
    if not isinstance(made, torch.Tensor) or made.dim() == 0 or not 0 < made.numel() <= MAX_ELEMENTS:
        return None
    dtype = str(made.dtype).removeprefix("torch.")
    if dtype not in ("float32", "int32", "int64", "bool"):
        return None
    return {"tensor": list(made.shape), "dtype": dtype, "const": False,
            "values": [float(f"{v:.6g}") for v in torch.ones_like(made, dtype=torch.float64).reshape(-1).tolist()]}


def _module_record(name: str, info: Any) -> dict[str, Any] | None:
    target = _target(name)
    torch.manual_seed(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            inputs = info.module_inputs_func(info, device="cpu", dtype=torch.float32, requires_grad=False,
                                             training=False)
    except Exception:  # noqa: BLE001 - a ModuleInfo that cannot make inputs here gives none
        return None
    for number, item in enumerate(inputs):
        if item.forward_input is None:
            continue
        try:
            ctor = [encode(a, True) for a in item.constructor_input.args]
            ctor_kwargs = {k: encode(v, True) for k, v in item.constructor_input.kwargs.items()
                           if k not in ("device", "dtype")}
            args = [encode(a, False) for a in item.forward_input.args]
            kwargs = {k: encode(v, False) for k, v in item.forward_input.kwargs.items()}
        except _Unencodable:
            continue
        if not args or not _literal_only([ctor, ctor_kwargs, kwargs]):
            continue
        record = {"kind": "layer", "variants": [{"label": f"ModuleInfo sample {number}", "args": args,
                                                 "kwargs": kwargs, "ctor": ctor, "ctor_kwargs": ctor_kwargs,
                                                 "source": f"moduleinfo:{info.module_cls.__name__}"}]}
        recipe = recipe_from_sample(name, target, record)
        if _runs(recipe, recipe.variants[0]):
            return record
    return None


def build() -> dict[str, Any]:
    from tools.probes.torch_derived import derived_recipes

    op_db, module_db = _databases()
    written = hand_recipes()
    twins = {name for name, recipe in derived_recipes(written).items()
             if not any((v.source or "").startswith(("opinfo:", "moduleinfo:")) for v in recipe.variants)}
    ops = _op_index(op_db)
    modules = {f"torch.nn.{info.module_cls.__name__}": info for info in module_db}
    found: dict[str, Any] = {}
    for name in candidates(written):
        if name in twins:
            continue
        record = None
        if name in ops:
            record = _op_record(name, *ops[name])
        elif name in modules:
            record = _module_record(name, modules[name])
        if record:
            found[name] = record
    return {"generated_by": "python -m tools.probes.torch_opinfo",
            "generated_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "torch": torch.__version__, "recipes": dict(sorted(found.items()))}


def main() -> int:
    document = build()
    write_text_atomically(json.dumps(document, indent=None, separators=(",", ":")) + "\n", SAMPLES)
    print(f"{SAMPLES}: {len(document['recipes'])} recipes from torch's OpInfo / ModuleInfo samples")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
