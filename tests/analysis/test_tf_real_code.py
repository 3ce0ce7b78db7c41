"""The Keras / TensorFlow analyzer on the shapes real library code has (Keras applications,
keras-hub models): every import spelling of Keras, `keras.ops` looked up in the knowledge
base, and Python values inside `call` told apart from tensors. Snippets are written here,
modeled on those shapes. Pure `ast`: fast."""

from __future__ import annotations

import ast
import textwrap

import pytest

from litert_lsp import kb
from litert_lsp.analysis.names import ImportTable, canonical_name
from litert_lsp.analysis.tf.finder import find_tf_findings
from litert_lsp.analysis.value_kinds import ValueKind, join


def run(source: str):
    source = textwrap.dedent(source)
    tree = ast.parse(source)
    return find_tf_findings(tree, ImportTable.from_tree(tree), source)


def codes(source: str) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in run(source)]


def ops_of(source: str) -> list[tuple[int, str | None]]:
    return [(f.line, f.op) for f in run(source)]


def _entry(name, status, **extra):
    return kb.Entry({"framework": "tensorflow", "name": name, "kind": extra.pop("kind", "function"),
                     "status": status, **extra})


@pytest.fixture
def fake_kb(monkeypatch):
    """Synthetic entries (the lookup logic, not the data), with their aliases."""
    entries = [
        _entry("keras.ops.fft2", "select_tf_ops", aliases=["keras.ops.numpy.fft2"]),
        _entry("keras.ops.erfinv", "unsupported", reason="no kernel"),
        _entry("keras.ops.image.crop_weird", "unsupported"),
        _entry("keras.layers.Resizing", "builtin", kind="layer", params=["height", "width"],
               variants=[{"label": "area", "kwargs": {"interpolation": "area"}, "status": "unsupported"}]),
        _entry("tf.linalg.inv", "select_tf_ops"),
    ]
    table = {}
    for entry in entries:
        table[entry.name] = entry
        for alias in entry.get("aliases") or ():
            table[alias] = entry
    monkeypatch.setattr(kb, "lookup", lambda name, framework=None: table.get(name))
    return table


# ---- 1. every spelling of Keras resolves to the knowledge base's names ----------------------

@pytest.mark.parametrize("spelled, public", [
    ("keras.src.layers.Resizing", "keras.layers.Resizing"),
    ("keras.src.layers.preprocessing.resizing.Resizing", "keras.layers.Resizing"),
    ("keras.src.ops.fft2", "keras.ops.fft2"),
    ("keras.src.ops.math.fft2", "keras.ops.fft2"),
    ("keras.src.ops.numpy.ndim", "keras.ops.ndim"),
    ("keras.src.ops.image.resize", "keras.ops.image.resize"),
    ("keras.ops.numpy.fft2", "keras.ops.fft2"),
    ("keras.ops.nn.relu", "keras.ops.relu"),
    ("keras.ops.image.resize", "keras.ops.image.resize"),
    ("tf.keras.layers.Resizing", "keras.layers.Resizing"),
    ("tensorflow.keras.ops.linalg.inv", "keras.ops.inv"),
    ("tf_keras.layers.Resizing", "keras.layers.Resizing"),
    ("keras.src.backend.common.dtypes.result_type", "keras.backend.result_type"),
    ("keras.src.layers.core.dense.Dense.call", "keras.layers.Dense.call"),
    ("torch.nn.functional.relu", "torch.nn.functional.relu"),
])
def test_canonical_names(spelled, public):
    assert canonical_name(spelled) == public


@pytest.mark.parametrize("header, spelled", [
    ("from keras import layers", "layers.Resizing"),
    ("from keras.src import layers", "layers.Resizing"),
    ("from keras.src.layers import Resizing", "Resizing"),
    ("from keras.src.layers.preprocessing.resizing import Resizing", "Resizing"),
    ("import keras.src.layers as layers", "layers.Resizing"),
    ("import tensorflow as tf", "tf.keras.layers.Resizing"),
    ("import tf_keras", "tf_keras.layers.Resizing"),
    ("from tf_keras import layers", "layers.Resizing"),
])
def test_layer_spellings_in_an_application_builder(fake_kb, header, spelled):
    # The shape of keras/src/applications: a function building a functional model.
    source = f"""
    {header}
    import keras

    def build(input_shape=(96, 96, 3)):
        img_input = keras.Input(input_shape)
        x = {spelled}(64, 64, interpolation="area")(img_input)
        return keras.Model(img_input, x)
    """
    assert codes(source) == [(7, "LRT307")]


@pytest.mark.parametrize("header, call", [
    ("from keras import ops", "ops.fft2"),
    ("from keras.src import ops", "ops.fft2"),
    ("import keras.src.ops as ops", "ops.fft2"),
    ("from keras.src.ops.math import fft2", "fft2"),
    ("import keras", "keras.ops.fft2"),
    ("import keras", "keras.ops.numpy.fft2"),
    ("from keras.ops import numpy as knp", "knp.fft2"),
    ("import tensorflow as tf", "tf.keras.ops.fft2"),
])
def test_keras_ops_spellings_in_a_layer_call(fake_kb, header, call):
    # keras-hub's shape: a layer of keras.ops calls (an FNet-like Fourier mixer).
    source = f"""
    {header}
    import keras

    class Mixer(keras.layers.Layer):
        def call(self, inputs):
            real, imag = {call}((inputs, inputs))
            return real
    """
    assert ops_of(source) == [(7, "keras.ops.fft2")]


def test_keras_hub_layers_are_keras_layers_but_its_pipeline_classes_are_not(fake_kb):
    source = """
    from keras import ops
    from keras_hub.src.layers.modeling.transformer_encoder import TransformerEncoder
    from keras_hub.src.models.gemma.gemma_attention import CachedGemmaAttention
    from keras_hub.src.models.gemma.gemma_tokenizer import GemmaTokenizer
    from keras_hub.src.layers.preprocessing.image_converter import ImageConverter

    class Encoder(TransformerEncoder):
        def call(self, inputs):
            return ops.fft2((inputs, inputs))[0]

    class Attention(CachedGemmaAttention):
        def call(self, x):
            return ops.erfinv(x)

    class Tokenizer(GemmaTokenizer):
        def call(self, inputs):
            return ops.fft2((inputs, inputs))[0]

    class Converter(ImageConverter):
        def call(self, inputs):
            return ops.erfinv(inputs)
    """
    assert codes(source) == [(10, "LRT301"), (14, "LRT302")]


def test_application_module_with_keras_src_imports(fake_kb):
    # keras/src/applications/mobilenet_v3.py's imports, with an unsupported option and a
    # tf.* call on a Keras tensor added: both are found as with `from keras import layers`.
    source = """
    import tensorflow as tf
    from keras.src import backend
    from keras.src import layers
    from keras.src.models import Functional

    def hard_sigmoid(x):
        return layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)

    def MobileNetLike(input_shape=(64, 64, 3)):
        img_input = layers.Input(shape=input_shape)
        x = layers.Rescaling(scale=1.0 / 127.5, offset=-1.0)(img_input)
        x = layers.Resizing(32, 32, interpolation="area")(x)
        x = tf.linalg.inv(x)
        x = hard_sigmoid(x)
        return Functional(img_input, x)
    """
    assert codes(source) == [(13, "LRT307"), (14, "LRT305")]


# ---- 2. keras.ops through the knowledge base, folded on constants ---------------------------

def test_keras_ops_on_tensors_are_judged_and_on_constants_folded(fake_kb):
    source = """
    import keras
    from keras import ops

    class Sparsity(keras.layers.Layer):
        def __init__(self, activation_sparsity=0.95, **kwargs):
            super().__init__(**kwargs)
            self.activation_sparsity = activation_sparsity
            self.kernel = None

        def build(self, shape):
            self.kernel = self.add_weight(shape=shape)

        def call(self, x):
            target = ops.convert_to_tensor(self.activation_sparsity, dtype="float32")
            multiplier = ops.erfinv(2 * target - 1)           # config only: folded
            literal = ops.erfinv(ops.convert_to_tensor([0.5]))  # literals only: folded
            weights = ops.erfinv(self.kernel)                  # a weight, not configuration
            return ops.erfinv(x) * multiplier + literal + weights
    """
    assert ops_of(source) == [(18, "keras.ops.erfinv"), (19, "keras.ops.erfinv")]


def test_keras_ops_image_namespace(fake_kb):
    source = """
    import keras
    from keras.src.ops import image

    class Crop(keras.layers.Layer):
        def call(self, images):
            return image.crop_weird(images)
    """
    assert ops_of(source) == [(7, "keras.ops.image.crop_weird")]


# ---- 3. Python values in `call` are not tensors ---------------------------------------------

def test_dtype_flags_and_dtype_names_are_python_values():
    # Gemma3 / D-FINE shapes: a flag from a dtype string, a dtype name compared.
    source = """
    import keras
    from keras import ops

    class Block(keras.layers.Layer):
        def call(self, x):
            is_float16 = keras.backend.standardize_dtype(x.dtype) == "float16"
            if is_float16:
                x = ops.clip(x, -65504, 65504)
            dtype_name = keras.backend.standardize_dtype(self.compute_dtype)
            if dtype_name == "float16":
                x = x * 0.5
            if self.dtype == "bfloat16" or keras.backend.is_float_dtype(self.compute_dtype):
                x = x + 1
            return x
    """
    assert codes(source) == []


def test_ndim_and_static_shape_values_are_python_values():
    # RoformerV2 / D-FINE / RWKV7 shapes: `ops.ndim` is an int, handed on to a helper.
    source = """
    import keras
    from keras import ops

    class Rotary(keras.layers.Layer):
        def call(self, tensors, mask=None):
            ndim = ops.ndim(tensors)
            aligned = self.align(tensors, [0, 1, -1], ndim)
            if mask is not None:
                if ops.ndim(mask) == 2:
                    mask = mask[None]
            if x_last := tensors.shape[-1]:
                aligned = aligned * x_last
            if len(ops.shape(tensors)) > 2 and ops.shape(tensors)[-1] % 2 == 0:
                aligned = aligned[..., ::2]
            return aligned

        def align(self, tensor, axes, ndim=None):
            ndim = ndim or max(axes) + 1
            indices = [None] * ndim
            for axis in axes:
                indices[axis] = slice(None)
            return tensor[tuple(indices)]
    """
    assert codes(source) == []


def test_int_arguments_of_call_are_not_tensors():
    # Flux's shape: `call(self, t, dim)` with `dim` an int passed by the caller.
    source = """
    import keras
    from keras import ops

    class TimestepEmbedding(keras.layers.Layer):
        def call(self, t, dim, max_period=10000):
            half = dim // 2
            freqs = ops.exp(-ops.log(max_period) * ops.arange(half, dtype=t.dtype) / half)
            embedding = ops.concatenate([ops.cos(t[:, None] * freqs), ops.sin(t[:, None] * freqs)], -1)
            if dim % 2 != 0:
                embedding = ops.pad(embedding, [[0, 0], [0, 1]])
            return embedding
    """
    assert codes(source) == []


def test_conditions_on_real_tensors_are_still_reported():
    source = """
    import keras
    import tensorflow as tf
    from keras import ops

    class Gate(keras.layers.Layer):
        def call(self, x):
            if ops.sum(x) > 0:
                x = x * 2
            if tf.reduce_any(x > 1):
                x = x - 1
            ndim = ops.ndim(x)
            if ops.max(x) > ndim:
                x = x / ndim
            constant = ops.convert_to_tensor(2.0)
            if constant > 1:   # a constant is still a tensor: no Python truth value in a graph
                x = x + constant
            return x
    """
    assert codes(source) == [(8, "LRT305"), (10, "LRT305"), (13, "LRT305"), (16, "LRT305")]


def test_a_tensor_passed_to_a_helper_still_counts():
    source = """
    import keras
    from keras import ops

    class Block(keras.layers.Layer):
        def call(self, x):
            total = ops.sum(x)
            return self.scale(x, total)

        def scale(self, x, amount):
            if amount > 0:
                return x * amount
            return x
    """
    assert codes(source) == [(11, "LRT305")]


def test_eager_side_of_inside_function_is_not_traced():
    source = """
    import keras
    import tensorflow as tf
    from keras import ops

    class Resize(keras.layers.Layer):
        def call(self, inputs):
            if tf.inside_function():
                resized = tf.image.resize(inputs, (8, 8))
            else:  # eager only: concrete values
                height = ops.cast(ops.shape(inputs)[1] // 2, "int32")
                resized = ops.image.resize(inputs, (int(height), int(height)))
            return resized
    """
    assert codes(source) == []


def test_value_kinds_join():
    assert join(ValueKind.STATIC, ValueKind.CONSTANT) is ValueKind.CONSTANT
    assert join(ValueKind.STATIC, ValueKind.TENSOR) is ValueKind.TENSOR
    assert join(ValueKind.STATIC, ValueKind.UNKNOWN) is ValueKind.UNKNOWN
    assert ValueKind.CONSTANT.is_tensor and ValueKind.CONSTANT.is_fixed
    assert not ValueKind.STATIC.is_tensor and not ValueKind.UNKNOWN.is_fixed


def test_convert_to_numpy_of_a_tensor_is_reported_and_its_result_is_python():
    source = """
    import keras
    from keras import ops

    class Chunks(keras.layers.Layer):
        def call(self, x):
            values = ops.convert_to_numpy(x)
            sizes = ops.convert_to_numpy([1, 2])   # a Python list: fine
            if values.sum() > 0 and sizes[0]:      # NumPy values, reported at their source
                x = x * 2
            return x
    """
    assert codes(source) == [(7, "LRT305")]


def test_keras_machinery_helpers_are_not_ops():
    # keras/src/layers/reshaping/reshape.py computes the target shape with a helper of
    # keras.src.ops.operation_utils (Python ints) and loops over it: that is not a tensor.
    from litert_lsp.analysis.names import canonical_name

    assert canonical_name("keras.src.ops.operation_utils.compute_reshape_output_shape").startswith("keras.src.")
    assert canonical_name("keras.src.ops.numpy.reshape") == "keras.ops.reshape"
    source = (
        "from keras.src import ops\n"
        "from keras.src.layers.layer import Layer\n"
        "from keras.src.ops import operation_utils\n\n\n"
        "class Reshape(Layer):\n"
        "    def call(self, inputs):\n"
        "        shape = operation_utils.compute_reshape_output_shape(tuple(inputs.shape)[1:], self.target, 'target')\n"
        "        shape = tuple(-1 if d is None else d for d in shape)\n"
        "        return ops.reshape(inputs, (ops.shape(inputs)[0],) + shape)\n"
    )
    from litert_lsp.analysis import analyze

    assert [f.code for f in analyze(source)] == []


def test_the_symbolic_path_test_of_keras_ops_is_a_python_flag():
    # keras/src/ops/*.py: `if any_symbolic_tensors((x,)):` chooses between the symbolic and the
    # eager path at trace time; it is a Python bool, not a condition on a tensor's value.
    source = (
        "from keras.src.backend import any_symbolic_tensors\n"
        "from keras.src.layers.layer import Layer\n\n\n"
        "def moments(x, axes):\n"
        "    if any_symbolic_tensors((x,)):\n"
        "        return x\n"
        "    return x * 2\n\n\n"
        "class Norm(Layer):\n"
        "    def call(self, inputs):\n"
        "        return moments(inputs, [1])\n"
    )
    from litert_lsp.analysis import analyze

    assert [f.code for f in analyze(source)] == []


_SCAN = '''\
import keras
import tensorflow as tf
from keras import ops
from keras.layers import Layer


def scan(x):
    steps = tf.TensorArray(tf.float32, size=8)
    state = ops.zeros_like(x[:, 0])
    for t in range(8):
        state = 0.5 * state + x[:, t]
        steps = steps.write(t, state)
    return steps.stack()


def scan_in_graph(x):
    steps = tf.TensorArray(tf.float32, size=8)
    _, steps = tf.while_loop(lambda t, s: t < 8, lambda t, s: (t + 1, s.write(t, x[:, t])), (0, steps))
    return steps.stack()


class Mix(Layer):
    def __init__(self):
        super().__init__()
        self.op = scan
        self.graph_op = scan_in_graph

    def build(self, shape):
        from fast_kernels import op  # an optional kernel; not this file's function

    def call(self, x, training=False):
        if training:
            op = self.op
        else:
            op = self.op
        return op(x) + self.graph_op(x)
'''


def test_a_tensor_array_written_in_a_python_loop_is_reported_and_one_in_a_graph_loop_is_not():
    # Measured (tools/probes, tf.TensorArray variants): written in a Python loop inside traced
    # code the converter fails ("operand #0 does not dominate this use", RWKV7); inside
    # tf.while_loop it converts with builtins. The functions are reached through `self.op`
    # stored in __init__ and a local alias that shadows an import of the same name.
    from litert_lsp.analysis import analyze

    found = [(f.line, f.code) for f in analyze(_SCAN)]
    assert found == [(8, "LRT302")]
