"""What PyTorch names mean for the analyzer: which calls give tensors, which leave the graph.

These are facts about PyTorch's API and about how `torch.export` traces, not about what
LiteRT supports (that is measured, in the knowledge base). Each group below was checked
against torch 2.13 (`inspect.signature`, and small `torch.export` / litert-torch probes
for the guard functions and the dropout defaults).
"""

from __future__ import annotations

import enum


class Kind(enum.IntEnum):
    """Value kinds the local inference tracks; None (not a Kind) is "not a tensor"."""

    TENSOR = 1  # a torch.Tensor
    SEQ = 2  # a tuple/list of tensors (torch.split, a tuple literal of tensors, *args)
    MAYBE = 3  # a parameter defaulting to None: a tensor when used like one, else "given or not"
    # A Python value known when tracing: numbers, strings, flags, dtypes, devices, shapes and
    # sizes (`x.shape`, `x.size(0)`, `len(...)`, config attributes), tuples/lists of them.
    # torch.export specializes them, so converting or branching on them is not a data
    # dependency. Unknown values stay None: STATIC is only said when it is visible.
    STATIC = 4


TENSOR = Kind.TENSOR
SEQ = Kind.SEQ
MAYBE = Kind.MAYBE
STATIC = Kind.STATIC

# Tensor attributes that are static Python values when tracing (shapes are specialized).
STATIC_ATTRIBUTES = frozenset({"shape", "ndim", "dtype", "device", "is_cuda", "layout", "requires_grad"})
# Builtins whose result is a static value when every argument is one (and that never make a
# tensor): the arithmetic of sizes and shapes.
STATIC_BUILTINS = frozenset({
    "len", "int", "float", "bool", "str", "abs", "min", "max", "sum", "round", "divmod", "pow",
    "tuple", "list", "range", "sorted", "reversed", "zip", "enumerate", "isinstance", "hasattr",
})
# Parameter annotations that say "a static Python value" (`feat_shape: List[int]`, `H: int`).
STATIC_ANNOTATIONS = frozenset({
    "int", "float", "bool", "str", "List", "list", "Tuple", "tuple", "Sequence", "Optional",
    "Union", "Size", "dtype", "device", "Literal",
})
# Tensor methods whose result is a static Python value (shapes are specialized when tracing).
STATIC_METHODS = frozenset({
    "size", "dim", "ndimension", "numel", "nelement", "element_size", "stride", "__len__",
})
# torch.* callables whose result is a static Python value.
STATIC_TORCH_NAMES = frozenset({
    "torch.finfo", "torch.iinfo", "torch.Size", "torch.device", "torch.dtype", "torch.numel",
    "torch.broadcast_shapes", "torch.promote_types", "torch.result_type", "torch.can_cast",
})
# Creation functions whose result depends only on their (static) arguments: a constant tensor.
CONSTANT_CREATION = frozenset({
    "torch.arange", "torch.ones", "torch.zeros", "torch.full", "torch.empty", "torch.tensor",
    "torch.as_tensor", "torch.linspace", "torch.logspace", "torch.eye", "torch.tril_indices",
    "torch.triu_indices",
})

# Tensor methods/attributes whose result is not a tensor (Python ints, sizes, flags).
NON_TENSOR_METHODS = frozenset({
    "size", "dim", "ndimension", "numel", "nelement", "element_size", "stride",
    "storage_offset", "data_ptr", "get_device", "is_contiguous", "is_floating_point",
    "is_complex", "is_signed", "is_set_to", "is_shared", "is_pinned", "__len__",
    "untyped_storage", "storage", "dim_order", "register_hook", "backward", "nbytes",
})
# Attributes of a tensor that are tensors themselves; every other attribute
# (shape, dtype, device, ndim, requires_grad, ...) is not.
TENSOR_ATTRIBUTES = frozenset({"T", "mT", "H", "mH", "real", "imag", "data", "grad", "values", "indices"})

# Methods that hand a tensor's value to Python: torch.export cannot trace past them (LRT202).
TO_PYTHON_METHODS = frozenset({"item", "tolist", "numpy"})
# Builtins that do the same through __int__/__float__/__index__ (probed: int(x.sum()) fails
# with GuardOnDataDependentSymNode).
TO_PYTHON_BUILTINS = frozenset({"int", "float", "complex"})

# Methods/functions returning a tuple of tensors.
SEQ_METHODS = frozenset({
    "split", "chunk", "unbind", "tensor_split", "hsplit", "vsplit", "dsplit", "split_with_sizes",
})
SEQ_FUNCTIONS = frozenset({
    "torch.split", "torch.chunk", "torch.unbind", "torch.tensor_split", "torch.hsplit",
    "torch.vsplit", "torch.dsplit", "torch.meshgrid", "torch.broadcast_tensors",
    "torch.functional.split", "torch.functional.meshgrid", "torch.functional.broadcast_tensors",
})

# Results that are boolean tensors (masks): comparisons and predicates.
BOOL_METHODS = frozenset({
    "bool", "eq", "ne", "gt", "ge", "lt", "le", "isnan", "isinf", "isfinite", "isneginf",
    "isposinf", "isreal", "logical_and", "logical_or", "logical_not", "logical_xor",
    "greater", "greater_equal", "less", "less_equal", "not_equal", "isin", "isclose", "signbit",
})
BOOL_FUNCTIONS = frozenset(f"torch.{name}" for name in BOOL_METHODS if name != "bool")

# torch.* callables whose result is not a tensor (namespaces by prefix, names exactly).
NON_TENSOR_TORCH_PREFIXES = (
    "torch.jit.", "torch.compiler.", "torch._dynamo.", "torch.cuda.", "torch.backends.",
    "torch.distributed.", "torch.onnx.", "torch.fx.", "torch.testing.", "torch.utils.data.",
    "torch.autograd.grad_mode.", "torch.is_", "torch.get_", "torch.set_", "torch._check",
    "torch.sym_", "torch.overrides.", "torch.hub.", "torch.nn.init.calculate",
)
NON_TENSOR_TORCH_NAMES = frozenset({
    "torch.numel", "torch.finfo", "torch.iinfo", "torch.device", "torch.dtype", "torch.Size",
    "torch.no_grad", "torch.enable_grad", "torch.inference_mode", "torch.autocast",
    "torch.manual_seed", "torch.seed", "torch.initial_seed", "torch.broadcast_shapes",
    "torch.Generator", "torch._assert", "torch.use_deterministic_algorithms",
    "torch.result_type", "torch.promote_types", "torch.can_cast", "torch.typename",
})
# Functions returning a Python bool computed from tensor values (a branch on them is
# data-dependent, like a branch on a tensor).
VALUE_BOOL_FUNCTIONS = frozenset({"torch.equal", "torch.allclose", "torch.is_nonzero"})
VALUE_BOOL_METHODS = frozenset({"equal", "allclose", "is_nonzero"})

# Randomness that still runs after eval() (LRT205). Dropout-like functionals are handled
# separately: they are random only when `training` is true, and their defaults differ.
RANDOM_FUNCTIONS = frozenset({
    "torch.rand", "torch.randn", "torch.randint", "torch.rand_like", "torch.randn_like",
    "torch.randint_like", "torch.randperm", "torch.bernoulli", "torch.multinomial",
    "torch.normal", "torch.poisson", "torch.binomial",
})
RANDOM_METHODS = frozenset({
    "bernoulli", "bernoulli_", "uniform_", "normal_", "random_", "exponential_", "geometric_",
    "cauchy_", "log_normal_", "multinomial",
})
# Functional dropouts: default of `training` (from inspect.signature in torch 2.13) and its
# positional index. F.dropout(x, 0.1) samples even in eval(): the probe failed with
# "Lowering not found: aten.rand_like.default".
DROPOUT_TRAINING_DEFAULT = {
    "torch.nn.functional.dropout": (True, 2),
    "torch.nn.functional.dropout1d": (True, 2),
    "torch.nn.functional.dropout2d": (True, 2),
    "torch.nn.functional.dropout3d": (True, 2),
    "torch.nn.functional.alpha_dropout": (False, 2),
    "torch.nn.functional.feature_alpha_dropout": (False, 2),
    "torch.nn.functional.rrelu": (False, 3),
}

# Ops whose output size depends on tensor values (LRT204), unless the knowledge base has a
# measured verdict for them. `torch.where` counts only in its one-argument form.
DATA_DEPENDENT_FUNCTIONS = frozenset({
    "torch.nonzero", "torch.argwhere", "torch.unique", "torch.unique_consecutive",
    "torch.masked_select", "torch.bincount", "torch.functional.unique",
    "torch.functional.unique_consecutive"
})
DATA_DEPENDENT_METHODS = frozenset({
    "nonzero", "argwhere", "unique", "unique_consecutive", "masked_select", "bincount",
})

# Guards around code that torch.export does not trace. Measured with torch.export +
# litert-torch: jit.is_tracing() is False under export; compiler.is_compiling() and
# compiler.is_exporting() are True (so their *else* branch is the untraced one).
GUARDS_TRUE_UNTRACED = frozenset({
    "torch.jit.is_scripting", "torch.jit.is_tracing", "torch.onnx.is_in_onnx_export",
    "torch._C._get_tracing_state", "torch.fx._symbolic_trace.is_fx_tracing",
})
GUARDS_FALSE_UNTRACED = frozenset({
    "torch.compiler.is_compiling", "torch.compiler.is_dynamo_compiling",
    "torch.compiler.is_exporting", "torch._dynamo.is_compiling", "torch._utils.is_compiling",
    "torch._dynamo.external_utils.is_compiling",
})
# Names that mean "training mode" when tested (`self.training`, a `training` flag).
TRAINING_NAMES = frozenset({"training", "is_training"})

# Builtins with a fixed meaning for the inference.
NON_TENSOR_BUILTINS = frozenset({
    "len", "isinstance", "issubclass", "range", "str", "repr", "print", "hasattr", "getattr",
    "type", "id", "callable", "dict", "set", "frozenset", "enumerate", "format", "hash",
    "iter", "next", "vars", "setattr", "delattr", "super", "ord", "chr", "slice", "object",
})

# What keeps its input's rank (PyTorch's shape rules: the output has as many dimensions as the
# first tensor argument). Used only to carry a rank the source fixes (`B, C, H, W = x.shape`,
# a reshape with literal sizes) to a later call whose measured verdict depends on the rank
# (`Tensor.unfold`, `F.pad`, ...); never to report anything by itself.
RANK_KEEPING_LAYERS = frozenset({
    f"torch.nn.{name}" for name in (
        "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
        "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "GroupNorm", "LayerNorm", "RMSNorm",
        "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LocalResponseNorm",
        "ReLU", "ReLU6", "GELU", "SiLU", "Mish", "Sigmoid", "Tanh", "Hardswish", "Hardsigmoid",
        "LeakyReLU", "ELU", "PReLU", "Softmax", "LogSoftmax", "Identity", "Linear",
        "Dropout", "Dropout1d", "Dropout2d", "Dropout3d",
        "AvgPool1d", "AvgPool2d", "AvgPool3d", "MaxPool1d", "MaxPool2d", "MaxPool3d",
        "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d",
        "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d",
        "Upsample", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
        "ReflectionPad1d", "ReflectionPad2d", "ReplicationPad1d", "ReplicationPad2d",
    )
})
RANK_KEEPING_FUNCTIONS = frozenset({
    *(f"torch.nn.functional.{name}" for name in (
        "pad", "relu", "relu6", "gelu", "silu", "mish", "sigmoid", "tanh", "hardswish", "hardsigmoid",
        "leaky_relu", "elu", "softmax", "log_softmax", "dropout", "layer_norm", "group_norm",
        "batch_norm", "instance_norm", "normalize", "linear", "conv1d", "conv2d", "conv3d",
        "avg_pool1d", "avg_pool2d", "avg_pool3d", "max_pool1d", "max_pool2d", "max_pool3d",
        "adaptive_avg_pool2d", "interpolate",
    )),
    *(f"torch.{name}" for name in (
        "relu", "sigmoid", "tanh", "abs", "exp", "log", "sqrt", "rsqrt", "neg", "sin", "cos",
        "clamp", "softmax", "log_softmax", "erf", "square",
    )),
})
RANK_KEEPING_METHODS = frozenset({
    "contiguous", "clone", "detach", "float", "half", "double", "bfloat16", "to", "type_as",
    "relu", "sigmoid", "tanh", "abs", "exp", "log", "sqrt", "rsqrt", "neg", "softmax",
    "log_softmax", "clamp", "clamp_min", "clamp_max", "masked_fill", "pow", "square",
})
