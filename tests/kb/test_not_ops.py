"""Public torch names that are not ops are counted apart, each with why, never as "not measured"."""

from __future__ import annotations

import pytest

from litert_lsp import kb
from litert_lsp.kb.public_names import not_ops, public_names, unmeasured, why_not_an_op


def test_not_ops_are_apart_from_the_op_names_and_say_why() -> None:
    apart = not_ops("torch")
    assert len(apart) > 100
    assert not set(apart) & set(public_names("torch"))
    assert all(isinstance(why, str) and len(why) > 10 for why in apart.values())
    for name in ("torch.no_grad", "torch.Tensor.backward", "torch.nn.Sequential"):
        assert why_not_an_op(name) and not unmeasured(name)


def test_no_measured_entry_is_called_not_an_op() -> None:
    apart = not_ops("torch")
    assert not [e.name for e in kb.entries("torch") if e.name in apart]


def test_the_not_ops_in_the_file_are_what_the_rules_find_in_the_installed_torch() -> None:
    pytest.importorskip("torch")
    from tools.probes.public_names import torch_not_ops

    assert torch_not_ops() == not_ops("torch")


@pytest.mark.parametrize(("name", "category"), [
    ("torch.no_grad", "CLASS"), ("torch.Size", "CLASS"), ("torch.nn.functional.Optional", "CLASS"),
    ("torch.nn.Sequential", "CONTAINER"), ("torch.nn.RNNBase", "CONTAINER"),
    ("torch.cudnn_convolution", "BACKEND"), ("torch.Tensor.to_sparse", "BACKEND"),
    ("torch.Tensor.cuda", "DEVICE"), ("torch.Tensor.register_hook", "AUTOGRAD"),
    ("torch.Tensor.map_", "CALLBACK"), ("torch.Tensor.dim", "PYTHON_VALUE"), ("torch.Tensor.stride", "PYTHON_VALUE"),
    ("torch.set_num_threads", "NO_TENSOR"), ("torch.manual_seed", "NO_TENSOR"),
])
def test_each_rule_classifies_by_what_torch_says(name: str, category: str) -> None:
    pytest.importorskip("torch")
    from tools.probes import torch_not_ops
    from tools.probes.public_names import _torch_callables

    assert torch_not_ops.why_not_an_op(name, _torch_callables()[name]) == getattr(torch_not_ops, category)


@pytest.mark.parametrize("name", ["torch.add", "torch.Tensor.add_", "torch.hann_window", "torch.fft.fftfreq",
                                  "torch.randn_like", "torch.nn.Conv2d", "torch.nn.LazyLinear", "torch.Tensor.clone"])
def test_ops_are_not_classified_apart(name: str) -> None:
    """Creation ops torch.overrides ignores (no tensor operand) are still ATen ops."""
    pytest.importorskip("torch")
    from tools.probes import torch_not_ops
    from tools.probes.public_names import _torch_callables

    assert torch_not_ops.why_not_an_op(name, _torch_callables()[name]) is None
    assert name in public_names("torch")
