"""Tiny TensorFlow/Keras models written to disk in every format the TF exporter takes.

Made by the tests (no downloads); imported by tests/export/test_tf_*.py. Creating all of them
costs a few seconds once per session.
"""

from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import pytest
import tensorflow as tf

from litert_lsp.worker.tensorflow.usercode import load_module

# User code for the "Python file + TF2 checkpoint" path. DET_LINE is asserted on: keep it in sync.
NET_PY = textwrap.dedent('''\
    import keras
    import numpy as np
    import tensorflow as tf


    class Net(keras.Model):
        def __init__(self, width=16):
            super().__init__()
            self.hidden = keras.layers.Dense(width, activation="relu")
            self.head = keras.layers.Dense(3)

        def call(self, x):
            return self.head(self.hidden(x))


    class Deeper(Net):
        def __init__(self, width=16):
            super().__init__(width)
            self.extra = keras.layers.Dense(3)

        def call(self, x):
            return self.extra(super().call(x))


    class HeadOnly(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = keras.layers.Dense(16, activation="relu")

        def call(self, x):
            return self.hidden(x)


    class WithDet(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(16)

        def call(self, x):
            matrices = tf.reshape(self.dense(x), (-1, 4, 4))
            return tf.linalg.det(matrices)


    def example_inputs():
        return [np.linspace(-1.0, 1.0, 8, dtype=np.float32).reshape(1, 8)]
''')
DET_LINE = NET_PY.splitlines().index("        return tf.linalg.det(matrices)") + 1

# A builder function (not a class) whose weights are saved with model.save_weights.
BUILDER_PY = textwrap.dedent('''\
    import keras


    def build_model(units=6):
        inputs = keras.Input((5,), name="pixels")
        return keras.Model(inputs, keras.layers.Dense(units, activation="tanh")(inputs))
''')


@dataclass
class TfFiles:
    root: Path
    saved_model: Path
    keras_file: Path
    h5_file: Path
    lambda_keras: Path
    big_keras: Path  # enough weights (>1024 per tensor) for dynamic-range quantization to apply
    multi_signature: Path
    det_saved_model: Path
    svd_saved_model: Path
    reshape_saved_model: Path  # input [None, None]: needs real shapes, 1x1 cannot be reshaped to [-1, 16]
    net_py: Path
    tf2_ckpt: Path  # prefix of a checkpoint written from Net(width=16)
    tf2_ckpt_with_optimizer: Path
    tf1_meta: Path  # inference graph: x -> logits
    tf1_train_meta: Path  # training graph: x, labels -> logits, loss, train op
    trained_net: keras.Model  # the Net whose weights are in tf2_ckpt
    functional: keras.Model  # the model in saved_model/.keras/.h5
    tf1_weights: tuple[np.ndarray, np.ndarray]
    builder_py: Path
    builder_weights: Path  # a .weights.h5 file from build_model(units=6)
    built: keras.Model  # the model whose weights are in builder_weights


def _functional(seed: int, sizes: tuple[int, ...] = (8, 16, 2)) -> keras.Model:
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((sizes[0],), name="features")
    hidden = inputs
    for width in sizes[1:-1]:
        hidden = keras.layers.Dense(width, activation="relu")(hidden)
    return keras.Model(inputs, keras.layers.Dense(sizes[-1])(hidden))


class _TwoSignatures(tf.Module):
    def __init__(self) -> None:
        super().__init__()
        self.scale = tf.Variable([2.0, 3.0, 4.0])

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
    def double(self, x: tf.Tensor) -> dict:
        return {"y": x * self.scale}

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
    def shift(self, x: tf.Tensor) -> dict:
        return {"y": x + self.scale}


def _module_with(fn_body: str, shape: list[int | None]) -> tf.Module:
    module = tf.Module()
    functions = {
        "det": lambda x: {"y": tf.linalg.det(x) + 1.0},
        "svd": lambda x: {"y": tf.linalg.svd(x, compute_uv=False)},
        "reshape": lambda x: {"y": tf.reshape(x, [-1, 16]) * 2.0},
    }
    module.f = tf.function(functions[fn_body], input_signature=[tf.TensorSpec(shape, tf.float32, name="x")])
    return module


def _tf1(path: Path, training: bool) -> tuple[np.ndarray, np.ndarray]:
    v1 = tf.compat.v1
    graph = tf.Graph()
    rng = np.random.default_rng(3)
    w_value = rng.standard_normal((8, 4)).astype(np.float32)
    b_value = rng.standard_normal(4).astype(np.float32)
    with graph.as_default():
        x = v1.placeholder(tf.float32, [None, 8], name="x")
        w = v1.get_variable("w", initializer=w_value)
        b = v1.get_variable("b", initializer=b_value)
        logits = tf.nn.relu(tf.matmul(x, w) + b, name="logits")
        if training:
            labels = v1.placeholder(tf.float32, [None, 4], name="labels")
            loss = tf.reduce_mean(tf.square(logits - labels), name="loss")
            v1.train.GradientDescentOptimizer(0.1).minimize(loss)
        saver = v1.train.Saver()
        with v1.Session(graph=graph) as session:
            session.run(v1.global_variables_initializer())
            saver.save(session, str(path))
    return w_value, b_value


def make_tf_files(root: Path) -> TfFiles:
    root.mkdir(parents=True, exist_ok=True)
    functional = _functional(1)
    functional.save(root / "model.keras")
    functional.save(root / "model.h5")
    functional.export(str(root / "saved_model"), verbose=False)

    keras.utils.set_random_seed(2)
    inputs = keras.Input((4,), name="x")
    lam = keras.Model(inputs, keras.layers.Lambda(lambda t: t * 2.0 + 1.0)(keras.layers.Dense(4)(inputs)))
    lam.save(root / "lambda.keras")

    big = _functional(4, (64, 128, 10))
    big.save(root / "big.keras")

    two = _TwoSignatures()
    tf.saved_model.save(two, str(root / "two_signatures"), signatures={"double": two.double, "shift": two.shift})
    for name, shape in (("det", [None, 4, 4]), ("svd", [None, 4, 4]), ("reshape", [None, None])):
        module = _module_with(name, shape)
        tf.saved_model.save(module, str(root / f"{name}_saved_model"), signatures={"serving_default": module.f})

    net_py = root / "net.py"
    net_py.write_text(NET_PY)
    user = load_module(net_py)
    keras.utils.set_random_seed(5)
    net = user.Net()
    net(user.example_inputs()[0])
    prefix = tf.train.Checkpoint(model=net).write(str(root / "ckpt" / "net"))
    optimizer = keras.optimizers.Adam()
    optimizer.build(net.trainable_variables)
    with_opt = tf.train.Checkpoint(model=net, optimizer=optimizer).save(str(root / "ckpt_opt" / "net"))

    builder_py = root / "builder.py"
    builder_py.write_text(BUILDER_PY)
    keras.utils.set_random_seed(6)
    built = load_module(builder_py).build_model()
    built.save_weights(root / "builder.weights.h5")

    weights = _tf1(root / "tf1" / "model.ckpt", training=False)
    _tf1(root / "tf1_train" / "model.ckpt", training=True)
    return TfFiles(
        root=root, saved_model=root / "saved_model", keras_file=root / "model.keras", h5_file=root / "model.h5",
        lambda_keras=root / "lambda.keras", big_keras=root / "big.keras",
        multi_signature=root / "two_signatures", det_saved_model=root / "det_saved_model",
        svd_saved_model=root / "svd_saved_model", reshape_saved_model=root / "reshape_saved_model", net_py=net_py, tf2_ckpt=Path(prefix),
        tf2_ckpt_with_optimizer=Path(with_opt), tf1_meta=root / "tf1" / "model.ckpt.meta",
        tf1_train_meta=root / "tf1_train" / "model.ckpt.meta", trained_net=net, functional=functional,
        tf1_weights=weights, builder_py=builder_py, builder_weights=root / "builder.weights.h5", built=built,
    )


_made: list[TfFiles] = []


def shared_tf_files(tmp_path_factory: pytest.TempPathFactory) -> TfFiles:
    """The files, made once per test session however many test modules ask (tests must not
    modify them: copy first)."""
    if not _made:
        _made.append(make_tf_files(tmp_path_factory.mktemp("tf-files")))
    return _made[0]


def run_tflite(path: Path, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
    from litert_lsp.worker import runtime

    return runtime.run(path, inputs)
