"""TensorFlow / Keras rules: spellings, reachability, quietness, knowledge-base mapping,
robustness. Pure `ast` (no framework import): fast."""

from __future__ import annotations

import ast
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from litert_lsp import kb
from litert_lsp.analysis.names import ImportTable
from litert_lsp.analysis.tf.finder import _find, find_tf_findings
from litert_lsp.core.findings import Severity
from litert_lsp.core.settings import Settings


def run(source: str):
    source = textwrap.dedent(source)
    tree = ast.parse(source)
    return find_tf_findings(tree, ImportTable.from_tree(tree), source)


def codes(source: str) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in run(source)]


# ---- spellings of tf.function and of the ops -----------------------------------------------

@pytest.mark.parametrize(
    "header, decorator",
    [
        ("import tensorflow as tf", "@tf.function"),
        ("import tensorflow as tf", "@tf.function()"),
        ("import tensorflow as tf", "@tf.function(jit_compile=True, reduce_retracing=True)"),
        ("import tensorflow", "@tensorflow.function"),
        ("from tensorflow import function", "@function"),
        ("from tensorflow import function as tracer", "@tracer(input_signature=None)"),
        ("import tensorflow.compat.v2 as tf", "@tf.function"),
    ],
)
def test_tf_function_decorator_spellings(header, decorator):
    source = f"""
    {header}
    {decorator}
    def f(x):
        return x.numpy()
    """
    assert codes(source) == [(5, "LRT305")]


def test_wrapped_tf_functions_are_traced():
    source = """
    import tensorflow as tf

    def a(x):
        return x.numpy()

    def b(x):
        return int(x)

    fa = tf.function(a)
    fb = tf.function(input_signature=[tf.TensorSpec([1])])(b)
    """
    assert codes(source) == [(5, "LRT305"), (8, "LRT305")]


@pytest.mark.parametrize(
    "header, call",
    [
        ("import tensorflow as tf", "tf.py_function(g, [x], tf.float32)"),
        ("import tensorflow as tf", "tf.numpy_function(g, [x], tf.float32)"),
        ("import tensorflow as tf", "tf.compat.v1.py_func(g, [x], tf.float32)"),
        ("import tensorflow as T", "T.py_function(g, [x], T.float32)"),
        ("from tensorflow import py_function", "py_function(g, [x], 'float32')"),
        ("import tensorflow.compat.v1 as v1", "v1.py_func(g, [x], 'float32')"),
    ],
)
def test_py_function_spellings(header, call):
    source = f"""
    {header}
    import tensorflow
    def g(v):
        return v.numpy()  # runs eagerly inside py_function: fine
    @tensorflow.function
    def f(x):
        return {call}
    """
    assert codes(source) == [(8, "LRT304")]


# ---- Keras call: no AutoGraph ---------------------------------------------------------------

KERAS_HEADERS = [
    "import tensorflow as tf\nBase = tf.keras.layers.Layer",
    "from tensorflow import keras\nBase = keras.layers.Layer",
    "from tensorflow.keras import layers\nBase = layers.Layer",
    "import keras\nBase = keras.Layer",
    "from keras import Model as Base",
    "import tf_keras\nBase = tf_keras.layers.Layer",
    "from keras import layers\nBase = layers.Dense",
]


@pytest.mark.parametrize("header", KERAS_HEADERS)
def test_keras_call_if_on_tensor(header):
    source = header + textwrap.dedent(
        """
        import tensorflow as tf

        class Mid(Base):
            pass

        class Gate(Mid):
            def call(self, x, training=False, mask=None):
                if training:
                    x = x * 1.0
                if mask is not None:
                    x = x * mask
                if x.shape[-1] > 2 and x.dtype == "float32":
                    x = x[..., :2]
                y = tf.reduce_sum(x)
                if y > 0:
                    return x
                return -x if tf.reduce_min(x) < 0 else x
        """
    )
    found = run(source)
    lines = source.splitlines()
    assert [f.code for f in found] == ["LRT305", "LRT305"]
    assert lines[found[0].line - 1].strip() == "if y > 0:"
    assert lines[found[0].line - 1][found[0].column:found[0].end_column] == "y > 0"
    assert "x if c else y" in found[1].message


def test_autograph_converts_control_flow_in_tf_function_and_its_helpers():
    source = """
    import tensorflow as tf

    class M(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([4])])
        def __call__(self, x):
            if tf.reduce_sum(x) > 0:
                x = x * 2
            while tf.reduce_max(x) > 1:
                x = x / 2
            for i in tf.range(3):
                x = x + tf.cast(i, tf.float32)
            return self.helper(x) if tf.reduce_min(x) > 0 else x

        def helper(self, y):
            if y[0] > 0 and y[1] > 0:
                return y
            return -y
    """
    assert codes(source) == []


def test_autograph_false_and_do_not_convert():
    source = """
    import tensorflow as tf

    @tf.function(autograph=False)
    def f(x):
        while tf.reduce_max(x) > 1:
            x = x / 2
        return g(x)

    @tf.autograph.experimental.do_not_convert
    def g(y):
        return y if y[0] > 0 else -y

    @tf.function
    def h(x):
        return g(x)
    """
    found = run(source)
    assert [(f.line, f.code) for f in found] == [(6, "LRT305"), (12, "LRT305")]
    assert "autograph=False" in found[0].message


def test_value_needing_constructs():
    source = """
    import numpy as np
    import numpy
    import tensorflow as tf

    @tf.function
    def f(x, n=3):
        a = float(x[0])
        b = np.mean(x)
        c = numpy.asarray(x)
        d = int(n)
        e = len(x.shape)
        assert tf.reduce_all(x > 0)
        assert x.shape[0] == 4
        print(x)
        tf.print("n", n)
        return x
    """
    assert codes(source) == [(8, "LRT305"), (9, "LRT305"), (10, "LRT305"), (13, "LRT305"), (16, "LRT306")]


def test_keras_for_and_boolean_operators_on_tensors():
    source = """
    import keras
    import tensorflow as tf

    class L(keras.layers.Layer):
        def call(self, x):
            total = 0
            for row in keras.ops.abs(x):
                total = total + row
            ok = keras.ops.all(x > 0) and keras.ops.any(x < 1)
            for i in range(3):
                total = total + i
            for part in x:  # `x` may be a list of tensors: plain Python
                total = total + part
            for part in tf.unstack(total):  # a Python list of tensors
                total = total + part
            first, second = tf.split(total, 2)
            if x:  # may be a list
                total = total + first
            return total
    """
    assert codes(source) == [(8, "LRT305"), (10, "LRT305")]


def test_helper_results_and_eager_only_branches():
    source = """
    import tensorflow as tf
    from tensorflow import keras
    from somewhere import backend

    def is_small(t):
        return t.shape[0] < 3

    def double(t):
        return t * 2

    class L(keras.layers.Layer):
        def call(self, x):
            if is_small(x) or backend.is_tensor(x):
                x = x + 1
            if double(x) > 0:
                x = x - 1
            if tf.executing_eagerly():
                print(x.numpy())
            if not tf.executing_eagerly():
                x = x + 1
            else:
                x = x + int(x)
            return x
    """
    assert codes(source) == [(16, "LRT305")]


# ---- reachability -----------------------------------------------------------------------------

def test_reachability_through_helpers_methods_nested_and_callbacks():
    source = """
    import tensorflow as tf

    def module_helper(t):
        return t.numpy()

    def unreached(t):
        return t.numpy()

    class Block(tf.Module):
        def __call__(self, t):
            return int(t)

    class Base(tf.Module):
        def inherited(self, t):
            return bool(t)

    class Net(Base):
        def __init__(self):
            super().__init__()
            self.block = Block()

        @tf.function(input_signature=[tf.TensorSpec([3])])
        def __call__(self, x):
            def nested(t):
                return float(t)
            y = module_helper(x) + nested(x) + self.inherited(x) + self.block(x)
            z = tf.map_fn(self.mapped, x)
            w = tf.map_fn(lambda t: t.numpy(), x)
            return y + z + w

        def mapped(self, t):
            return t.numpy()

        def also_unreached(self, t):
            return t.numpy()
    """
    assert codes(source) == [(5, "LRT305"), (12, "LRT305"), (16, "LRT305"), (26, "LRT305"),
                             (29, "LRT305"), (33, "LRT305")]


def test_recursion_and_cycles_terminate():
    source = """
    import tensorflow as tf

    def a(x):
        return b(x) + x.numpy()

    def b(x):
        return a(x)

    @tf.function
    def f(x):
        return f(a(x))

    class C(C):
        def call(self, x):
            return self.call(x)
    """
    assert codes(source) == [(5, "LRT305")]


# ---- quiet outside model code ---------------------------------------------------------------

def test_quiet_in_pipelines_training_and_eager_code():
    source = """
    import tensorflow as tf
    import keras

    @tf.function
    def parse(line):
        return tf.py_function(lambda v: v, [tf.strings.split(line)], tf.string)

    ds = tf.data.Dataset.from_tensor_slices(["a b"]).map(parse)

    @tf.function
    def train_step(model, x):
        with tf.GradientTape() as tape:
            loss = model(x)
        print(loss.numpy())
        return loss

    class Trained(keras.Model):
        def train_step(self, data):
            return {"loss": data.numpy()}

    def evaluate(model, ds):
        for x in ds:
            if model(x).numpy() > 0:
                print(tf.strings.as_string(model(x)))

    def build():
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        model.compile("sgd", "mse")
        model.fit(tf.data.Dataset.from_tensor_slices(([[1.0, 2.0, 3.0]], [[0.0, 1.0]])))
        return model
    """
    assert codes(source) == []


# ---- knowledge base mapping (synthetic entries: the mapping logic, not the data) -------------

def _entry(name, status, **extra):
    return kb.Entry({"framework": "tensorflow", "name": name, "kind": extra.pop("kind", "function"),
                         "status": status, **extra})


@pytest.fixture
def fake_kb(monkeypatch):
    table = {
        "tf.linalg.flexy": _entry("tf.linalg.flexy", "select_tf_ops", tf_ops=["Flexy"]),
        "tf.math.nope": _entry("tf.math.nope", "unsupported", reason="no kernel"),
        "tf.math.cpu_only": _entry("tf.math.cpu_only", "builtin", gpu_compatible=False, tflite_ops=["CUMSUM"]),
        "tf.math.fine": _entry("tf.math.fine", "builtin", gpu_compatible=True),
        "tf.raw_ops.Flexy": _entry("tf.raw_ops.Flexy", "select_tf_ops"),
        "tf.strings.length": _entry("tf.strings.length", "select_tf_ops"),
        "tf.strings.fine": _entry("tf.strings.fine", "builtin"),
        "keras.layers.Weird": _entry("keras.layers.Weird", "unsupported", kind="layer"),
        "keras.layers.Rnn": _entry(
            "keras.layers.Rnn", "builtin", kind="layer", params=["units"],
            variants=[{"label": "plain", "kwargs": {}, "status": "builtin"},
                      {"label": "stateful", "kwargs": {"stateful": True}, "status": "unsupported"},
                      {"label": "unrolled", "kwargs": {"unroll": True}, "status": "select_tf_ops"}]),
    }
    monkeypatch.setattr(kb, "lookup", lambda name, framework=None: table.get(name))
    return table


def test_kb_statuses_map_to_codes(fake_kb):
    source = """
    import tensorflow as tf
    from tensorflow.raw_ops import Flexy
    from tensorflow import strings

    @tf.function
    def f(x):
        a = tf.linalg.flexy(x)
        b = tf.math.nope(x)
        c = tf.math.cpu_only(x)
        d = tf.math.fine(x)
        e = Flexy(x) + tf.raw_ops.Flexy(x=x)
        g = strings.length(x) + tf.strings.fine(x) + tf.strings.unmeasured(x)
        return a
    """
    found = run(source)
    assert [(f.line, f.code, f.severity) for f in found] == [
        (8, "LRT301", Severity.WARNING),
        (9, "LRT302", Severity.ERROR),
        (10, "LRT303", Severity.INFORMATION),
        (12, "LRT301", Severity.WARNING),
        (12, "LRT301", Severity.WARNING),
        (13, "LRT306", Severity.WARNING),
        (13, "LRT306", Severity.WARNING),
    ]
    assert "Flex" in found[0].message and "MB" in found[0].message
    assert found[0].op == "tf.linalg.flexy" and found[0].status == "select_tf_ops"
    assert "no kernel" in found[1].message
    # LRT303 is opt-in: the settings drop it unless gpu_compatibility is on.
    assert "LRT303" not in {f.code for f in Settings().apply(found)}
    assert "LRT303" in {f.code for f in Settings(gpu_compatibility=True).apply(found)}


def test_keras_layers_and_options(fake_kb):
    source = """
    import keras
    from tensorflow.keras import layers

    def build():
        inputs = keras.Input((5, 3))
        x = layers.Rnn(4)(inputs)
        x = layers.Rnn(4, stateful=True)(inputs)
        x = layers.Rnn(4, unroll=True)(inputs)
        x = layers.Weird()(x)
        return keras.Model(inputs, x)

    class Block(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.rnn = keras.layers.Rnn(units=4, stateful=True)

    def not_a_model():
        return layers.Weird()
    """
    found = run(source)
    lines = textwrap.dedent(source).splitlines()
    assert [(f.line, f.code) for f in found] == [(8, "LRT307"), (9, "LRT301"), (10, "LRT307"), (16, "LRT307")]
    first = found[0]
    assert lines[first.line - 1][first.column:first.end_column] == "stateful=True"
    assert "stateful=True" in first.message


def test_builder_ops_only_on_model_tensors(fake_kb):
    source = """
    import tensorflow as tf
    from keras import ops as keras_ops

    def build():
        table = tf.math.nope(tf.constant([1.0]))  # eager, before the model: not part of it
        inputs = tf.keras.Input((3,))
        outputs = tf.keras.layers.Lambda(lambda t: tf.linalg.flexy(t))(inputs)
        scaled = keras_ops.abs(outputs) * 2.0  # keras.ops on Keras tensors: fine
        return tf.keras.Model(inputs, tf.math.nope(scaled))  # a tf.* function on a Keras tensor
    """
    found = run(source)
    assert [(f.line, f.code) for f in found] == [(8, "LRT301"), (10, "LRT305")]
    assert "Keras 3" in found[1].message and "keras.ops" in found[1].message


# ---- robustness -------------------------------------------------------------------------------

ODD_SOURCES = [
    "",
    "import tensorflow as tf\n",
    "import tensorflow as tf\ntf.function(None)\ntf.function()(1)\n",
    "import tensorflow as tf\n@tf.function\nasync def f(x):\n    return x.numpy()\n",
    "import tensorflow as tf\nclass A(A):\n    pass\nclass B(B, tf.Module):\n    def __init__(self): pass\n",
    "import tensorflow as tf\nf = tf.function(lambda x: x.numpy())\n",
    "import tensorflow as tf\n@tf.function\ndef f(*a, **k):\n    return g(*a, **k)\ndef g(*a, x, **k):\n    return x\n",
    "import tensorflow as tf\n@tf.function\ndef f(x):\n    " + "(" * 80 + "x" + ")" * 80 + ".numpy()\n",
    "import tensorflow as tf\n@tf.function\ndef f(x):\n    return " + " + ".join(["x"] * 2000) + "\n",
    "import keras\nclass L(keras.layers.Layer):\n    call = None\n",
    "import keras\nclass L(keras.layers.Layer):\n    def call(self):\n        if self: pass\n",
    "import tensorflow as tf\n@tf.function(input_signature=tf.TensorSpec([1]))\ndef f(x=1, /, *, y):\n    return y\n",
]


@pytest.mark.parametrize("source", ODD_SOURCES)
def test_odd_sources_do_not_raise(source):
    tree = ast.parse(source)
    _find(tree, ImportTable.from_tree(tree))  # the unguarded core: a bug would surface here


_fragments = st.sampled_from([
    "import tensorflow as tf", "import keras", "@tf.function", "def f(x):", "    return x.numpy()",
    "    if x > 0:", "        x = f(x)", "class L(keras.layers.Layer):", "    def call(self, x):",
    "        return self.call(x)", "x = tf.function(f)", "    while tf.reduce_sum(x):", "        pass",
    "m = keras.Sequential([keras.layers.Dense(1)])", "    for a in x:", "            x = int(x)",
])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_fragments, min_size=1, max_size=14))
def test_generated_sources_do_not_raise(lines):
    source = "\n".join(lines) + "\n"
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return
    _find(tree, ImportTable.from_tree(tree))


def test_training_only_branches_and_constant_inputs_are_not_the_exported_graph(fake_kb):
    source = """
    import tensorflow as tf

    class L(tf.keras.layers.Layer):
        def call(self, x, training=None):
            if training:
                x = tf.math.nope(x)
            elif self.training is True:
                x = tf.math.nope(x)
            else:
                x = tf.linalg.flexy(x)
            table = tf.math.nope([[1.0, 2.0], [3.0, 4.0]], dtype=tf.float32)  # folded to a constant
            noise = tf.math.nope(tf.math.nope([1.0]))  # folded too
            return x + tf.math.nope(tf.shape(x))
    """
    assert codes(source) == [(11, "LRT301"), (14, "LRT302")]


def test_static_methods_slices_and_metadata_stay_quiet():
    source = """
    import keras

    class Act(keras.layers.Layer):
        def call(self, inputs):
            y = self.static_call(inputs, slope=self.slope)
            if all(t.shape == inputs[0].shape for t in inputs[1:]):  # a slice of a list
                y = y + 1
            if y.dtype == "float32" and y.shape.rank == 2:
                y = y * 2
            return self.static_call(y, slope=0.0) + self.stat_bad(y)

        @staticmethod
        def static_call(x, slope=0.0):
            if slope != 0.0:
                return x * slope
            return x

        @staticmethod
        def stat_bad(x, slope=0.0):
            if x.T[0] > 0:
                return x
            return -x
    """
    assert codes(source) == [(21, "LRT305")]


def test_functions_given_to_keras_lambda_layers_are_traced_without_autograph():
    source = """
    import keras
    from keras import layers

    def gate(t):
        if keras.ops.sum(t) > 0:
            return t
        return -t

    def unused(t):
        return t.numpy()

    def build():
        inputs = keras.Input((3,))
        return keras.Model(inputs, layers.Lambda(gate)(inputs))
    """
    found = run(source)
    assert [(f.line, f.code) for f in found] == [(6, "LRT305")]
    assert "Lambda layer's function without AutoGraph" in found[0].message


def test_variants_disagreeing_on_hidden_dtypes_are_not_chosen(monkeypatch):
    entry = _entry("tf.math.mixed", "builtin", params=["x", "axis"], variants=[
        {"label": "float32, axis=1", "kwargs": {"axis": 1}, "status": "builtin"},
        {"label": "int64, axis=1", "kwargs": {"axis": 1}, "status": "select_tf_ops"},
        {"label": "float32, axis=(0, 1)", "kwargs": {"axis": [0, 1]}, "status": "unsupported"},
    ])
    monkeypatch.setattr(kb, "lookup", lambda name, framework=None: entry if name == entry.name else None)
    source = """
    import tensorflow as tf

    @tf.function
    def f(x):
        return tf.math.mixed(x, 1) + tf.math.mixed(x, axis=(0, 1)) + tf.math.mixed(x)
    """
    found = run(source)
    line = textwrap.dedent(source).splitlines()[found[0].line - 1]
    assert [f.code for f in found] == ["LRT302"]
    assert line[found[0].column:found[0].end_column] == "axis=(0, 1)"
    assert "axis=(0, 1)" in found[0].message


def test_real_keras_sources_do_not_raise():
    """Keras' own layer sources: real, varied TF/Keras code (skipped without the frameworks)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("keras")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("keras is not installed")
    root = Path(next(iter(spec.submodule_search_locations))) / "src" / "layers"
    files = [p for p in sorted(root.rglob("*.py")) if not p.name.endswith("_test.py")]
    assert files
    for path in files:
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        for finding in _find(tree, ImportTable.from_tree(tree)):
            assert 1 <= finding.line <= finding.end_line <= len(source.splitlines())


def test_columns_count_code_points_not_bytes():
    source = 'import tensorflow as tf\n@tf.function\ndef f(x):\n    y = "é—😀" + x.numpy()\n    return y\n'
    (finding,) = run(source)
    line = source.splitlines()[3]
    assert line[finding.column:finding.end_column] == "x.numpy()"


def test_range_of_a_tensor_only_without_autograph():
    source = """
    import tensorflow as tf

    @tf.function
    def converted(x):
        for i in range(tf.shape(x)[0]):  # AutoGraph: becomes a tf.range loop
            x = x + 1.0
        return x

    class L(tf.keras.layers.Layer):
        def call(self, x):
            for i in range(tf.shape(x)[0]):
                x = x + 1.0
            for i in range(x.shape[-1]):  # a static Python int: fine
                x = x * 2.0
            return x
    """
    assert codes(source) == [(12, "LRT305")]
