"""How to call each `keras.ops` function in a probe (TensorFlow backend): arguments per op.

Like `tf_recipes`, this says only *how* an op is called; whether it converts is measured.
A function without a row here is called with the first generic pattern Keras accepts eagerly
(`GENERIC_BY_NAMESPACE`), and `axis_variant` adds a reduction along one axis when the
signature has `axis`. No framework is imported at module level.
"""

from __future__ import annotations

from typing import Any

from tools.probes.tf_recipes import CPLX, IMG, SPD, SQ, T, V, v, vc

F = T((2, 3, 4))
F2 = T((3, 4))
I = T((2, 3, 4), "int32", "int")  # noqa: E741 - the int32 operand, beside F and B
B = T((2, 3, 4), "bool", "bool")
VEC = T((6,))
SEQ = T((2, 16))
KERNEL = T((3, 3, 3, 4), fill="signed")
QKV = T((2, 6, 2, 4))
LOWER = T((2, 3, 3), fill="lower")
SEG = T((5,), "int32", "sorted_index:3")
K = "keras.ops."


def _ops() -> Any:
    import keras

    return keras.ops


def _pair(shape: tuple[int, ...]) -> list[T]:
    """keras.ops' FFT functions take a complex number as a (real, imag) pair of float tensors."""
    return [T(shape, fill="signed"), T(shape, fill="signed")]


def _cond(op: Any, x: Any) -> Any:
    return op(_ops().sum(x) > 1.0, lambda: x * 2.0, lambda: x - 1.0)


def _switch(op: Any, x: Any) -> Any:
    ops = _ops()
    index = ops.cast(ops.sum(x) > 1.0, "int32")
    return op(index, [lambda y: y * 2.0, lambda y: y - 1.0], x)


def _while(op: Any, x: Any) -> Any:
    return op(lambda i, y: i < 3, lambda i, y: (i + 1, y * 1.5), (0, x))[1]


def _scan(op: Any, x: Any) -> Any:
    return op(lambda carry, row: (carry + row, carry * 2.0), _ops().zeros_like(x[0]), x)


def _affine(op: Any, images: Any, noise: Any) -> Any:
    ops = _ops()
    identity = ops.convert_to_tensor([[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]])
    return op(images, identity + 0.05 * noise)


def _perspective(op: Any, images: Any, noise: Any) -> Any:
    ops = _ops()
    corners = ops.convert_to_tensor([[[0.0, 0.0], [7.0, 0.0], [0.0, 7.0], [7.0, 7.0]]])
    return op(images, corners, corners + noise)


GENERIC_BY_NAMESPACE: dict[str, list[V]] = {
    "keras.ops": [v(F), v(F, F), v(I), v(I, I), v(B), v(B, B), v(SQ), v(SPD), v(CPLX), v(IMG), v(SEQ)],
    "keras.ops.image": [v(IMG), v(IMG, IMG)],
}

FUNCTIONS: dict[str, list[V]] = {K + name: recipes for name, recipes in {
    # construction
    "arange": [v(T((), "int32", "int")), v(0, T((), "int32", "int"), 1), v(5)],
    "array": [v(F)],
    "empty": [v([2, 3])],
    "eye": [v(3)],
    "identity": [v(3)],
    "tri": [v(3)],
    "full": [v([2, 3], 1.5)],
    "full_like": [v(F, 1.5)],
    "ones": [v([2, 3])],
    "zeros": [v([2, 3])],
    "linspace": [v(T(()), T((), fill="int"), 5), v(0.0, 1.0, 5)],
    "geomspace": [v(T(()), T((), fill="int"), 5)],
    "logspace": [v(T(()), T((), fill="int"), 5)],
    "bartlett": [v(8)],
    "blackman": [v(8)],
    "hamming": [v(8)],
    "hanning": [v(8)],
    "kaiser": [v(8, 5.0)],
    "meshgrid": [v(T((3,)), T((4,))), v(T((3,)), T((4,)), indexing="ij")],
    "vander": [v(T((4,)))],
    # layout
    "array_split": [v(T((2, 6, 4)), 3, axis=1)],
    "broadcast_to": [v(T((3, 1)), [2, 3, 4])],
    "cast": [v(F, "int32"), v(I, "float32"), v(F, "float16")],
    "saturate_cast": [v(F, "uint8")],
    "concatenate": [v([F, F], axis=1), v([I, I], axis=0)],
    "stack": [v([F, F], axis=1)],
    "hstack": [v([F, F])],
    "vstack": [v([F, F])],
    "dstack": [v([F, F])],
    "append": [v(F, F, axis=1), v(F, F)],
    "split": [v(T((2, 6, 4)), 3, axis=1), v(T((2, 6, 4)), [2, 4], axis=1)],
    "hsplit": [v(T((2, 4, 3)), 2)],
    "vsplit": [v(T((4, 3)), 2)],
    "dsplit": [v(T((2, 3, 4)), 2)],
    "unstack": [v(F, axis=1)],
    "expand_dims": [v(F, 1)],
    "squeeze": [v(T((2, 1, 4)), axis=1)],
    "reshape": [v(F, (6, 4)), v(F, (-1,))],
    "transpose": [v(F), v(F, (0, 2, 1))],
    "moveaxis": [v(F, 0, 2)],
    "swapaxes": [v(F, 1, 2)],
    "flip": [v(F, axis=1)],
    "fliplr": [v(F2)],
    "flipud": [v(F2)],
    "rot90": [v(F2), v(F, k=1, axes=(1, 2))],
    "roll": [v(F, 1, axis=2), v(F, 1)],
    "repeat": [v(F, 2, axis=1), v(F, [1, 2, 3], axis=1)],
    "tile": [v(F, [1, 2, 3])],
    "pad": [v(F, [[0, 0], [1, 1], [2, 0]]), v(F, [[0, 0], [1, 1], [1, 1]], mode="reflect"),
            v(F, [[0, 0], [1, 1], [1, 1]], mode="symmetric"), v(F, [[0, 0], [1, 1], [2, 0]], constant_values=1.5)],
    "slice": [v(F, [0, 1, 0], [2, 2, 3])],
    "slice_update": [v(F, [0, 1, 0], T((2, 2, 3)))],
    "get_item": [vc(lambda op, x: op(x, (slice(None), 1)), F, label="x[:, 1]")],
    "take": [v(F, T((2,), "int32", "index:3"), axis=1), v(F, T((2, 3), "int32", "index:24"))],
    "take_along_axis": [v(F, T((2, 3, 2), "int32", "index:4"), axis=-1)],
    "scatter": [v(T((2, 1), "int32", "perm"), T((2, 3)), (4, 3))],  # distinct rows: no update order to tie on
    "scatter_update": [v(T((4, 3)), T((2, 1), "int32", "perm"), T((2, 3)))],
    "where": [v(B, F, F), v(T((4,), "bool", "bool"))],
    "select": [v([B, B], [F, F])],
    "view": [v(F, "int32")],
    "view_as_complex": [v(T((2, 4, 2), fill="signed"))],
    "view_as_real": [v(CPLX)],
    "rearrange": [v(F, "b h w -> b w h"), v(T((2, 4, 6)), "b h (w c) -> b (h w) c", c=2)],
    "diag": [v(T((4,))), v(F2)],
    "diagflat": [v(T((4,)))],
    "diagonal": [v(F, axis1=1, axis2=2)],
    "tril": [v(SQ), v(SQ, k=1)],
    "triu": [v(SQ), v(SQ, k=1)],
    "unravel_index": [v(T((3,), "int32", "index:12"), (3, 4))],
    # reductions and scans
    "all": [v(B), v(B, axis=1)],
    "any": [v(B), v(B, axis=1)],
    "average": [v(F, axis=1), v(F, axis=1, weights=T((3,)))],
    "cumsum": [v(F, axis=1), v(I, axis=1)],
    "cumprod": [v(F, axis=1)],
    "nancumsum": [v(F, axis=1)],
    "nancumprod": [v(F, axis=1)],
    "percentile": [v(F, 50.0), v(F, 50.0, axis=1)],
    "nanpercentile": [v(F, 50.0)],
    "quantile": [v(F, 0.5), v(F, 0.5, axis=1)],
    "nanquantile": [v(F, 0.5)],
    "histogram": [v(T((10,)), bins=5, range=(0.0, 1.0))],
    "bincount": [v(T((8,), "int32", "index:4")), v(T((8,), "int32", "index:4"), minlength=6)],
    "digitize": [v(F, [0.3, 0.6])],
    "searchsorted": [v(T((5,), fill="sorted"), T((3,)))],
    "sort": [v(F), v(F, axis=1)],
    "argsort": [v(F), v(F, axis=1)],
    "argpartition": [v(T((2, 10)), 3)],
    "top_k": [v(T((2, 10)), 3), v(T((2, 10)), 3, sorted=False)],
    "in_top_k": [v(T((3,), "int32", "index:5"), T((3, 5)), 2)],
    "unique": [v(T((8,), "int32", "index:4")), v(T((8,), "int32", "index:4"), size=4)],
    "nonzero": [v(T((6,)))],
    "count_nonzero": [v(F), v(F, axis=1)],
    "trapezoid": [v(F)],
    "diff": [v(F), v(F, n=2, axis=1)],
    "trace": [v(F), v(F, axis1=1, axis2=2)],
    "segment_sum": [v(T((5, 3)), SEG, num_segments=3), v(T((5, 3)), SEG, num_segments=3, sorted=True)],
    "segment_max": [v(T((5, 3)), SEG, num_segments=3), v(T((5, 3)), SEG, num_segments=3, sorted=True)],
    "segment_min": [v(T((5, 3)), SEG, num_segments=3)],
    "segment_prod": [v(T((5, 3)), SEG, num_segments=3)],
    "associative_scan": [vc(lambda op, x: op(lambda a, b: a + b, x, axis=1), F, label="running sum over axis 1")],
    # elementwise with extra arguments
    "clip": [v(F, 0.2, 0.6)],
    "power": [v(F, F), v(F, 2.0), v(I, 2)],
    "round": [v(F), v(F, decimals=1)],
    "ldexp": [v(F, I)],
    "isin": [v(I, T((3,), "int32", "int"))],
    "threshold": [v(F, 0.5, 0.0)],
    "nan_to_num": [v(F), v(F, nan=1.0, posinf=2.0)],
    "left_shift": [v(I, I)],
    "right_shift": [v(I, I)],
    "bitwise_left_shift": [v(I, I)],
    "bitwise_right_shift": [v(I, I)],
    "gelu": [v(F), v(F, approximate=False)],
    "glu": [v(F)],
    "polar": [v(F, F)],
    # linear algebra
    "matmul": [v(F, T((2, 4, 5))), v(I, T((2, 4, 5), "int32", "int"))],
    "dot": [v(F2, T((4, 3)))],
    "einsum": [v("bij,bjk->bik", F, T((2, 4, 5))), v("ij->ji", F2), v("bij->b", F)],
    "tensordot": [v(F2, T((4, 5)), axes=1)],
    "inner": [v(T((3, 4)), T((3, 4))), v(T((4,)), T((4,)))],
    "outer": [v(T((3,)), T((4,)))],
    "vdot": [v(T((4,)), T((4,)))],
    "kron": [v(F2, T((2, 2)))],
    "cross": [v(T((2, 3)), T((2, 3)))],
    "cdist": [v(F, T((2, 5, 4)))],
    "correlate": [v(T((8,)), T((3,))), v(T((8,)), T((3,)), mode="same")],
    "corrcoef": [v(T((3, 5)))],
    "cholesky": [v(SPD)],
    "cholesky_inverse": [v(LOWER)],
    "det": [v(SQ)],
    "slogdet": [v(SPD)],
    "logdet": [v(SPD)],
    "inv": [v(SPD)],
    "pinv": [v(T((2, 4, 3)))],
    "eig": [v(SQ)],
    "eigh": [v(SPD)],
    "lstsq": [v(T((4, 3)), T((4, 2)))],
    "lu_factor": [v(T((3, 3), fill="signed")), v(SQ)],
    "matrix_rank": [v(SQ)],
    "norm": [v(F), v(F, axis=-1), v(F, ord=1, axis=-1), v(SQ, ord="fro", axis=(1, 2))],
    "qr": [v(T((2, 4, 3))), v(T((2, 4, 3)), mode="complete")],
    "solve": [v(SPD, T((2, 3, 2)))],
    "solve_triangular": [v(LOWER, T((2, 3, 2)), lower=True)],
    "svd": [v(T((2, 4, 3))), v(T((2, 4, 3)), compute_uv=False)],
    # FFT and signals (a complex value is a (real, imag) pair)
    "fft": [v(_pair((2, 8)))],
    "fft2": [v(_pair((2, 4, 8)))],
    "ifft2": [v(_pair((2, 4, 8)))],
    "rfft": [v(SEQ), v(SEQ, fft_length=8)],
    "irfft": [v(_pair((2, 9))), v(_pair((2, 9)), fft_length=16)],
    "stft": [v(T((2, 64)), 16, 8, 16), v(T((2, 64)), 16, 8, 16, center=False), v(T((2, 64)), 16, 8, 16, window=None)],
    "istft": [v(_pair((2, 9, 9)), 16, 8, 16), v(_pair((2, 7, 9)), 16, 8, 16, center=False)],
    "extract_sequences": [v(SEQ, 4, 2)],
    # nn
    "adaptive_average_pool": [v(IMG, 2)],
    "adaptive_max_pool": [v(IMG, 2)],
    "average_pool": [v(IMG, 2), v(IMG, 3, strides=1, padding="same")],
    "max_pool": [v(IMG, 2), v(IMG, 3, strides=1, padding="same")],
    "conv": [v(IMG, KERNEL), v(IMG, KERNEL, strides=2, padding="same"), v(IMG, KERNEL, dilation_rate=2)],
    "conv_transpose": [v(T((1, 4, 4, 3)), T((3, 3, 2, 3), fill="signed"), strides=2),
                       v(T((1, 4, 4, 3)), T((3, 3, 2, 3), fill="signed"), strides=2, padding="same")],
    "depthwise_conv": [v(IMG, T((3, 3, 3, 2), fill="signed")),
                       v(IMG, T((3, 3, 3, 2), fill="signed"), padding="same")],
    "separable_conv": [v(IMG, T((3, 3, 3, 2), fill="signed"), T((1, 1, 6, 4), fill="signed"))],
    "depth_to_space": [v(T((1, 4, 4, 8)), 2)],
    "space_to_depth": [v(IMG, 2)],
    "unfold": [v(T((1, 3, 4, 4)), 2)],
    "fold": [v(T((1, 12, 9)), (4, 4), 2)],
    "batch_normalization": [v(F, T((4,)), T((4,)), -1), v(F, T((4,)), T((4,)), -1, offset=T((4,)), scale=T((4,)))],
    "layer_normalization": [v(F), v(F, gamma=T((4,)), beta=T((4,)))],
    "rms_normalization": [v(F), v(F, scale=T((4,)))],
    "moments": [v(F, [0, 1]), v(F, [1], keepdims=True)],
    "normalize": [v(F), v(F, order=1)],
    "one_hot": [v(T((2, 3), "int32", "index:4"), 4)],
    "multi_hot": [v(T((2, 3), "int32", "index:5"), 5)],
    "dot_product_attention": [v(QKV, QKV, QKV), v(QKV, QKV, QKV, is_causal=True),
                              v(QKV, QKV, QKV, mask=T((2, 2, 6, 6), "bool", "bool")),
                              v(QKV, QKV, QKV, bias=T((2, 2, 6, 6)))],
    "binary_crossentropy": [v(F, F), v(F, F, from_logits=True)],
    "categorical_crossentropy": [v(T((2, 5)), T((2, 5))), v(T((2, 5)), T((2, 5)), from_logits=True)],
    "sparse_categorical_crossentropy": [v(T((2,), "int32", "index:5"), T((2, 5)))],
    "ctc_decode": [v(T((2, 5, 4)), T((2,), "int32", "int")),
                   v(T((2, 5, 4)), T((2,), "int32", "int"), strategy="beam_search", beam_width=2)],
    "ctc_loss": [vc(lambda op, t, o: op(t, o, _ops().convert_to_tensor([3, 3]), _ops().convert_to_tensor([5, 5])),
                    T((2, 3), "int32", "index:3"), T((2, 5, 4)), label="targets int32[2,3], logits float32[2,5,4]")],
    "psnr": [v(IMG, IMG, 1.0)],
    # control flow and function transforms
    "cond": [vc(_cond, F, label="pred from data, two lambdas")],
    "switch": [vc(_switch, F, label="index from data, two branches")],
    "while_loop": [vc(_while, F, label="3 iterations of y * 1.5")],
    "fori_loop": [vc(lambda op, x: op(0, 3, lambda i, y: y * 1.5, x), F, label="fori_loop(0, 3, y * 1.5)")],
    "scan": [vc(_scan, F, label="running sum over axis 0")],
    "map": [vc(lambda op, x: op(lambda row: row * 2.0 + 1.0, x), F, label="elementwise lambda over axis 0")],
    "vectorized_map": [vc(lambda op, x: op(lambda row: row * 2.0 + 1.0, x), F, label="elementwise lambda over axis 0")],
    "vectorize": [vc(lambda op, x: op(lambda t: t * 2.0 + 1.0)(x), F, label="vectorize(lambda t: t * 2 + 1)(x)")],
    # image
    "image.affine_transform": [vc(_affine, IMG, T((1, 8), fill="signed"), label="near-identity transform"),
                               vc(lambda op, i, n: _affine(lambda a, t: op(a, t, interpolation="nearest"), i, n),
                                  IMG, T((1, 8), fill="signed"), label="near-identity transform, nearest")],
    "image.crop_images": [v(IMG, 1, 1, target_height=4, target_width=4)],
    "image.pad_images": [v(IMG, 1, 1, target_height=10, target_width=10)],
    "image.elastic_transform": [v(IMG, seed=1)],
    "image.extract_patches": [v(IMG, 2), v(IMG, 3, strides=1, padding="same")],
    "image.extract_patches_3d": [v(T((1, 4, 4, 4, 2)), 2)],
    "image.gaussian_blur": [v(IMG)],
    "image.map_coordinates": [v(T((4, 4)), T((2, 3, 3), fill="int"), 1), v(T((4, 4)), T((2, 3, 3), fill="int"), 0)],
    "image.perspective_transform": [vc(_perspective, IMG, T((1, 4, 2), fill="signed"), label="corners moved by the input")],
    "image.resize": [v(IMG, (16, 16)), v(IMG, (16, 16), interpolation="nearest"), v(IMG, (5, 5), interpolation="bicubic"),
                     v(IMG, (5, 5), interpolation="area"), v(IMG, (16, 16), interpolation="lanczos3"),
                     v(IMG, (5, 5), antialias=True), v(IMG, (6, 4), crop_to_aspect_ratio=True),
                     v(IMG, (6, 4), pad_to_aspect_ratio=True)],
    "image.scale_and_translate": [v(IMG, (1, 16, 16, 3), T((2,), fill="int"), T((2,)), (1, 2), "bilinear")],
    "image.ssim": [v(IMG, IMG, filter_size=3)],
}.items()}


def axis_variant(params: list[str], chosen: V) -> V | None:
    """For a reduction (`axis` in the signature) called on one tensor: the same call along axis 1."""
    if "axis" not in params or len(chosen.args) != 1 or chosen.kwargs:
        return None
    (operand,) = chosen.args
    if not isinstance(operand, T) or len(operand.shape) < 2:
        return None
    return V((operand,), {"axis": 1})
