"""Recipes derived by rule (twins of written recipes, torch's OpInfo / ModuleInfo samples):
what they call, that the frozen samples decode to the same values, and that random or
uninitialised outputs are compared by shape only. No converter runs here."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")

from tools.probes import torch_derived, torch_probe, torch_recipes, torch_suite  # noqa: E402


def _call(name: str, index: int = 0) -> tuple[list, list]:
    recipe = torch_recipes.recipes()[name]
    call, inputs, consts, sub = torch_suite._prepare(recipe, recipe.variants[index])
    before = [t.clone() for t in inputs]
    with torch.no_grad():
        out = torch_probe.flatten(call(sub, inputs, consts))
    assert all(torch.equal(a, b) for a, b in zip(before, inputs)), "the probe mutated its module input"
    return out, inputs


def test_an_in_place_twin_reuses_the_written_recipe_on_a_copy() -> None:
    recipe = torch_recipes.recipes()["torch.Tensor.add_"]
    base = torch_recipes.hand_recipes()["torch.add"]
    assert recipe.clone_first and recipe.variants[0].args == base.variants[0].args
    assert recipe.variants[0].source == "in-place twin of torch.Tensor.add"  # the mirror of torch.add
    out, inputs = _call("torch.Tensor.add_")
    assert torch.allclose(out[0], inputs[0] + inputs[1])


def test_copy_twin_and_functional_layer_twin() -> None:
    table = torch_recipes.recipes()
    assert table["torch.permute_copy"].variants[0].source == "copying twin of torch.permute"
    layer = table["torch.nn.TripletMarginLoss"]
    assert layer.kind == "layer" and "torch.nn.functional.triplet_margin_loss" in layer.variants[0].source
    _call("torch.nn.TripletMarginLoss")


def test_a_twin_whose_arguments_do_not_fit_is_not_used() -> None:
    """`torch.dropout(input, p, train)` has no `training=` keyword: F.dropout's recipe does not
    fit, so it is not probed with it (an error there would be the recipe's, not the op's)."""
    recipe = torch_recipes.recipes().get("torch.dropout")
    assert recipe is None or all("torch.nn.functional.dropout" not in (v.source or "") for v in recipe.variants)


def test_opinfo_samples_decode_to_their_exact_values_and_every_one_runs() -> None:
    document = json.loads(torch_derived.SAMPLES.read_text())
    records = document["recipes"]
    assert len(records) > 100 and document["torch"] == torch.__version__
    table = torch_recipes.recipes()
    name = "torch.special.airy_ai"
    spec = table[name].variants[0].args[0]
    assert spec.values == tuple(records[name]["variants"][0]["args"][0]["values"])
    made = torch_recipes.make_tensor(spec, torch.Generator())
    assert made.flatten().tolist() == pytest.approx(list(spec.values), rel=1e-6)
    for sample_name in records:
        if sample_name in table and (table[sample_name].variants[0].source or "").startswith(("opinfo:", "moduleinfo:")):
            assert torch_derived._runs(table[sample_name], table[sample_name].variants[0]), sample_name


def test_integer_sample_tensors_are_constants_and_float_ones_inputs() -> None:
    variant = torch_recipes.recipes()["torch.Tensor.index_reduce"].variants[0]
    tensors = [a for a in variant.args if isinstance(a, torch_recipes.T)]
    assert tensors[0].const is False
    assert all(t.const for t in tensors if t.dtype in ("int32", "int64", "bool"))


def test_random_and_uninitialised_graphs_are_compared_by_shape_only() -> None:
    class Random(torch.nn.Module):
        def forward(self, x):
            return torch.randn_like(x) + x

    class Empty(torch.nn.Module):
        def forward(self, x):
            return torch.empty_like(x)

    class Plain(torch.nn.Module):
        def forward(self, x):
            return x + 1

    x = (torch.ones(2, 3),)
    assert torch_probe.values_unspecified(torch.export.export(Random(), x).graph)
    assert torch_probe.values_unspecified(torch.export.export(Empty(), x).graph)
    assert not torch_probe.values_unspecified(torch.export.export(Plain(), x).graph)
    assert torch_probe._shape_mismatch([torch.ones(2, 3).numpy()], [torch.zeros(2, 3).numpy()]) is None
    assert "shape" in torch_probe._shape_mismatch([torch.ones(3).numpy()], [torch.zeros(2, 3).numpy()])


@pytest.mark.slow
def test_the_frozen_samples_are_what_the_databases_give_today() -> None:
    """Regenerating (`python -m tools.probes.torch_opinfo`) would change nothing."""
    from tools.probes import torch_opinfo

    assert torch_opinfo.build()["recipes"] == json.loads(torch_derived.SAMPLES.read_text())["recipes"]
