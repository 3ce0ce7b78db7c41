"""How to call each TensorFlow op / build each Keras layer in a probe: arguments per op family.

This module says only *how* an op is called (shapes, dtypes, literal arguments). Whether the
call converts is never written here: the probe measures it. An op without an explicit recipe
is called with the first generic argument pattern that TensorFlow accepts eagerly, so every
introspected entry point gets a typical call without a hand-written row.

No framework is imported here; `Layer.make` receives the `keras` module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class T:
    """A tensor input of the probe model: fixed shape and dtype, deterministic values.

    fill: uniform (0.1..0.9, inside every common domain) | signed (-2..2) | int (1..5) |
    index:N (0..N-1) | sorted_index:N | perm (a permutation) | bool | text | digits | codepoint |
    png / jpeg (an encoded 8x8 image) | spd (symmetric positive definite) | lower (triangular) |
    image (0..1) | sorted (ascending along the last axis)
    """

    shape: tuple[int, ...]
    dtype: str = "float32"
    fill: str = "uniform"

    def describe(self) -> str:
        return f"{self.dtype}[{','.join(map(str, self.shape))}]"


@dataclass(frozen=True)
class V:
    """One call of an op: positional and keyword arguments, T placeholders become inputs.

    `call(op, *tensors)` replaces the plain call for ops that take callables (tf.cond, ...).
    """

    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    call: Callable[..., Any] | None = None
    label: str | None = None

    def inputs(self) -> list[T]:
        found = [a for a in self.args if isinstance(a, T)]
        found += [v for v in self.kwargs.values() if isinstance(v, T)]
        return found

    def describe(self) -> str:
        if self.label:
            return self.label
        parts = [_show(a) for a in self.args]
        parts += [f"{k}={_show(v)}" for k, v in self.kwargs.items()]
        return ", ".join(parts)

    def literal_kwargs(self) -> dict[str, Any]:
        return {k: v for k, v in self.kwargs.items() if not isinstance(v, T) and _jsonable(v)}


def _show(value: Any) -> str:
    """A probe argument in words: tensors by dtype and shape, lists of them item by item."""
    if isinstance(value, T):
        return value.describe()
    if isinstance(value, list):
        return "[" + ", ".join(_show(item) for item in value) + "]"
    return repr(value)


def v(*args: Any, **kwargs: Any) -> V:
    return V(tuple(args), dict(kwargs))


def vc(call: Callable[..., Any], *inputs: T, label: str) -> V:
    return V(tuple(inputs), {}, call, label)


def _jsonable(value: Any) -> bool:
    return isinstance(value, (int, float, str, bool, type(None), list, tuple))


# ---- shapes used across recipes ------------------------------------------------------------
F = T((2, 3, 4))
F2 = T((3, 4))
I = T((2, 3, 4), "int32", "int")  # noqa: E741 - the int32 operand, beside F and B
B = T((2, 3, 4), "bool", "bool")
S = T((2, 3), "string", "text")
IMG = T((1, 8, 8, 3), fill="image")
SEQ = T((2, 16))
SQ = T((2, 3, 3), fill="signed")
SPD = T((2, 3, 3), fill="spd")
CPLX = T((2, 8), "complex64", "signed")
VEC = T((6,))

# Generic argument patterns, tried in order until TensorFlow accepts one eagerly.
GENERIC: list[V] = [v(F), v(F, F), v(I), v(I, I), v(B), v(B, B), v(S), v(S, S), v(SQ), v(SPD),
                    v(F, F, F), v(CPLX), v(IMG), v(SEQ), v(F2, T((4, 3)))]
# Namespaces whose ops want other inputs first.
GENERIC_BY_NAMESPACE: dict[str, list[V]] = {
    "tf.image": [v(IMG), v(IMG, 0.2), v(IMG, 2), v(IMG, IMG)],
    "tf.linalg": [v(SPD), v(SQ), v(F), v(SQ, SQ), v(F2, T((4, 3)))],
    "tf.signal": [v(SEQ), v(CPLX), v(SEQ, 8), v(SEQ, 8, 4)],
    "tf.strings": [v(S), v(S, S), v(I)],
}

# Ops with required non-tensor arguments, or whose typical call is not a generic pattern.
_IDX = T((2,), "int32", "index:2")
_IDX_ND = T((2, 2), "int32", "index:2")


def _cond(op: Any, x: Any) -> Any:
    import tensorflow as tf

    return op(tf.reduce_sum(x) > 1.0, lambda: x * 2.0, lambda: x - 1.0)


def _while(op: Any, x: Any) -> Any:
    return op(lambda i, y: i < 3, lambda i, y: (i + 1, y * 1.5), (0, x))[1]


def _while_growing(op: Any, x: Any) -> Any:
    """A loop whose carried tensor changes shape each iteration (declared by shape_invariants)."""
    import tensorflow as tf

    def body(i: Any, y: Any) -> Any:
        return i + 1, tf.concat([y, y[:, -1:] * 0.5], axis=1)

    return op(lambda i, y: i < 3, body, (0, x), shape_invariants=(tf.TensorShape([]), tf.TensorShape([2, None, 4])))[1]


def _while_data_trip(op: Any, x: Any) -> Any:
    """The trip count comes from the data (the loop cannot be unrolled)."""
    import tensorflow as tf

    limit = tf.cast(tf.reduce_sum(x), tf.int32) % 4 + 1
    return op(lambda i, y: i < limit, lambda i, y: (i + 1, y * 1.5), (0, x))[1]


def _while_bounded(op: Any, x: Any) -> Any:
    return op(lambda i, y: i < 10, lambda i, y: (i + 1, y * 1.5), (0, x), maximum_iterations=3)[1]


# tf.TensorArray as models use it: `op` is the tf.TensorArray class.
def _ta_python_loop(op: Any, x: Any) -> Any:
    """Written in a Python loop at trace time (keras-hub RWKV7's time mix), then stacked."""
    out = op(x.dtype, size=3)
    state = x
    for t in range(3):
        state = state * 0.5 + 1.0
        out = out.write(t, state)
    return out.stack()


def _ta_python_loop_dynamic(op: Any, x: Any) -> Any:
    out = op(x.dtype, size=0, dynamic_size=True)
    for t in range(3):
        out = out.write(t, x * float(t + 1))
    return out.stack()


def _ta_while_loop(op: Any, x: Any) -> Any:
    """Written inside tf.while_loop (what autograph makes of `for t in tf.range(n)`)."""
    import tensorflow as tf

    def body(t: Any, state: Any, out: Any) -> Any:
        state = state * 0.5 + 1.0
        return t + 1, state, out.write(t, state)

    _, _, out = tf.while_loop(lambda t, s, o: t < 3, body, (0, x, op(x.dtype, size=3)))
    return out.stack()


def _ta_unstack_read(op: Any, x: Any) -> Any:
    """unstack an input into a TensorArray and read its elements back (Python loop)."""
    array = op(x.dtype, size=2).unstack(x)
    return array.read(0) + array.read(1) * 2.0


def _map_fn(op: Any, x: Any) -> Any:
    return op(lambda row: row * 2.0 + 1.0, x)


def _scan(op: Any, x: Any) -> Any:
    return op(lambda acc, row: acc + row, x)


def _fold(op: Any, x: Any) -> Any:
    return op(lambda acc, row: acc + row, x)


def _case(op: Any, x: Any) -> Any:
    import tensorflow as tf

    s = tf.reduce_sum(x)
    return op([(s > 100.0, lambda: x * 2.0)], default=lambda: x - 1.0)


def _switch_case(op: Any, x: Any) -> Any:
    import tensorflow as tf

    index = tf.cast(tf.reduce_sum(x) > 1.0, tf.int32)
    return op(index, [lambda: x * 2.0, lambda: x - 1.0])


def _vectorized_map(op: Any, x: Any) -> Any:
    return op(lambda row: row * 2.0 + 1.0, x)


def _shape_of(op: Any, x: Any) -> Any:
    import tensorflow as tf

    return op(tf.shape(x))


def _fill(op: Any, x: Any) -> Any:
    import tensorflow as tf

    return op(tf.shape(x), 1.5)


def _constant(op: Any, x: Any) -> Any:
    return x + op([0.5, 1.5, 2.5, 3.5])


def _noise(*extra: Any, **keywords: Any) -> Callable[..., Any]:
    """A random op called with a shape taken from the input, as models draw noise like x."""
    def call(op: Any, x: Any) -> Any:
        import tensorflow as tf

        return op(tf.shape(x), *extra, **keywords)

    return call


def _on_ragged(method: Callable[..., Any]) -> Callable[..., Any]:
    """Calls `method(op, rt)` on a ragged tensor built from (values, row lengths) inputs."""
    def call(op: Any, values: Any, lengths: Any) -> Any:
        import tensorflow as tf

        return method(op, tf.RaggedTensor.from_row_lengths(values, lengths))

    return call


# Ragged inputs: 6 rows of 4 values split into 3 ragged rows (lengths sum to 6).
RV = T((6, 4))
LENGTHS = T((3,), "int64", "lengths:6")
SPLITS = T((4,), "int64", "splits:6")
ROWIDS = T((6,), "int64", "sorted_index:3")
_RAGGED = "rt = tf.RaggedTensor.from_row_lengths(values, lengths)"


def _rag(method: Callable[..., Any], label: str) -> V:
    return vc(_on_ragged(method), RV, LENGTHS, label=f"{_RAGGED}; {label}")


FUNCTIONS: dict[str, list[V]] = {
    # random ops (their outputs are not compared; whether they convert and run is measured)
    "tf.random.uniform": [vc(_noise(), F, label="shape=tf.shape(x)"),
                          vc(_noise(maxval=10, dtype="int32"), F, label="shape=tf.shape(x), maxval=10, int32")],
    "tf.random.normal": [vc(_noise(), F, label="shape=tf.shape(x)")],
    "tf.random.truncated_normal": [vc(_noise(), F, label="shape=tf.shape(x)")],
    "tf.random.gamma": [vc(_noise(2.0), F, label="shape=tf.shape(x), alpha=2.0")],
    "tf.random.poisson": [vc(_noise(3.0), F, label="shape=tf.shape(x), lam=3.0")],
    "tf.random.categorical": [v(T((2, 5)), 3)],
    "tf.random.shuffle": [v(F)],
    "tf.random.stateless_uniform": [vc(_noise([1, 2]), F, label="shape=tf.shape(x), seed=[1, 2]")],
    "tf.random.stateless_normal": [vc(_noise([1, 2]), F, label="shape=tf.shape(x), seed=[1, 2]")],
    "tf.random.stateless_truncated_normal": [vc(_noise([1, 2]), F, label="shape=tf.shape(x), seed=[1, 2]")],
    "tf.random.stateless_gamma": [vc(_noise([1, 2], 2.0), F, label="shape=tf.shape(x), seed=[1, 2], alpha=2.0")],
    "tf.random.stateless_poisson": [vc(_noise([1, 2], 3.0), F, label="shape=tf.shape(x), seed=[1, 2], lam=3.0")],
    "tf.random.stateless_binomial": [vc(_noise([1, 2], 5.0, 0.5), F, label="shape=tf.shape(x), seed, 5, 0.5")],
    "tf.random.stateless_parameterized_truncated_normal": [vc(_noise([1, 2]), F, label="shape=tf.shape(x), seed")],
    "tf.random.stateless_categorical": [v(T((2, 5)), 3, [1, 2])],
    "tf.random.fold_in": [v(T((2,), "int64", "int"), 3)],
    "tf.random.split": [v(T((2,), "int64", "int"), 2)],
    # ragged tensors: built from dense inputs inside the model, as a model gets them
    "tf.RaggedTensor.from_row_lengths": [v(RV, LENGTHS), v(RV, LENGTHS, validate=False)],
    "tf.RaggedTensor.from_row_splits": [v(RV, SPLITS), v(RV, SPLITS, validate=False)],
    "tf.RaggedTensor.from_row_starts": [vc(lambda op, x, s: op(x, s[:-1]), RV, SPLITS, label="row_starts")],
    "tf.RaggedTensor.from_row_limits": [vc(lambda op, x, s: op(x, s[1:]), RV, SPLITS, label="row_limits")],
    "tf.RaggedTensor.from_value_rowids": [v(RV, ROWIDS), v(RV, ROWIDS, 3)],
    "tf.RaggedTensor.from_uniform_row_length": [v(RV, 2)],
    "tf.RaggedTensor.from_nested_row_lengths": [v(RV, [T((2,), "int64", "lengths:3"), LENGTHS])],
    "tf.RaggedTensor.from_nested_row_splits": [v(RV, [T((3,), "int64", "splits:3"), SPLITS])],
    "tf.RaggedTensor.from_nested_value_rowids": [v(RV, [T((3,), "int64", "sorted_index:2"), ROWIDS])],
    "tf.RaggedTensor.from_tensor": [v(F2), v(F2, lengths=T((3,), "int64", "index:5")), v(F2, padding=0.5)],
    "tf.RaggedTensor.from_sparse": [vc(lambda op, x: op(__import__("tensorflow").sparse.from_dense(x)), F2,
                                       label="tf.sparse.from_dense(x)")],
    "tf.RaggedTensor.to_tensor": [_rag(lambda op, rt: op(rt), "rt.to_tensor()"),
                                  _rag(lambda op, rt: op(rt, default_value=-1.0), "rt.to_tensor(default_value=-1.0)"),
                                  _rag(lambda op, rt: op(rt, shape=[3, 5, 4]), "rt.to_tensor(shape=[3, 5, 4])")],
    "tf.RaggedTensor.to_sparse": [_rag(lambda op, rt: op(rt), "rt.to_sparse()")],
    "tf.RaggedTensor.merge_dims": [_rag(lambda op, rt: op(rt, 0, 1), "rt.merge_dims(0, 1)")],
    "tf.RaggedTensor.bounding_shape": [_rag(lambda op, rt: op(rt), "rt.bounding_shape()")],
    "tf.RaggedTensor.row_lengths": [_rag(lambda op, rt: op(rt), "rt.row_lengths()")],
    "tf.RaggedTensor.nested_row_lengths": [_rag(lambda op, rt: op(rt), "rt.nested_row_lengths()")],
    "tf.RaggedTensor.value_rowids": [_rag(lambda op, rt: op(rt), "rt.value_rowids()")],
    "tf.RaggedTensor.row_starts": [_rag(lambda op, rt: op(rt), "rt.row_starts()")],
    "tf.RaggedTensor.row_limits": [_rag(lambda op, rt: op(rt), "rt.row_limits()")],
    "tf.RaggedTensor.nrows": [_rag(lambda op, rt: op(rt), "rt.nrows()")],
    "tf.RaggedTensor.with_values": [_rag(lambda op, rt: op(rt, rt.values * 2.0), "rt.with_values(rt.values * 2)")],
    "tf.RaggedTensor.with_flat_values": [_rag(lambda op, rt: op(rt, rt.flat_values * 2.0),
                                              "rt.with_flat_values(rt.flat_values * 2)")],
    "tf.RaggedTensor.with_row_splits_dtype": [_rag(lambda op, rt: op(rt, "int32"), "rt.with_row_splits_dtype(int32)")],
    "tf.ragged.constant": [vc(lambda op, x: op([[0.5, 1.5], [2.5]]).to_tensor() * x, T((2, 2)),
                              label="tf.ragged.constant([[0.5, 1.5], [2.5]]).to_tensor() * x")],
    "tf.ragged.range": [v(T((3,), "int32", "index:2"), T((3,), "int32", "int"))],
    "tf.ragged.boolean_mask": [v(F2, T((3, 4), "bool", "bool"))],
    "tf.ragged.stack": [_rag(lambda op, rt: op([rt, rt], axis=0), "tf.ragged.stack([rt, rt], axis=0)")],
    "tf.ragged.map_flat_values": [_rag(lambda op, rt: op(lambda t: t * 2.0 + 1.0, rt),
                                       "tf.ragged.map_flat_values(lambda t: t * 2 + 1, rt)")],
    "tf.ragged.cross": [v([T((2, 2), "int64", "int"), T((2, 3), "int64", "int")])],
    "tf.ragged.cross_hashed": [v([T((2, 2), "int64", "int"), T((2, 3), "int64", "int")], 10)],
    "tf.ragged.row_splits_to_segment_ids": [v(SPLITS)],
    "tf.ragged.segment_ids_to_row_splits": [v(ROWIDS)],
    "tf.ragged.stack_dynamic_partitions": [v(T((6,)), T((6,), "int32", "index:3"), 3)],
    # tensor construction and layout
    "tf.reshape": [v(F, [6, 4]), v(F, [-1])],
    "tf.transpose": [v(F, [0, 2, 1]), v(I, [2, 1, 0])],
    "tf.expand_dims": [v(F, 1)],
    "tf.squeeze": [v(T((2, 1, 4)), [1])],
    "tf.concat": [v([F, F], 1), v([I, I], 0)],
    "tf.stack": [v([F, F], 1)],
    "tf.parallel_stack": [v([F, F])],
    "tf.unstack": [v(F, axis=1)],
    "tf.split": [v(T((2, 6, 4)), 3, axis=1), v(T((2, 6, 4)), [2, 4], axis=1)],
    "tf.slice": [v(F, [0, 1, 0], [2, 2, 3])],
    "tf.strided_slice": [v(F, [0, 0, 0], [2, 3, 4], [1, 2, 2])],
    "tf.pad": [v(F, [[0, 0], [1, 1], [2, 0]]), v(F, [[0, 0], [1, 1], [1, 1]], mode="REFLECT"),
               v(F, [[0, 0], [1, 1], [1, 1]], mode="SYMMETRIC"), v(F, [[0, 0], [1, 1], [2, 0]], constant_values=1.5)],
    "tf.tile": [v(F, [1, 2, 3])],
    "tf.repeat": [v(F, 2, axis=1), v(F, [1, 2, 3], axis=1)],
    "tf.broadcast_to": [v(T((3, 1)), [2, 3, 4])],
    "tf.reverse": [v(F, [1])],
    "tf.roll": [v(F, 1, axis=2)],
    "tf.gather": [v(F, _IDX, axis=1), v(F, T((2, 3), "int32", "index:2"), axis=0, batch_dims=0),
                  v(F, T((2, 2), "int32", "index:3"), axis=1, batch_dims=1)],
    "tf.gather_nd": [v(F, _IDX_ND), v(F, T((2, 1), "int32", "index:2"), batch_dims=1)],
    "tf.scatter_nd": [v(T((2, 1), "int32", "index:4"), T((2, 3)), [4, 3])],
    "tf.tensor_scatter_nd_update": [v(T((4, 3)), T((2, 1), "int32", "index:4"), T((2, 3)))],
    "tf.tensor_scatter_nd_add": [v(T((4, 3)), T((2, 1), "int32", "index:4"), T((2, 3)))],
    "tf.tensor_scatter_nd_sub": [v(T((4, 3)), T((2, 1), "int32", "index:4"), T((2, 3)))],
    "tf.tensor_scatter_nd_max": [v(T((4, 3)), T((2, 1), "int32", "index:4"), T((2, 3)))],
    "tf.tensor_scatter_nd_min": [v(T((4, 3)), T((2, 1), "int32", "index:4"), T((2, 3)))],
    "tf.one_hot": [v(T((2, 3), "int32", "index:4"), 4)],
    "tf.fill": [vc(_fill, F, label="dims=tf.shape(x), value=1.5")],
    "tf.zeros": [vc(_shape_of, F, label="shape=tf.shape(x)")],
    "tf.ones": [vc(_shape_of, F, label="shape=tf.shape(x)")],
    "tf.constant": [vc(_constant, F, label="x + tf.constant([0.5, 1.5, 2.5, 3.5])")],
    "tf.identity_n": [v([F, F])],
    "tf.shape_n": [v([F, F])],
    "tf.ensure_shape": [v(F, [2, 3, 4])],
    "tf.math.invert_permutation": [v(T((5,), "int32", "perm"))],
    "tf.linalg.global_norm": [v([F, F])],
    "tf.linalg.logm": [v(T((2, 3, 3), "complex64", "spd"))],
    "tf.linalg.tensor_diag_part": [v(T((3, 3)))],
    "tf.signal.fft3d": [v(T((2, 4, 4, 4), "complex64", "signed"))],
    "tf.signal.ifft3d": [v(T((2, 4, 4, 4), "complex64", "signed"))],
    "tf.signal.fftnd": [v(T((2, 4, 8), "complex64", "signed"))],
    "tf.signal.ifftnd": [v(T((2, 4, 8), "complex64", "signed"))],
    "tf.signal.rfftnd": [v(T((2, 4, 8)))],
    "tf.signal.irfftnd": [v(T((2, 4, 5), "complex64", "signed"))],
    "tf.fftnd": [v(T((2, 4, 8), "complex64", "signed"))],
    "tf.ifftnd": [v(T((2, 4, 8), "complex64", "signed"))],
    "tf.rfftnd": [v(T((2, 4, 8)))],
    "tf.irfftnd": [v(T((2, 4, 5), "complex64", "signed"))],
    "tf.image.grayscale_to_rgb": [v(T((1, 8, 8, 1), fill="image"))],
    "tf.image.random_contrast": [v(IMG, 0.5, 1.5, seed=1)],
    "tf.image.random_saturation": [v(IMG, 0.5, 1.5, seed=1)],
    "tf.image.random_crop": [v(IMG, [1, 4, 4, 3], seed=1)],
    "tf.image.random_jpeg_quality": [v(T((8, 8, 3), fill="image"), 50, 90, seed=1)],
    "tf.image.stateless_random_brightness": [v(IMG, 0.2, [1, 2])],
    "tf.image.stateless_random_contrast": [v(IMG, 0.5, 1.5, [1, 2])],
    "tf.image.stateless_random_saturation": [v(IMG, 0.5, 1.5, [1, 2])],
    "tf.image.stateless_random_hue": [v(IMG, 0.1, [1, 2])],
    "tf.image.stateless_random_crop": [v(IMG, [1, 4, 4, 3], [1, 2])],
    "tf.image.stateless_random_flip_left_right": [v(IMG, [1, 2])],
    "tf.image.stateless_random_flip_up_down": [v(IMG, [1, 2])],
    "tf.image.stateless_random_jpeg_quality": [v(T((8, 8, 3), fill="image"), 50, 90, [1, 2])],
    "tf.nn.batch_norm_with_global_normalization": [v(IMG, T((3,)), T((3,)), T((3,)), T((3,)), 1e-3, True)],
    "tf.nn.ctc_greedy_decoder": [v(T((5, 2, 4)), T((2,), "int32", "int"))],
    "tf.nn.ctc_beam_search_decoder": [v(T((5, 2, 4)), T((2,), "int32", "int"), beam_width=2)],
    "tf.range": [v(0, T((), "int32", "int"), 1)],
    "tf.linspace": [v(T(()), T((), fill="int"), 5)],
    "tf.meshgrid": [v(T((3,)), T((4,)))],
    "tf.sequence_mask": [v(T((3,), "int32", "int"), 5)],
    "tf.where": [v(B, F, F), v(T((4,), "bool", "bool"))],
    "tf.boolean_mask": [v(F, T((2, 3), "bool", "bool"))],
    "tf.cast": [v(F, "int32"), v(I, "float32")],
    "tf.saturate_cast": [v(F, "uint8")],
    "tf.bitcast": [v(F, "int32")],
    "tf.clip_by_value": [v(F, 0.2, 0.6)],
    "tf.clip_by_norm": [v(F, 1.0)],
    "tf.clip_by_global_norm": [v([F, F], 1.0)],
    "tf.unique": [v(T((8,), "int32", "index:4"))],
    "tf.unique_with_counts": [v(T((8,), "int32", "index:4"))],
    "tf.searchsorted": [v(T((2, 5), fill="sorted"), T((2, 3)))],
    "tf.sort": [v(F, axis=-1), v(F, direction="DESCENDING")],
    "tf.argsort": [v(F, axis=-1)],
    "tf.space_to_batch_nd": [v(IMG, [2, 2], [[0, 0], [0, 0]])],
    "tf.batch_to_space": [v(T((4, 4, 4, 3)), [2, 2], [[0, 0], [0, 0]])],
    "tf.dynamic_partition": [v(T((6,)), T((6,), "int32", "index:2"), 2)],
    "tf.dynamic_stitch": [v([T((3,), "int32", "index:6"), T((3,), "int32", "index:6")], [T((3,)), T((3,))])],
    "tf.histogram_fixed_width": [v(T((10,)), [0.0, 1.0], nbins=5)],
    "tf.histogram_fixed_width_bins": [v(T((10,)), [0.0, 1.0], nbins=5)],
    "tf.unravel_index": [v(T((3,), "int32", "index:12"), [3, 4])],
    "tf.reverse_sequence": [v(F, T((2,), "int32", "index:3"), seq_axis=1, batch_axis=0)],
    "tf.edit_distance": [],  # sparse-only inputs: not probed
    "tf.extract_volume_patches": [v(T((1, 4, 4, 4, 2)), [1, 2, 2, 2, 1], [1, 2, 2, 2, 1], "VALID")],
    "tf.approx_top_k": [v(T((2, 10)), 3)],
    "tf.random_index_shuffle": [],
    # control flow
    "tf.cond": [vc(_cond, F, label="pred from data, two lambdas")],
    "tf.while_loop": [vc(_while, F, label="3 iterations of y * 1.5"),
                      vc(_while_growing, F, label="carried tensor grows each iteration (shape_invariants)"),
                      vc(_while_data_trip, F, label="trip count from the data"),
                      vc(_while_bounded, F, label="maximum_iterations=3")],
    "tf.TensorArray": [vc(_ta_python_loop, F, label="written in a Python loop, then stacked"),
                       vc(_ta_python_loop_dynamic, F, label="dynamic_size=True, written in a Python loop"),
                       vc(_ta_while_loop, F, label="written inside tf.while_loop, then stacked"),
                       vc(_ta_unstack_read, F, label="unstack an input, read elements back")],
    "tf.map_fn": [vc(_map_fn, F, label="elementwise lambda over axis 0")],
    "tf.scan": [vc(_scan, F, label="running sum over axis 0")],
    "tf.foldl": [vc(_fold, F, label="sum over axis 0")],
    "tf.foldr": [vc(_fold, F, label="sum over axis 0")],
    "tf.case": [vc(_case, F, label="one predicate + default")],
    "tf.switch_case": [vc(_switch_case, F, label="index from data, two branches")],
    "tf.vectorized_map": [vc(_vectorized_map, F, label="elementwise lambda over axis 0")],
    # math with required extra arguments
    "tf.math.top_k": [v(T((2, 10)), k=3)],
    "tf.math.in_top_k": [v(T((3,), "int32", "index:5"), T((3, 5)), 2)],
    "tf.math.argmax": [v(F, axis=1), v(I, axis=-1)],
    "tf.math.argmin": [v(F, axis=1)],
    "tf.math.reduce_sum": [v(F, axis=1), v(I, axis=[1, 2])],
    "tf.math.reduce_mean": [v(F, axis=1), v(F, axis=-1, keepdims=True)],
    "tf.math.reduce_max": [v(F, axis=1)],
    "tf.math.reduce_min": [v(F, axis=1)],
    "tf.math.reduce_prod": [v(F, axis=1)],
    "tf.math.reduce_any": [v(B, axis=1)],
    "tf.math.reduce_all": [v(B, axis=1)],
    "tf.math.reduce_std": [v(F, axis=1)],
    "tf.math.reduce_variance": [v(F, axis=1)],
    "tf.math.reduce_logsumexp": [v(F, axis=1)],
    "tf.math.reduce_euclidean_norm": [v(F, axis=1)],
    "tf.math.cumsum": [v(F, axis=1), v(F, axis=1, exclusive=True, reverse=True)],
    "tf.math.cumprod": [v(F, axis=1)],
    "tf.math.cumulative_logsumexp": [v(F, axis=1)],
    "tf.math.segment_sum": [v(T((5, 3)), T((5,), "int32", "sorted_index:3"))],
    "tf.math.segment_mean": [v(T((5, 3)), T((5,), "int32", "sorted_index:3"))],
    "tf.math.segment_max": [v(T((5, 3)), T((5,), "int32", "sorted_index:3"))],
    "tf.math.segment_min": [v(T((5, 3)), T((5,), "int32", "sorted_index:3"))],
    "tf.math.segment_prod": [v(T((5, 3)), T((5,), "int32", "sorted_index:3"))],
    "tf.math.unsorted_segment_sum": [v(T((5, 3)), T((5,), "int32", "index:3"), 3)],
    "tf.math.unsorted_segment_mean": [v(T((5, 3)), T((5,), "int32", "index:3"), 3)],
    "tf.math.unsorted_segment_max": [v(T((5, 3)), T((5,), "int32", "index:3"), 3)],
    "tf.math.unsorted_segment_min": [v(T((5, 3)), T((5,), "int32", "index:3"), 3)],
    "tf.math.unsorted_segment_prod": [v(T((5, 3)), T((5,), "int32", "index:3"), 3)],
    "tf.math.unsorted_segment_sqrt_n": [v(T((5, 3)), T((5,), "int32", "index:3"), 3)],
    "tf.math.bincount": [v(T((8,), "int32", "index:4"), minlength=4, maxlength=4)],
    "tf.math.confusion_matrix": [v(T((6,), "int32", "index:3"), T((6,), "int32", "index:3"), num_classes=3)],
    "tf.math.polyval": [v([T((3,)), T((3,))], T((3,)))],
    "tf.math.add_n": [v([F, F, F])],
    "tf.math.accumulate_n": [v([F, F, F])],
    "tf.math.count_nonzero": [v(F, axis=1)],
    "tf.math.l2_normalize": [v(F, axis=-1)],
    "tf.math.reduce_weighted_logsumexp": [v(F, axis=1)],
    "tf.math.scalar_mul": [v(2.0, F)],
    "tf.math.sobol_sample": [],
    "tf.math.approx_max_k": [v(T((2, 10)), 3)],
    "tf.math.approx_min_k": [v(T((2, 10)), 3)],
    # linear algebra
    "tf.linalg.matmul": [v(F, T((2, 4, 5))), v(F2, T((4, 3)))],
    "tf.linalg.matvec": [v(F, T((2, 4)))],
    "tf.linalg.einsum": [v("bij,bjk->bik", F, T((2, 4, 5))), v("ij->ji", F2)],
    "tf.linalg.tensordot": [v(F2, T((4, 5)), 1)],
    "tf.linalg.band_part": [v(SQ, 1, 0)],
    "tf.linalg.norm": [v(F, axis=-1), v(F, ord=1, axis=-1)],
    "tf.linalg.diag": [v(T((2, 3)))],
    "tf.linalg.diag_part": [v(SQ)],
    "tf.linalg.set_diag": [v(SQ, T((2, 3)))],
    "tf.linalg.eye": [v(3)],
    "tf.linalg.solve": [v(SPD, T((2, 3, 2)))],
    "tf.linalg.triangular_solve": [v(SPD, T((2, 3, 2)))],
    "tf.linalg.cholesky_solve": [v(T((2, 3, 3), fill="lower"), T((2, 3, 2)))],
    "tf.linalg.lstsq": [v(T((2, 4, 3)), T((2, 4, 2)))],
    "tf.linalg.lu_solve": [],
    "tf.linalg.lu_matrix_inverse": [],
    "tf.linalg.lu_reconstruct": [],
    "tf.linalg.tridiagonal_solve": [v(T((2, 3, 3)), T((2, 3, 1)), diagonals_format="compact")],
    "tf.linalg.tridiagonal_matmul": [v(T((2, 3, 3)), T((2, 3, 2)), diagonals_format="compact")],
    "tf.linalg.l2_normalize": [v(F, axis=-1)],
    "tf.linalg.cross": [v(T((2, 3)), T((2, 3)))],
    "tf.linalg.expm": [v(SQ)],
    "tf.linalg.sqrtm": [v(SPD)],
    "tf.linalg.banded_triangular_solve": [v(T((2, 3)), T((3, 2)))],
    # nn
    "tf.nn.conv2d": [v(IMG, T((3, 3, 3, 4), fill="signed"), 1, "SAME"),
                     v(IMG, T((3, 3, 3, 4), fill="signed"), 2, "VALID", dilations=1),
                     v(IMG, T((3, 3, 3, 4), fill="signed"), 1, "SAME", dilations=2)],
    "tf.nn.conv1d": [v(T((2, 8, 3)), T((3, 3, 4), fill="signed"), 1, "SAME")],
    "tf.nn.conv3d": [v(T((1, 4, 4, 4, 2)), T((2, 2, 2, 2, 3), fill="signed"), [1, 1, 1, 1, 1], "SAME")],
    "tf.nn.convolution": [v(IMG, T((3, 3, 3, 4), fill="signed"), padding="SAME")],
    "tf.nn.conv2d_transpose": [v(T((1, 4, 4, 3)), T((3, 3, 2, 3), fill="signed"), [1, 8, 8, 2], 2)],
    "tf.nn.conv1d_transpose": [v(T((1, 4, 3)), T((3, 2, 3), fill="signed"), [1, 8, 2], 2)],
    "tf.nn.conv3d_transpose": [v(T((1, 2, 2, 2, 3)), T((2, 2, 2, 2, 3), fill="signed"), [1, 4, 4, 4, 2], 2)],
    "tf.nn.conv_transpose": [v(T((1, 4, 4, 3)), T((3, 3, 2, 3), fill="signed"), [1, 8, 8, 2], 2)],
    "tf.nn.depthwise_conv2d": [v(IMG, T((3, 3, 3, 2), fill="signed"), [1, 1, 1, 1], "SAME")],
    "tf.nn.separable_conv2d": [v(IMG, T((3, 3, 3, 2), fill="signed"), T((1, 1, 6, 4), fill="signed"),
                                 [1, 1, 1, 1], "SAME")],
    "tf.nn.atrous_conv2d": [v(IMG, T((3, 3, 3, 4), fill="signed"), 2, "SAME")],
    "tf.nn.atrous_conv2d_transpose": [v(IMG, T((3, 3, 2, 3), fill="signed"), [1, 8, 8, 2], 2, "SAME")],
    "tf.nn.depthwise_conv2d_backprop_input": [],
    "tf.nn.depthwise_conv2d_backprop_filter": [],
    "tf.nn.max_pool2d": [v(IMG, 2, 2, "VALID"), v(IMG, 3, 1, "SAME")],
    "tf.nn.avg_pool2d": [v(IMG, 2, 2, "VALID")],
    "tf.nn.max_pool1d": [v(T((2, 8, 3)), 2, 2, "VALID")],
    "tf.nn.avg_pool1d": [v(T((2, 8, 3)), 2, 2, "VALID")],
    "tf.nn.max_pool3d": [v(T((1, 4, 4, 4, 2)), 2, 2, "VALID")],
    "tf.nn.avg_pool3d": [v(T((1, 4, 4, 4, 2)), 2, 2, "VALID")],
    "tf.nn.max_pool": [v(IMG, 2, 2, "VALID")],
    "tf.nn.avg_pool": [v(IMG, 2, 2, "VALID")],
    "tf.nn.pool": [v(IMG, [2, 2], "MAX", strides=[2, 2], padding="VALID")],
    "tf.nn.max_pool_with_argmax": [v(IMG, 2, 2, "VALID")],
    "tf.nn.fractional_max_pool": [v(IMG, [1.0, 1.5, 1.5, 1.0], seed=1)],
    "tf.nn.fractional_avg_pool": [v(IMG, [1.0, 1.5, 1.5, 1.0], seed=1)],
    "tf.nn.dilation2d": [v(IMG, T((2, 2, 3)), [1, 1, 1, 1], "SAME", "NHWC", [1, 1, 1, 1])],
    "tf.nn.erosion2d": [v(IMG, T((2, 2, 3)), [1, 1, 1, 1], "SAME", "NHWC", [1, 1, 1, 1])],
    "tf.nn.softmax": [v(F, axis=-1), v(F, axis=1)],
    "tf.nn.log_softmax": [v(F, axis=-1)],
    "tf.nn.leaky_relu": [v(F, 0.2)],
    "tf.nn.bias_add": [v(F, T((4,)))],
    "tf.nn.batch_normalization": [v(F, T((4,)), T((4,)), T((4,)), T((4,)), 1e-3)],
    "tf.nn.fused_batch_norm": [v(IMG, T((3,)), T((3,)), T((3,)), T((3,)), is_training=False)],
    "tf.nn.moments": [v(F, [0, 1])],
    "tf.nn.weighted_moments": [v(F, [0, 1], F)],
    "tf.nn.normalize_moments": [v(T(()), T((4,)), T((4,)), None)],
    "tf.nn.local_response_normalization": [v(IMG, 2)],
    "tf.nn.l2_normalize": [v(F, axis=-1)],
    "tf.nn.dropout": [v(F, 0.5, seed=1)],
    "tf.nn.space_to_depth": [v(IMG, 2)],
    "tf.nn.depth_to_space": [v(T((1, 4, 4, 8)), 2)],
    "tf.nn.space_to_batch": [v(IMG, [2, 2], [[0, 0], [0, 0]])],
    "tf.nn.batch_to_space": [v(T((4, 4, 4, 3)), [2, 2], [[0, 0], [0, 0]])],
    "tf.nn.embedding_lookup": [v(T((10, 4)), T((2, 3), "int32", "index:10"))],
    "tf.nn.embedding_lookup_sparse": [],
    "tf.nn.safe_embedding_lookup_sparse": [],
    "tf.nn.top_k": [v(T((2, 10)), k=3)],
    "tf.nn.in_top_k": [v(T((3,), "int32", "index:5"), T((3, 5)), 2)],
    "tf.nn.softmax_cross_entropy_with_logits": [v(T((2, 5)), T((2, 5)))],
    "tf.nn.sparse_softmax_cross_entropy_with_logits": [v(T((2,), "int32", "index:5"), T((2, 5)))],
    "tf.nn.sigmoid_cross_entropy_with_logits": [v(F, F)],
    "tf.nn.weighted_cross_entropy_with_logits": [v(F, F, 2.0)],
    "tf.nn.compute_average_loss": [v(T((4,)))],
    "tf.nn.scale_regularization_loss": [v(T(()))],
    "tf.nn.l2_loss": [v(F)],
    "tf.nn.log_poisson_loss": [v(F, F)],
    "tf.nn.isotonic_regression": [v(T((2, 5)))],
    "tf.nn.gelu": [v(F), v(F, approximate=True)],
    "tf.nn.experimental.stateless_dropout": [],
    "tf.nn.collapse_repeated": [v(T((2, 5), "int32", "index:3"), T((2,), "int32", "index:5"))],
    "tf.nn.sufficient_statistics": [v(F, [0, 1])],
    "tf.nn.with_space_to_batch": [],
    "tf.nn.ctc_loss": [],
    "tf.nn.ctc_unique_labels": [],
    "tf.nn.nce_loss": [],
    "tf.nn.sampled_softmax_loss": [],
    "tf.nn.fixed_unigram_candidate_sampler": [],
    "tf.nn.learned_unigram_candidate_sampler": [],
    "tf.nn.log_uniform_candidate_sampler": [],
    "tf.nn.uniform_candidate_sampler": [],
    "tf.nn.compute_accidental_hits": [],
    # image
    "tf.image.resize": [v(IMG, [16, 16]), v(IMG, [16, 16], method="nearest"),
                        v(IMG, [5, 5], method="bicubic"), v(IMG, [5, 5], method="area"),
                        v(IMG, [16, 16], method="lanczos3"), v(IMG, [5, 5], antialias=True),
                        v(IMG, [16, 12], preserve_aspect_ratio=True)],
    "tf.image.resize_with_pad": [v(IMG, 12, 10)],
    "tf.image.resize_with_crop_or_pad": [v(IMG, 6, 10)],
    "tf.image.crop_to_bounding_box": [v(IMG, 1, 1, 4, 4)],
    "tf.image.pad_to_bounding_box": [v(IMG, 1, 1, 10, 10)],
    "tf.image.central_crop": [v(IMG, 0.5)],
    "tf.image.crop_and_resize": [v(IMG, T((2, 4), fill="sorted"), T((2,), "int32", "index:1"), [4, 4])],
    "tf.image.extract_patches": [v(IMG, [1, 2, 2, 1], [1, 2, 2, 1], [1, 1, 1, 1], "VALID")],
    "tf.image.extract_glimpse": [v(IMG, [4, 4], T((1, 2), fill="signed"))],
    "tf.image.adjust_brightness": [v(IMG, 0.2)],
    "tf.image.adjust_contrast": [v(IMG, 1.5)],
    "tf.image.adjust_gamma": [v(IMG, 0.8)],
    "tf.image.adjust_hue": [v(IMG, 0.1)],
    "tf.image.adjust_saturation": [v(IMG, 1.5)],
    "tf.image.adjust_jpeg_quality": [v(T((8, 8, 3), fill="image"), 80)],
    "tf.image.rot90": [v(IMG, 1)],
    "tf.image.non_max_suppression": [v(T((6, 4), fill="sorted"), T((6,)), 3)],
    "tf.image.non_max_suppression_padded": [v(T((6, 4), fill="sorted"), T((6,)), 3, pad_to_max_output_size=True)],
    "tf.image.non_max_suppression_with_scores": [v(T((6, 4), fill="sorted"), T((6,)), 3)],
    "tf.image.non_max_suppression_overlaps": [v(T((6, 6)), T((6,)), 3)],
    "tf.image.combined_non_max_suppression": [v(T((1, 6, 1, 4), fill="sorted"), T((1, 6, 2)), 3, 3)],
    "tf.image.draw_bounding_boxes": [v(IMG, T((1, 2, 4), fill="sorted"), T((2, 4)))],
    "tf.image.sample_distorted_bounding_box": [],
    "tf.image.stateless_sample_distorted_bounding_box": [],
    "tf.image.generate_bounding_box_proposals": [],
    "tf.image.ssim": [v(IMG, IMG, 1.0, filter_size=3)],
    "tf.image.ssim_multiscale": [],
    "tf.image.psnr": [v(IMG, IMG, 1.0)],
    "tf.image.image_gradients": [v(IMG)],
    "tf.image.sobel_edges": [v(IMG)],
    "tf.image.total_variation": [v(IMG)],
    "tf.image.convert_image_dtype": [v(IMG, "uint8", saturate=True)],
    "tf.image.transpose": [v(IMG)],
    "tf.image.encode_png": [v(T((8, 8, 3), "uint8", "int"))],
    "tf.image.encode_jpeg": [v(T((8, 8, 3), "uint8", "int"))],
    "tf.image.decode_image": [v(T((), "string", "png"), expand_animations=False)],
    "tf.image.decode_png": [v(T((), "string", "png"))],
    "tf.image.decode_jpeg": [v(T((), "string", "jpeg"))],
    "tf.image.decode_bmp": [],
    "tf.image.decode_gif": [],
    "tf.image.decode_and_crop_jpeg": [v(T((), "string", "jpeg"), [0, 0, 4, 4])],
    "tf.image.extract_jpeg_shape": [v(T((), "string", "jpeg"))],
    "tf.image.is_jpeg": [v(T((), "string", "text"))],
    # signal
    "tf.signal.stft": [v(T((2, 64)), 16, 8)],
    "tf.signal.inverse_stft": [v(T((2, 7, 9), "complex64", "signed"), 16, 8)],
    "tf.signal.frame": [v(T((2, 16)), 4, 2)],
    "tf.signal.overlap_and_add": [v(T((2, 4, 8)), 4)],
    "tf.signal.dct": [v(SEQ), v(SEQ, type=3)],
    "tf.signal.idct": [v(SEQ)],
    "tf.signal.mfccs_from_log_mel_spectrograms": [v(T((2, 5, 8)))],
    "tf.signal.linear_to_mel_weight_matrix": [v(8, 9, 8000, 20.0, 4000.0)],
    "tf.signal.hann_window": [v(8)],
    "tf.signal.hamming_window": [v(8)],
    "tf.signal.kaiser_window": [v(8)],
    "tf.signal.kaiser_bessel_derived_window": [v(8)],
    "tf.signal.vorbis_window": [v(8)],
    "tf.signal.rfft": [v(SEQ)],
    "tf.signal.irfft": [v(T((2, 9), "complex64", "signed"))],
    "tf.signal.rfft2d": [v(T((2, 8, 8)))],
    "tf.signal.irfft2d": [v(T((2, 8, 5), "complex64", "signed"))],
    "tf.signal.rfft3d": [v(T((2, 4, 4, 4)))],
    "tf.signal.irfft3d": [v(T((2, 4, 4, 3), "complex64", "signed"))],
    "tf.signal.fftshift": [v(SEQ)],
    "tf.signal.ifftshift": [v(SEQ)],
    # strings
    "tf.strings.split": [v(S), v(S, sep=",")],
    "tf.strings.join": [v([S, S], separator="-")],
    "tf.strings.reduce_join": [v(S, axis=1)],
    "tf.strings.substr": [v(S, 0, 2)],
    "tf.strings.regex_replace": [v(S, "a", "b")],
    "tf.strings.regex_full_match": [v(S, "a.*")],
    "tf.strings.to_number": [v(T((2, 3), "string", "digits"))],
    "tf.strings.to_hash_bucket_fast": [v(S, 10)],
    "tf.strings.to_hash_bucket_strong": [v(S, 10, [1, 2])],
    "tf.strings.to_hash_bucket": [v(S, 10)],
    "tf.strings.format": [v("value: {}", [F])],
    "tf.strings.as_string": [v(F), v(I)],
    "tf.strings.unicode_decode": [v(S, "UTF-8")],
    "tf.strings.unicode_decode_with_offsets": [v(S, "UTF-8")],
    "tf.strings.unicode_encode": [v(T((2, 3), "int32", "codepoint"), "UTF-8")],
    "tf.strings.unicode_transcode": [v(S, "UTF-8", "UTF-16-BE")],
    "tf.strings.unicode_split": [v(S, "UTF-8")],
    "tf.strings.unicode_split_with_offsets": [v(S, "UTF-8")],
    "tf.strings.unicode_script": [v(T((2, 3), "int32", "codepoint"))],
    "tf.strings.ngrams": [v(T((2, 4), "string", "text"), 2)],
    "tf.strings.bytes_split": [v(S)],
    "tf.strings.unsorted_segment_join": [v(T((4,), "string", "text"), T((4,), "int32", "index:2"), 2)],
    "tf.strings.upper": [v(S)],
    "tf.strings.lower": [v(S)],
    "tf.strings.length": [v(S)],
    "tf.strings.strip": [v(S)],
}


# ---- Keras layers ----------------------------------------------------------------------------
@dataclass(frozen=True)
class L:
    """One way to build and call a layer: `make(keras) -> layer`, called on `inputs`."""

    make: Callable[[Any], Any]
    inputs: tuple[T, ...]
    label: str
    as_list: bool = False  # the layer takes a list of tensors (Add, Concatenate, ...)
    call_kwargs: dict[str, Any] = field(default_factory=dict)
    # Input axes left unknown in the model (`keras.Input(shape=(None, 3))` has batch and time
    # unknown); the probe data still has the sizes of `inputs`.
    dynamic_axes: tuple[int, ...] = ()


V2 = T((2, 8))
SEQ3 = T((2, 6, 3))
IMG3 = T((2, 8, 8, 3), fill="image")
VOL = T((1, 4, 4, 4, 2))
TOKENS = T((2, 6), "int32", "index:10")
WORDS = T((2, 3), "string", "text")


def _sig(name: str, *args: Any, **kwargs: Any) -> Callable[[Any], Any]:
    """A factory calling keras.layers.<name>(*args, **kwargs)."""

    def make(keras: Any) -> Any:
        return getattr(keras.layers, name)(*args, **kwargs)

    make.__qualname__ = f"{name}({', '.join([*map(repr, args), *(f'{k}={w!r}' for k, w in kwargs.items())])})"
    # The literal keyword arguments are recorded in the variant, so the analyzer can match a
    # user's `Resizing(..., interpolation="area")` to the verdict measured for that option.
    make.options = dict(kwargs)  # type: ignore[attr-defined]
    return make


def _lambda(keras: Any) -> Any:
    return keras.layers.Lambda(lambda t: t * 2.0 + 1.0)


def _bidirectional(keras: Any) -> Any:
    return keras.layers.Bidirectional(keras.layers.LSTM(4))


def _time_distributed(keras: Any) -> Any:
    return keras.layers.TimeDistributed(keras.layers.Dense(4))


def _rnn(cell: str) -> Callable[[Any], Any]:
    def make(keras: Any) -> Any:
        return keras.layers.RNN(getattr(keras.layers, cell)(4))

    return make


def _stacked(keras: Any) -> Any:
    return keras.layers.RNN(keras.layers.StackedRNNCells([keras.layers.LSTMCell(4), keras.layers.GRUCell(4)]))


def _spectral(keras: Any) -> Any:
    return keras.layers.SpectralNormalization(keras.layers.Dense(4))


def _pipeline(keras: Any) -> Any:
    return keras.layers.Pipeline([keras.layers.Rescaling(0.5), keras.layers.CenterCrop(4, 4)])


LAYERS: dict[str, list[L]] = {
    "keras.layers.Dense": [L(_sig("Dense", 4), (V2,), "Dense(4) on float32[2,8]"),
                           L(_sig("Dense", 4, activation="relu"), (SEQ3,), "Dense(4, relu) on float32[2,6,3]")],
    "keras.layers.EinsumDense": [L(_sig("EinsumDense", "ab,bc->ac", output_shape=4), (V2,), "ab,bc->ac")],
    "keras.layers.Embedding": [L(_sig("Embedding", 10, 4), (TOKENS,), "Embedding(10, 4) on int32[2,6]"),
                               L(_sig("Embedding", 10, 4, mask_zero=True), (TOKENS,), "Embedding(10, 4, mask_zero=True)")],
    "keras.layers.ReversibleEmbedding": [L(_sig("ReversibleEmbedding", 10, 4), (TOKENS,), "(10, 4) on int32[2,6]")],
    "keras.layers.LSTM": [L(_sig("LSTM", 4), (SEQ3,), "LSTM(4)"),
                          L(_sig("LSTM", 4, return_sequences=True, unroll=True), (SEQ3,), "LSTM(4, unroll)")],
    "keras.layers.GRU": [L(_sig("GRU", 4), (SEQ3,), "GRU(4)"),
                         L(_sig("GRU", 4, reset_after=False, return_sequences=True), (SEQ3,),
                           "GRU(4, reset_after=False, return_sequences=True)")],
    "keras.layers.SimpleRNN": [L(_sig("SimpleRNN", 4), (SEQ3,), "SimpleRNN(4)"),
                               L(_sig("SimpleRNN", 4, go_backwards=True), (SEQ3,), "SimpleRNN(4, go_backwards=True)")],
    "keras.layers.RNN": [L(_rnn("LSTMCell"), (SEQ3,), "RNN(LSTMCell(4))")],
    "keras.layers.LSTMCell": [L(_rnn("LSTMCell"), (SEQ3,), "RNN(LSTMCell(4))")],
    "keras.layers.GRUCell": [L(_rnn("GRUCell"), (SEQ3,), "RNN(GRUCell(4))")],
    "keras.layers.SimpleRNNCell": [L(_rnn("SimpleRNNCell"), (SEQ3,), "RNN(SimpleRNNCell(4))")],
    "keras.layers.StackedRNNCells": [L(_stacked, (SEQ3,), "RNN(StackedRNNCells([LSTMCell, GRUCell]))")],
    "keras.layers.Bidirectional": [L(_bidirectional, (SEQ3,), "Bidirectional(LSTM(4))")],
    "keras.layers.TimeDistributed": [L(_time_distributed, (SEQ3,), "TimeDistributed(Dense(4))")],
    "keras.layers.SpectralNormalization": [L(_spectral, (V2,), "SpectralNormalization(Dense(4))")],
    "keras.layers.Pipeline": [L(_pipeline, (IMG3,), "Pipeline([Rescaling, CenterCrop])")],
    "keras.layers.Lambda": [L(_lambda, (V2,), "Lambda(t * 2 + 1)")],
    "keras.layers.ConvLSTM1D": [L(_sig("ConvLSTM1D", 4, 3), (T((2, 3, 8, 2)),), "ConvLSTM1D(4, 3)")],
    "keras.layers.ConvLSTM2D": [L(_sig("ConvLSTM2D", 4, 3), (T((1, 3, 6, 6, 2)),), "ConvLSTM2D(4, 3)")],
    "keras.layers.ConvLSTM3D": [L(_sig("ConvLSTM3D", 2, 2), (T((1, 2, 4, 4, 4, 2)),), "ConvLSTM3D(2, 2)")],
    "keras.layers.Conv2D": [L(_sig("Conv2D", 4, 3), (IMG3,), "Conv2D(4, 3)"),
                            L(_sig("Conv2D", 4, 3, strides=2, padding="same"), (IMG3,), "Conv2D(4, 3, strides=2, same)"),
                            L(_sig("Conv2D", 6, 3, groups=3), (IMG3,), "Conv2D(6, 3, groups=3)"),
                            L(_sig("Conv2D", 4, 3, dilation_rate=2), (IMG3,), "Conv2D(4, 3, dilation_rate=2)")],
    "keras.layers.Conv2DTranspose": [L(_sig("Conv2DTranspose", 4, 3, strides=2), (IMG3,), "Conv2DTranspose(4, 3, strides=2)"),
                                     L(_sig("Conv2DTranspose", 4, 3, padding="same"), (IMG3,), "padding='same'")],
    "keras.layers.DepthwiseConv2D": [L(_sig("DepthwiseConv2D", 3), (IMG3,), "DepthwiseConv2D(3)"),
                                     L(_sig("DepthwiseConv2D", 3, depth_multiplier=2, padding="same"), (IMG3,),
                                       "DepthwiseConv2D(3, depth_multiplier=2, same)")],
    "keras.layers.BatchNormalization": [L(_sig("BatchNormalization"), (IMG3,), "BatchNormalization() on an image"),
                                        L(_sig("BatchNormalization", axis=1), (SEQ3,), "axis=1 on float32[2,6,3]")],
    "keras.layers.LayerNormalization": [L(_sig("LayerNormalization"), (SEQ3,), "LayerNormalization()"),
                                        L(_sig("LayerNormalization", axis=[1, 2]), (SEQ3,), "axis=[1, 2]")],
    "keras.layers.MultiHeadAttention": [L(_sig("MultiHeadAttention", 2, 4), (SEQ3, SEQ3), "MultiHeadAttention(2, 4)")],
    "keras.layers.GroupQueryAttention": [L(_sig("GroupQueryAttention", 4, 2, 1), (SEQ3, SEQ3),
                                           "GroupQueryAttention(head_dim=4, heads=2, kv_heads=1)")],
    "keras.layers.Attention": [L(_sig("Attention"), (SEQ3, SEQ3), "Attention()([q, v])", as_list=True)],
    "keras.layers.AdditiveAttention": [L(_sig("AdditiveAttention"), (SEQ3, SEQ3), "AdditiveAttention()([q, v])",
                                         as_list=True)],
    "keras.layers.Dot": [L(_sig("Dot", axes=1), (V2, V2), "Dot(axes=1)", as_list=True)],
    "keras.layers.Reshape": [L(_sig("Reshape", (4, 2)), (V2,), "Reshape((4, 2))")],
    "keras.layers.Permute": [L(_sig("Permute", (2, 1)), (SEQ3,), "Permute((2, 1))")],
    "keras.layers.RepeatVector": [L(_sig("RepeatVector", 3), (V2,), "RepeatVector(3)")],
    "keras.layers.Resizing": [L(_sig("Resizing", 4, 4), (IMG3,), "Resizing(4, 4)"),
                              L(_sig("Resizing", 16, 16, interpolation="nearest"), (IMG3,), "Resizing nearest")],
    "keras.layers.CenterCrop": [L(_sig("CenterCrop", 4, 4), (IMG3,), "CenterCrop(4, 4)")],
    "keras.layers.Rescaling": [L(_sig("Rescaling", 1 / 255.0), (IMG3,), "Rescaling(1/255)")],
    "keras.layers.Normalization": [L(_sig("Normalization", mean=0.5, variance=0.25), (V2,), "Normalization(mean, var)")],
    "keras.layers.Discretization": [L(_sig("Discretization", bin_boundaries=[0.3, 0.6]), (V2,), "bins [0.3, 0.6]")],
    "keras.layers.CategoryEncoding": [L(_sig("CategoryEncoding", 10, output_mode="one_hot"),
                                        (T((2,), "int32", "index:10"),), "one_hot of 10")],
    "keras.layers.Hashing": [L(_sig("Hashing", 8), (WORDS,), "Hashing(8) on strings")],
    "keras.layers.HashedCrossing": [L(_sig("HashedCrossing", 8), (T((2,), "int32", "int"), T((2,), "int32", "int")),
                                      "HashedCrossing(8)", as_list=True)],
    "keras.layers.StringLookup": [L(_sig("StringLookup", vocabulary=["ab", "cd", "ef"]), (WORDS,), "3-word vocabulary")],
    "keras.layers.IntegerLookup": [L(_sig("IntegerLookup", vocabulary=[1, 2, 3]), (T((2, 3), "int32", "int"),),
                                     "3-int vocabulary")],
    "keras.layers.TextVectorization": [L(_sig("TextVectorization", vocabulary=["ab", "cd", "ef"]),
                                         (T((2,), "string", "text"),), "3-word vocabulary")],
    "keras.layers.UpSampling2D": [L(_sig("UpSampling2D", 2), (IMG3,), "UpSampling2D(2)"),
                                  L(_sig("UpSampling2D", 2, interpolation="bilinear"), (IMG3,), "bilinear")],
    "keras.layers.PReLU": [L(_sig("PReLU"), (V2,), "PReLU()")],
    "keras.layers.MelSpectrogram": [L(_sig("MelSpectrogram", fft_length=64, sequence_stride=16, num_mel_bins=8),
                                      (T((2, 256)),), "MelSpectrogram(fft 64, 8 mels)")],
    "keras.layers.STFTSpectrogram": [L(_sig("STFTSpectrogram", frame_length=32, frame_step=16),
                                       (T((2, 128, 1)),), "STFTSpectrogram(32, 16)")],
    "keras.layers.RandomCrop": [L(_sig("RandomCrop", 4, 4), (IMG3,), "RandomCrop(4, 4)")],
    "keras.layers.Activation": [L(_sig("Activation", "relu"), (V2,), "Activation('relu')"),
                                L(_sig("Activation", "gelu"), (V2,), "Activation('gelu')")],
    "keras.layers.Equalization": [L(_sig("Equalization", value_range=(0, 1)), (IMG3,), "Equalization((0, 1))")],
    "keras.layers.RandomTranslation": [L(_sig("RandomTranslation", 0.2, 0.2), (IMG3,), "RandomTranslation(0.2, 0.2)")],
    "keras.layers.AdaptiveAveragePooling1D": [L(_sig("AdaptiveAveragePooling1D", 2), (SEQ3,), "(2) on float32[2,6,3]")],
    "keras.layers.AdaptiveAveragePooling2D": [L(_sig("AdaptiveAveragePooling2D", 3), (IMG3,), "(3) on float32[2,8,8,3]")],
    "keras.layers.AdaptiveAveragePooling3D": [L(_sig("AdaptiveAveragePooling3D", 2), (VOL,), "(2) on float32[1,4,4,4,2]")],
    "keras.layers.AdaptiveMaxPooling1D": [L(_sig("AdaptiveMaxPooling1D", 2), (SEQ3,), "(2) on float32[2,6,3]")],
    "keras.layers.AdaptiveMaxPooling2D": [L(_sig("AdaptiveMaxPooling2D", 3), (IMG3,), "(3) on float32[2,8,8,3]")],
    "keras.layers.AdaptiveMaxPooling3D": [L(_sig("AdaptiveMaxPooling3D", 2), (VOL,), "(2) on float32[1,4,4,4,2]")],
    "keras.layers.MaxNumBoundingBoxes": [],
    "keras.layers.TFSMLayer": [],
    "keras.layers.TorchModuleWrapper": [],
    "keras.layers.JaxLayer": [],
    "keras.layers.FlaxLayer": [],
    "keras.layers.Wrapper": [],
}

# Generic layer builds: constructor arguments x input shapes, tried in order.
LAYER_CTORS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [((), {}), ((4,), {}), ((4, 3), {}), ((2,), {}),
                                                              ((0.5,), {}), ((1,), {})]
LAYER_INPUTS: list[tuple[tuple[T, ...], bool]] = [((IMG3,), False), ((SEQ3,), False), ((V2,), False),
                                                  ((VOL,), False), ((V2, V2), True), ((IMG3, IMG3), True)]


# ---- Keras layer options ----------------------------------------------------------------------
# Constructor options that plausibly change whether a layer converts. Each layer gets its plain
# build first (the entry's verdict), then one build per option with everything else unchanged,
# so each variant's verdict belongs to its option alone. An option is a dict of keywords, or
# (positional args, keywords) or (args, keywords, inputs) when it needs other sizes to be legal.
Option = dict[str, Any] | tuple[Any, ...]

_IMAGE_METHODS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic")
_RNN_OPTIONS: list[Option] = [{"return_sequences": True}, {"return_state": True}, {"stateful": True},
                              {"go_backwards": True}, {"unroll": True}, {"use_bias": False},
                              {"activation": "relu"}]
_CONV_OPTIONS: list[Option] = [{"padding": "same"}, {"strides": 2}, {"dilation_rate": 2}]
_SEPARABLE_OPTIONS: list[Option] = [*_CONV_OPTIONS, {"depth_multiplier": 2}]
_POOL_OPTIONS: list[Option] = [{"padding": "same"}, {"strides": 1}]
_ACTIVATIONS = ("gelu", "silu", "selu", "elu", "softplus", "softsign", "hard_sigmoid", "hard_silu", "mish",
                "log_softmax", "relu6", "leaky_relu", "tanh", "sigmoid", "softmax", "exponential", "celu",
                "sparse_plus", "squareplus", "soft_shrink", "hard_shrink", "tanh_shrink", "hard_tanh",
                "log_sigmoid", "sparsemax", "glu")
IMG4 = T((2, 4, 4, 4))
CONV1D_SEQ = T((2, 3, 8, 2))
CONV2D_SEQ = T((1, 3, 6, 6, 2))
CONV3D_SEQ = T((1, 2, 4, 4, 4, 2))

# name -> (plain positional args, inputs, options, inputs are a list)
LAYER_OPTIONS: dict[str, tuple[tuple[Any, ...], tuple[T, ...], list[Option], bool]] = {
    "keras.layers.Resizing": ((6, 4), (IMG3,), [{"interpolation": m} for m in _IMAGE_METHODS[1:]]
                              + [{"crop_to_aspect_ratio": True}, {"pad_to_aspect_ratio": True},
                                 {"antialias": True}], False),
    "keras.layers.UpSampling2D": ((2,), (IMG3,), [{"interpolation": m} for m in _IMAGE_METHODS], False),
    "keras.layers.Conv1D": ((4, 3), (SEQ3,), [*_CONV_OPTIONS, {"padding": "causal"},
                                             ((6, 3), {"groups": 3})], False),
    "keras.layers.Conv2D": ((4, 3), (IMG3,), [*_CONV_OPTIONS, ((6, 3), {"groups": 3})], False),
    "keras.layers.Conv3D": ((4, 2), (VOL,), [*_CONV_OPTIONS, {"groups": 2}], False),
    "keras.layers.Conv1DTranspose": ((4, 3), (SEQ3,), _CONV_OPTIONS, False),
    "keras.layers.Conv2DTranspose": ((4, 3), (IMG3,), _CONV_OPTIONS, False),
    "keras.layers.Conv3DTranspose": ((4, 2), (VOL,), _CONV_OPTIONS, False),
    "keras.layers.DepthwiseConv1D": ((3,), (SEQ3,), _SEPARABLE_OPTIONS, False),
    "keras.layers.DepthwiseConv2D": ((3,), (IMG3,), _SEPARABLE_OPTIONS, False),
    "keras.layers.SeparableConv1D": ((4, 3), (SEQ3,), _SEPARABLE_OPTIONS, False),
    "keras.layers.SeparableConv2D": ((4, 3), (IMG3,), _SEPARABLE_OPTIONS, False),
    "keras.layers.LSTM": ((4,), (SEQ3,), _RNN_OPTIONS, False),
    "keras.layers.GRU": ((4,), (SEQ3,), [*_RNN_OPTIONS, {"reset_after": False}], False),
    "keras.layers.SimpleRNN": ((4,), (SEQ3,), _RNN_OPTIONS, False),
    "keras.layers.ConvLSTM1D": ((4, 3), (CONV1D_SEQ,), [{"return_sequences": True}, {"padding": "same"},
                                                       {"go_backwards": True}, {"return_state": True},
                                                       {"dilation_rate": 2}, {"stateful": True}], False),
    "keras.layers.ConvLSTM2D": ((4, 3), (CONV2D_SEQ,), [{"return_sequences": True}, {"padding": "same"},
                                                       {"go_backwards": True}, {"dilation_rate": 2}], False),
    "keras.layers.ConvLSTM3D": ((2, 2), (CONV3D_SEQ,), [{"return_sequences": True}, {"padding": "same"}], False),
    "keras.layers.MaxPooling1D": ((2,), (SEQ3,), _POOL_OPTIONS, False),
    "keras.layers.MaxPooling2D": ((2,), (IMG3,), _POOL_OPTIONS, False),
    "keras.layers.MaxPooling3D": ((2,), (VOL,), _POOL_OPTIONS, False),
    "keras.layers.AveragePooling1D": ((2,), (SEQ3,), _POOL_OPTIONS, False),
    "keras.layers.AveragePooling2D": ((2,), (IMG3,), _POOL_OPTIONS, False),
    "keras.layers.AveragePooling3D": ((2,), (VOL,), _POOL_OPTIONS, False),
    "keras.layers.GlobalAveragePooling1D": ((), (SEQ3,), [{"keepdims": True}], False),
    "keras.layers.GlobalAveragePooling2D": ((), (IMG3,), [{"keepdims": True}], False),
    "keras.layers.GlobalAveragePooling3D": ((), (VOL,), [{"keepdims": True}], False),
    "keras.layers.GlobalMaxPooling1D": ((), (SEQ3,), [{"keepdims": True}], False),
    "keras.layers.GlobalMaxPooling2D": ((), (IMG3,), [{"keepdims": True}], False),
    "keras.layers.GlobalMaxPooling3D": ((), (VOL,), [{"keepdims": True}], False),
    "keras.layers.BatchNormalization": ((), (IMG3,), [((), {"axis": 1}, (SEQ3,)), {"center": False},
                                                      {"scale": False}, {"renorm": True}], False),
    "keras.layers.LayerNormalization": ((), (SEQ3,), [{"axis": [1, 2]}, {"rms_scaling": True}, {"center": False},
                                                      {"scale": False}], False),
    "keras.layers.GroupNormalization": ((2,), (IMG4,), [{"center": False}, {"scale": False},
                                                         ((), {"groups": -1})], False),
    "keras.layers.UnitNormalization": ((), (IMG3,), [{"axis": [1, 2]}], False),
    "keras.layers.Attention": ((), (SEQ3, SEQ3), [{"use_scale": True}, {"score_mode": "concat"}], True),
    "keras.layers.AdditiveAttention": ((), (SEQ3, SEQ3), [{"use_scale": False}], True),
    "keras.layers.MultiHeadAttention": ((2, 4), (SEQ3, SEQ3), [{"attention_axes": [1]}, {"use_bias": False},
                                                               {"value_dim": 3}, {"output_shape": 5}], False),
    "keras.layers.Activation": ((), (V2,), [{"activation": a} for a in _ACTIVATIONS], False),
    "keras.layers.ReLU": ((), (IMG3,), [{"max_value": 6.0}, {"negative_slope": 0.1}, {"threshold": 0.5}], False),
    "keras.layers.Softmax": ((), (IMG3,), [{"axis": 1}], False),
    "keras.layers.Dot": ((), (V2, V2), [{"normalize": True}], True),
    "keras.layers.CategoryEncoding": ((10,), (T((2,), "int32", "index:10"),),
                                      [((10,), {"output_mode": "one_hot"}),
                                       ((10,), {"output_mode": "multi_hot"}, (T((2, 3), "int32", "index:10"),)),
                                       ((10,), {"output_mode": "count"}, (T((2, 3), "int32", "index:10"),))],
                                      False),
    "keras.layers.MelSpectrogram": ((), (T((2, 256)),), [{"power_to_db": False}], False),
    "keras.layers.STFTSpectrogram": ((), (T((2, 128, 1)),), [{"mode": m} for m in ("real", "imag", "angle", "log")],
                                     False),
    "keras.layers.Bidirectional": ((), (SEQ3,), [{"merge_mode": m} for m in ("sum", "mul", "ave", None)], False),
}
_WORDS_1D = T((2,), "string", "text")
_VOCAB = ["ab", "cd", "ef"]
_STRING_OPTIONS: dict[str, tuple[tuple[Any, ...], tuple[T, ...], list[Option], bool]] = {
    "keras.layers.TextVectorization": ((), (_WORDS_1D,), [{"output_mode": "multi_hot"}, {"output_mode": "count"},
                                                          {"output_mode": "tf_idf", "idf_weights": [1.0, 0.5, 0.25]},
                                                          {"output_sequence_length": 4}, {"split": None},
                                                          {"standardize": None}, {"ngrams": 2}], False),
    "keras.layers.StringLookup": ((), (WORDS,), [{"output_mode": "one_hot"}, {"output_mode": "multi_hot"},
                                                 {"output_mode": "count"}, {"mask_token": ""},
                                                 ((), {"invert": True}, (T((2, 3), "int32", "index:4"),))], False),
    "keras.layers.IntegerLookup": ((), (T((2, 3), "int32", "int"),), [{"output_mode": "multi_hot"},
                                                                      {"output_mode": "count"},
                                                                      ((), {"invert": True},
                                                                       (T((2, 3), "int32", "index:4"),))], False),
    "keras.layers.Hashing": ((8,), (WORDS,), [{"salt": 7}, {"output_mode": "one_hot"},
                                              {"output_mode": "multi_hot"}], False),
}
LAYER_OPTIONS.update(_STRING_OPTIONS)

# Recurrent layers are also built as user models usually are, with unknown batch and sequence
# length: whether the converter can keep the loop fused depends on the static shapes.
DYNAMIC_INPUTS: dict[str, list[tuple[dict[str, Any], tuple[int, ...]]]] = {
    name: [({}, (0,)), ({}, (0, 1)), ({"return_sequences": True}, (0, 1))]
    for name in ("keras.layers.LSTM", "keras.layers.GRU", "keras.layers.SimpleRNN",
                 "keras.layers.ConvLSTM1D", "keras.layers.ConvLSTM2D")
}
DYNAMIC_INPUTS["keras.layers.Bidirectional"] = [({}, (0,)), ({}, (0, 1))]  # its inner LSTM returns sequences

# Keyword arguments every build of a layer needs (they are not options, so not recorded).
_REQUIRED: dict[str, dict[str, Any]] = {
    "keras.layers.TextVectorization": {"vocabulary": _VOCAB},
    "keras.layers.StringLookup": {"vocabulary": _VOCAB},
    "keras.layers.IntegerLookup": {"vocabulary": [1, 2, 3]},
    "keras.layers.Activation": {"activation": "relu"},
    "keras.layers.Dot": {"axes": 1},
    "keras.layers.MelSpectrogram": {"fft_length": 64, "sequence_stride": 16, "num_mel_bins": 8},
    "keras.layers.STFTSpectrogram": {"frame_length": 32, "frame_step": 16},
}


def _build(name: str, args: tuple[Any, ...], required: dict[str, Any], options: dict[str, Any]) -> Callable[[Any], Any]:
    """A factory for keras.layers.<name>(*args, **required, **options) that records only `options`."""
    short = name.rsplit(".", 1)[1]
    if short == "Bidirectional":
        def make(keras: Any) -> Any:
            inner = keras.layers.LSTM(4, return_sequences=True)
            return keras.layers.Bidirectional(inner, **options)
    else:
        def make(keras: Any) -> Any:
            return getattr(keras.layers, short)(*args, **required, **options)

    make.options = dict(options)  # type: ignore[attr-defined]
    return make


def _option_label(short: str, args: tuple[Any, ...], options: dict[str, Any], inputs: tuple[T, ...]) -> str:
    words = [*map(repr, args), *(f"{k}={w!r}" for k, w in options.items())]
    if short == "Activation" and not options:
        words = ["'relu'"]
    if short == "Bidirectional":
        words = ["LSTM(4, return_sequences=True)", *words[len(args):]]
    return f"{short}({', '.join(words)}) on {' + '.join(s.describe() for s in inputs)}"


def _option_recipes(name: str) -> list[L]:
    args, inputs, options, as_list = LAYER_OPTIONS[name]
    required = _REQUIRED.get(name, {})
    short = name.rsplit(".", 1)[1]
    recipes = [L(_build(name, args, required, {}), inputs, _option_label(short, args, {}, inputs), as_list)]
    for option in options:
        if isinstance(option, dict):
            option_args, keywords, option_inputs = args, option, inputs
        else:
            option_args, keywords = option[0], option[1]
            option_inputs = option[2] if len(option) > 2 else inputs
        needed = {k: w for k, w in required.items() if k not in keywords}
        recipes.append(L(_build(name, option_args, needed, keywords), option_inputs,
                         _option_label(short, option_args, keywords, option_inputs), as_list))
    for keywords, axes in DYNAMIC_INPUTS.get(name, []):
        unknown = " and ".join(("batch", "time")[axis] for axis in axes)
        label = f"{_option_label(short, args, keywords, inputs)}, {unknown} unknown in the model's Input"
        recipes.append(L(_build(name, args, required, keywords), inputs, label, as_list, dynamic_axes=axes))
    return recipes


LAYERS.update({name: _option_recipes(name) for name in LAYER_OPTIONS})
