"""One module per PyTorch rule: its code record, why the construct fails, its message, and
the hooks it implements. The walker (`analysis/torch/walker.py`) owns the traversal and the
tensor inference; at each construct it calls the hooks of the rules registered here, and
each rule decides itself whether to report.

Hooks (all optional; `ctx` is the walker, typed as `analysis/torch/context.TraceContext`):
    on_condition(ctx, node, construct, kind)        a value used as a Python truth value
    on_builtin_call(ctx, node, name, first_kind)    bool()/int()/float()/complex()/any()/all()
    on_subscript(ctx, node, base_kind)              x[...] read or assigned
    on_library_call(ctx, node, name) -> claimed     a resolved torch.* call
    on_tensor_method(ctx, node, method) -> claimed  a method call on a known tensor
    on_untyped_method(ctx, node, method, receiver) -> claimed   ... on an unknown receiver
    on_layer(ctx, node, name) -> claimed            a torch.nn layer constructor
A hook returning True claims the call: the rules after it are not asked. One finding per
span: the first report wins. A new rule: add `lrtNNN_<slug>.py` with CODE, the messages and
its hooks, and register it in RULES (before the knowledge-base rule, which is the fallback).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from litert_lsp.analysis.torch.rules import (
    lrt10x_kb_status,
    lrt201_tensor_control_flow,
    lrt202_tensor_to_python,
    lrt203_boolean_mask_indexing,
    lrt204_data_dependent_shape,
    lrt205_randomness_in_eval,
    lrt206_gqa_kv_widening,
)

RULES: tuple[ModuleType, ...] = (
    lrt201_tensor_control_flow,
    lrt202_tensor_to_python,
    lrt203_boolean_mask_indexing,
    lrt204_data_dependent_shape,
    lrt205_randomness_in_eval,
    lrt206_gqa_kv_widening,
    lrt10x_kb_status,  # last: the measured verdict for whatever no specific rule claimed
)


def hooks(name: str) -> tuple[Callable, ...]:
    """The registered rules' implementations of hook `name`, in registration order."""
    return tuple(getattr(rule, name) for rule in RULES if hasattr(rule, name))


def first_claim(implementations: tuple[Callable, ...], *args: object) -> bool:
    """Call the implementations in order until one claims the construct."""
    return any(hook(*args) for hook in implementations)


ON_CONDITION = hooks("on_condition")
ON_BUILTIN_CALL = hooks("on_builtin_call")
ON_SUBSCRIPT = hooks("on_subscript")
ON_LIBRARY_CALL = hooks("on_library_call")
ON_TENSOR_METHOD = hooks("on_tensor_method")
ON_UNTYPED_METHOD = hooks("on_untyped_method")
ON_LAYER = hooks("on_layer")
