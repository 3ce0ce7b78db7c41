"""PyTorch knowledge base: errors say their real cause, FFT limits and int64 inputs are measured.

The fast tests feed error texts of the shapes this toolchain prints (bare headings with the
cause on a later line, MLIR locations, lone dtype keys) through the harness's helpers and read
the shipped table; the slow tests probe a few ops through the real converter and runtime.
"""

from __future__ import annotations

import json
from importlib import resources

import pytest

from tools.probes import torch_suite


@pytest.fixture(scope="module")
def entries() -> dict[str, dict]:
    text = resources.files("litert_lsp.kb").joinpath("data", "torch.json").read_text(encoding="utf-8")
    return {entry["name"]: entry for entry in json.loads(text)["entries"]}


def test_first_line_takes_the_cause_from_a_later_line() -> None:
    from tools.probes.torch_probe import first_line

    flatbuffer = ValueError(
        "Failed to export flatbuffer: \nSome ops are not supported by the native TFLite runtime, you can "
        "enable TF kernels fallback using TF Select.\nTF Select ops: BitwiseOr\nDetails:\n"
        "\ttf.BitwiseOr(tensor<2x3xi32>, tensor<2x3xi32>) -> (tensor<2x3xi32>)")
    line = first_line(flatbuffer)
    assert line.startswith("ValueError: Failed to export flatbuffer: Some ops are not supported")
    assert line.endswith("TF Select ops: BitwiseOr")
    verification = RuntimeError(
        'Verification failed:\nerror: "pkg.M;"("fft_fft"("/home/u/model.py":4:0)): \'stablehlo.fft\' op '
        "inferred type(s) 'tensor<4x1x9xcomplex<f32>>' are incompatible with return type(s)")
    assert first_line(verification) == (
        "RuntimeError: Verification failed: error: 'stablehlo.fft' op inferred type(s) "
        "'tensor<4x1x9xcomplex<f32>>' are incompatible with return type(s)")
    lone = RuntimeError("torch.complex64\n\nWhile executing %_to_copy : [num_users=1] = call_function["
                        "target=torch.ops.aten._to_copy.default](args = (%x,), kwargs = {})")
    assert first_line(lone) == "RuntimeError: torch.complex64 (while lowering aten._to_copy.default)"


@pytest.mark.parametrize(
    ("status", "error", "words"),
    [
        ("runtime_fails", ("RuntimeError: tflite/kernels/rfft2d.cc:121 IsPowerOfTwo(fft_length_data[1]) was not "
         "true.Node number 1 (RFFT2D) failed to prepare."), "power-of-two"),
        ("lowering_fails", "NotImplementedError: Only 1D FFT on the last dimension is currently supported.",
         "last dimension"),
        ("lowering_fails", ("ValueError: Failed to export flatbuffer: Some ops are not supported by the native "
         "TFLite runtime. TF Select ops: BitwiseOr, BitwiseAnd"), "tf.BitwiseOr, tf.BitwiseAnd"),
        ("lowering_fails", "ValueError: Failed to export flatbuffer: (ops left unconverted: stablehlo.xor)",
         "no LiteRT op for stablehlo.xor"),
        ("lowering_fails", ("ValueError: Failed to run converter passes: error: failed to legalize operation "
                            "'tfl.pow' that was explicitly marked illegal: %2 = \"tfl.pow\"(%1, %0) : "
                            "(tensor<2x3x8x8xf64>, tensor<f64>) -> tensor<2x3x8x8xf64>"),
         "cannot legalize tfl.pow on float64"),
        ("wrong_numbers", "output 1: max abs error 63, max rel error 1 (tolerance atol=0.001, rtol=0.001)",
         "output 1 differs from PyTorch (max abs error 63)"),
    ],
)
def test_reasons_name_the_cause(status: str, error: str, words: str) -> None:
    reason = torch_suite.reason_for(status, error)
    assert reason and words in reason


def _measured(specs: list[tuple[str, dict, str, str | None]]) -> list:
    from tools.probes.torch_spec import T, Variant

    out = []
    for label, kwargs, status, error in specs:
        out.append((Variant(label, (T((4, 16)),), kwargs),
                    {"status": status, "error": error, "aten_ops": [], "tflite_ops": [], "max_abs_error": None,
                     "max_rel_error": None, "seconds": 0.5, "input_narrowing": None}))
    return out


def test_condition_groups_failing_variants_by_cause() -> None:
    from tools.probes.torch_spec import Recipe

    power = "RuntimeError: IsPowerOfTwo(fft_length_data[1]) was not true."
    last = "NotImplementedError: Only 1D FFT on the last dimension is currently supported."
    measured = _measured([("length 16", {}, "supported", None), ("length 12", {}, "runtime_fails", power),
                          ("n=12", {"n": 12}, "runtime_fails", power), ("dim=0", {"dim": 0}, "lowering_fails", last)])
    entry = torch_suite.build_entry(Recipe("torch.fft.rfft", "function", None, [v for v, _ in measured]),
                                    measured, ["input", "n", "dim", "norm"], [], None, {"torch": "t"})
    assert entry["status"] == "conditional"
    condition = entry["condition"]
    assert "[length 12; n=12] (runtime fails): the LiteRT RFFT2D kernel takes only power-of-two" in condition
    assert "dim=0 (lowering fails): litert-torch lowers only a 1-D FFT over the last dimension" in condition
    assert condition.endswith("works for length 16")
    assert [v["kwargs"] for v in entry["variants"]] == [{}, {}, {"n": 12}, {"dim": 0}]


def test_measured_int64_narrowing_is_said_in_the_entry() -> None:
    from tools.probes.torch_spec import Recipe

    measured = _measured([("ids", {}, "supported", None)])
    measured[0][1]["input_narrowing"] = "ValueError: Cannot set tensor: Got value of type INT64 but expected type INT32"
    entry = torch_suite.build_entry(Recipe("torch.nn.Embedding", "layer", None, [measured[0][0]]), measured,
                                    None, [], None, {"torch": "t"})
    assert entry["status"] == "supported"
    assert "takes int32 where the PyTorch module takes int64" in entry["condition"]
    assert "INT64" in entry["condition"]


def test_shipped_fft_entries_say_where_they_work(entries: dict[str, dict]) -> None:
    rfft = entries["torch.fft.rfft"]
    assert rfft["status"] == "conditional"
    assert "power-of-two" in rfft["condition"] and "last dimension" in rfft["condition"]
    by_label = {v["label"]: v for v in rfft["variants"]}
    assert by_label["length 16 (power of two)"]["status"] == "supported"
    assert by_label["length 12 (not a power of two)"]["status"] == "runtime_fails"
    assert by_label["dim=0 (not the last)"]["kwargs"] == {"dim": 0}
    assert by_label["dim=0 (not the last)"]["status"] == "lowering_fails"
    assert by_label["n=16 on length 12"]["status"] == "supported"
    for name in ("torch.fft.fft", "torch.fft.ifft", "torch.fft.irfft", "torch.fft.rfft2", "torch.stft"):
        assert len(entries[name]["variants"]) >= 3, name


def test_shipped_errors_are_informative(entries: dict[str, dict]) -> None:
    generic = {"the lowering fails", "the converted model cannot be written as a flatbuffer",
               "the lowered MLIR fails verification", "no lowering", "the LiteRT runtime rejects it"}
    for entry in entries.values():
        assert entry["reason"] not in generic, (entry["name"], entry["reason"])
        for variant in entry["variants"]:
            assert not (variant["error"] or "x").rstrip().endswith(":"), (entry["name"], variant["error"])
    assert "tf.BitwiseOr" in entries["torch.bitwise_or"]["reason"]
    assert "stablehlo.xor" in entries["torch.logical_xor"]["reason"]


def test_shipped_int64_inputs_are_noted(entries: dict[str, dict]) -> None:
    embedding = entries["torch.nn.Embedding"]
    assert embedding["status"] == "supported"
    assert "int32" in embedding["condition"]
    assert {v["dtype"] for v in embedding["variants"]} == {"int64", "int32"}


@pytest.mark.slow
def test_real_probes_of_fft_lengths_and_an_unwritable_op(tmp_path, monkeypatch) -> None:
    from tools.probes.isolation import run_isolated

    monkeypatch.setenv("LITERT_LSP_STAGE_DIR", str(tmp_path))
    jobs = ["torch.fft.rfft::0", "torch.fft.rfft::1", "torch.fft.rfft::4", "torch.logical_xor::0"]
    outcomes = run_isolated(jobs, torch_suite.WORKER_MODULE, processes=2, timeout=120.0)
    results = {o.job: torch_suite.outcome_result(o) for o in outcomes}
    assert results["torch.fft.rfft::0"]["status"] == "supported"
    assert results["torch.fft.rfft::1"]["status"] == "runtime_fails"
    assert "IsPowerOfTwo" in results["torch.fft.rfft::1"]["error"]
    assert results["torch.fft.rfft::4"]["status"] == "lowering_fails"
    assert "last dimension" in results["torch.fft.rfft::4"]["error"]
    assert "ops left unconverted: stablehlo.xor" in results["torch.logical_xor::0"]["error"]


def test_each_failing_variant_says_its_own_cause(entries: dict[str, dict]) -> None:
    for entry in entries.values():
        for variant in entry["variants"]:
            assert (variant["reason"] is None) == (variant["status"] == "supported"), (entry["name"], variant["label"])
    by_label = {v["label"]: v for v in entries["torch.fft.rfft"]["variants"]}
    assert "scale factor" in by_label["norm=ortho"]["reason"]
    assert "last dimension" in by_label["dim=1 of 3-D (not the last)"]["reason"]
    assert by_label["dim=1 of 2-D (the last), length 16"]["status"] == "supported"
