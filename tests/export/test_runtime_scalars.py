"""LiteRT runtime helpers keep 0-d inputs 0-d (a shape-[1] tensor is refused by the runtime)."""

from __future__ import annotations

import numpy as np
import pytest

from litert_lsp.worker import runtime

pytestmark = pytest.mark.slow


def test_scalar_input_runs_and_matches():
    tf = pytest.importorskip("tensorflow")

    @tf.function(input_signature=[tf.TensorSpec([3], tf.float32), tf.TensorSpec([], tf.float32)])
    def scale(x, s):
        return x * s

    converter = tf.lite.TFLiteConverter.from_concrete_functions([scale.get_concrete_function()], scale)
    model = converter.convert()
    x = np.array([1.0, 2.0, 3.0], np.float32)
    s = np.array(2.5, np.float32)
    (out,) = runtime.run(model, {"x": x, "s": s})
    np.testing.assert_allclose(out, x * 2.5)
