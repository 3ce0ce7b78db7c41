"""Which `forward` inputs are read as tensors when nothing is annotated."""

from __future__ import annotations

import textwrap

from litert_lsp.analysis import analyze

MODEL = textwrap.dedent(
    """\
    import torch
    from torch import nn

    class M(nn.Module):
        def forward(self, x, output_attentions, scale=1.0):
            if x > 0:
                x = x + 1
            if output_attentions:
                x = x * 2
            if scale > 1:
                x = x * scale
            if x.shape[0] > 1:
                x = x - 1
            return x
    """
)


def test_first_input_is_the_model_input_tensor_and_later_bare_inputs_may_be_flags():
    assert [(f.code, f.line) for f in analyze(MODEL)] == [("LRT201", 6)]


def test_an_annotated_first_input_is_taken_at_its_word():
    source = MODEL.replace("def forward(self, x,", "def forward(self, x: int,")
    assert analyze(source) == []
