"""Real round trips: checkpoints made here, exported by the real worker (litert-torch, LiteRT),
and the written .tflite run again in this process against eager PyTorch with those weights."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("litert_torch")

from litert_lsp.worker import runtime  # noqa: E402 - after the skips
from tests.export.conftest import request_for  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny(workspace: Path):
    sys.path.insert(0, str(workspace))
    sys.modules.pop("tiny", None)
    try:
        yield importlib.import_module("tiny")
    finally:
        sys.path.remove(str(workspace))
        sys.modules.pop("tiny", None)


def trained(tiny, seed: int):
    """A TinyNet whose weights (and BatchNorm statistics) differ from a fresh one."""
    torch.manual_seed(seed)
    net = tiny.TinyNet()
    with torch.no_grad():
        for parameter in net.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.5)
        net.bn.running_mean.uniform_(-0.5, 0.5)
        net.bn.running_var.uniform_(0.5, 2.0)
    return net.eval()


def assert_file_matches(path: Path, net, shape=(1, 3, 64, 64)) -> None:
    x = torch.randn(*shape)
    with torch.no_grad():
        expected = net(x).numpy()
    actual = runtime.run(path, [x.numpy()])[0]
    assert runtime.compare([actual], [expected], 1e-4, 1e-3).ok


@pytest.mark.parametrize(
    ("filename", "wrap"),
    [
        ("plain.pt", lambda sd: sd),
        ("epoch7.pth", lambda sd: {"epoch": 7, "model_state_dict": {f"module.{k}": v for k, v in sd.items()}}),
        ("run.tar", lambda sd: {"state_dict": {f"_orig_mod.{k}": v for k, v in sd.items()}, "optimizer": {}}),
        ("last.ckpt", lambda sd: {"model": sd, "step": torch.tensor(3)}),
    ],
)
def test_state_dict_layouts_restore(warm_worker, workspace, tiny, tmp_path, filename, wrap) -> None:
    net = trained(tiny, seed=len(filename))
    torch.save(wrap(net.state_dict()), tmp_path / filename)
    stages = []
    result = warm_worker.export(
        request_for(workspace, "TinyNet", tmp_path, checkpoint=str(tmp_path / filename)),
        lambda stage, message, percent: stages.append(stage),
    )
    assert result.ok, result.message
    assert [s for s in ("load code", "restore", "export", "convert", "verify", "profile") if s in stages] == [
        "load code", "restore", "export", "convert", "verify", "profile"]
    assert result.max_abs_error is not None and result.max_abs_error < 1e-3
    assert result.size_bytes == Path(result.output).stat().st_size
    assert result.op_histogram.get("CONV_2D") == 1
    assert result.latency_ms_mean > 0 and result.latency_ms_p90 > 0 and result.details["latency_runs"] >= 5
    assert [t.shape for t in result.inputs] == [[1, 3, 64, 64]]
    assert [t.shape for t in result.outputs] == [[1, 10]]
    assert_file_matches(Path(result.output), net)


def test_safetensors_restore(warm_worker, workspace, tiny, tmp_path) -> None:
    from safetensors.torch import save_file

    net = trained(tiny, seed=11)
    save_file(net.state_dict(), tmp_path / "w.safetensors")
    result = warm_worker.export(request_for(workspace, "TinyNet", tmp_path, checkpoint=str(tmp_path / "w.safetensors")))
    assert result.ok, result.message
    assert_file_matches(Path(result.output), net)


def test_pt2_archive_is_its_own_source(warm_worker, workspace, tiny, tmp_path) -> None:
    net = trained(tiny, seed=5)
    torch.export.save(torch.export.export(net, (torch.randn(1, 3, 16, 16),)), tmp_path / "prog.pt2")
    result = warm_worker.export(
        request_for(workspace, None, tmp_path, source=str(tmp_path / "prog.pt2"))
    )
    assert result.ok, result.message
    assert_file_matches(Path(result.output), net, shape=(1, 3, 16, 16))


def test_whole_model_needs_opt_in(warm_worker, workspace, tiny, tmp_path) -> None:
    net = trained(tiny, seed=9)
    torch.save(net, tmp_path / "whole.pt")
    refused = warm_worker.export(request_for(workspace, None, tmp_path, source=str(tmp_path / "whole.pt")))
    assert not refused.ok and refused.stage == "restore"
    assert "runs code" in refused.message and "allow" in refused.message
    assert not list(tmp_path.glob("*.tflite"))
    allowed = warm_worker.export(
        request_for(workspace, None, tmp_path, source=str(tmp_path / "whole.pt"), allow_pickle=True)
    )
    assert allowed.ok, allowed.message
    assert_file_matches(Path(allowed.output), net)


def test_torchscript_is_rejected_with_a_reason(warm_worker, workspace, tiny, tmp_path) -> None:
    net = trained(tiny, seed=1)
    torch.jit.save(torch.jit.trace(net, (torch.randn(1, 3, 8, 8),)), tmp_path / "script.pt")
    result = warm_worker.export(request_for(workspace, "TinyNet", tmp_path, checkpoint=str(tmp_path / "script.pt")))
    assert not result.ok and result.stage == "restore"
    assert "TorchScript" in result.message and "state_dict" in result.message


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_corrupt_checkpoint(warm_worker, workspace, tiny, tmp_path, damage) -> None:
    torch.save(trained(tiny, seed=2).state_dict(), tmp_path / "good.pt")
    data = (tmp_path / "good.pt").read_bytes()
    bad = data[: len(data) // 2] if damage == "truncated" else b"\x80\x04garbage" * 50
    (tmp_path / "bad.pt").write_bytes(bad)
    result = warm_worker.export(request_for(workspace, "TinyNet", tmp_path, checkpoint=str(tmp_path / "bad.pt")))
    assert not result.ok and result.stage == "restore"
    assert "bad.pt" in result.message and "corrupt" in result.message
    assert not list(tmp_path.glob("*.tflite"))


def test_wrong_architecture_is_reported_key_by_key(warm_worker, workspace, tiny, tmp_path) -> None:
    other = tiny.TinyNet(num_classes=5).state_dict()
    other["extra.weight"] = torch.zeros(2)
    del other["bn.running_var"]
    torch.save(other, tmp_path / "other.pt")
    result = warm_worker.export(request_for(workspace, "TinyNet", tmp_path, checkpoint=str(tmp_path / "other.pt")))
    assert not result.ok and result.stage == "restore"
    assert "missing from the checkpoint (1): bn.running_var" in result.message
    assert "not in TinyNet (1): extra.weight" in result.message
    assert "fc.weight: checkpoint [5, 8], model [10, 8]" in result.message
    assert "fc.bias: checkpoint [5], model [10]" in result.message


def test_missing_checkpoint(warm_worker, workspace, tmp_path) -> None:
    result = warm_worker.export(request_for(workspace, "TinyNet", tmp_path, checkpoint=str(tmp_path / "nope.pt")))
    assert not result.ok and "does not exist" in result.message


def test_unconvertible_op_points_at_its_line(warm_worker, workspace, tmp_path) -> None:
    result = warm_worker.export(request_for(workspace, "SvdNet", tmp_path, write_output=False, output=None))
    assert not result.ok and result.stage == "convert"
    line = next(i for i, text in enumerate((workspace / "tiny.py").read_text().splitlines(), 1) if "svdvals" in text)
    assert [(Path(f.path).name, f.line) for f in result.failures] == [("tiny.py", line)]
    assert "_linalg_svd" in result.failures[0].message


@pytest.mark.parametrize(("model", "origin", "shape"), [
    ("Tokens", "Embedding", [1, 16]),
    ("WithExamples", "example_inputs", [2, 5]),
])
def test_example_inputs_are_found(warm_worker, workspace, tmp_path, model, origin, shape) -> None:
    result = warm_worker.export(request_for(workspace, model, tmp_path, write_output=False, output=None))
    assert result.ok, result.message
    assert origin in result.details["inputs_from"]
    assert result.inputs[0].shape == shape
    assert result.output is None and not list(tmp_path.iterdir())


def test_no_input_hint_says_what_to_add(warm_worker, workspace, tmp_path) -> None:
    result = warm_worker.export(request_for(workspace, "NoHint", tmp_path))
    assert not result.ok
    assert "[tool.litert-lsp.models.NoHint]" in result.message and "input-shape" in result.message


@pytest.mark.parametrize("quantize", ["int8", "float16"])
def test_quantized_exports_verify(warm_worker, workspace, tiny, tmp_path, quantize) -> None:
    net = trained(tiny, seed=4)
    torch.save(net.state_dict(), tmp_path / "w.pt")
    plain = warm_worker.export(request_for(workspace, "TinyNet", tmp_path, checkpoint=str(tmp_path / "w.pt"),
                                           input_shapes=[[1, 3, 32, 32]], output=str(tmp_path / "f32.tflite")))
    result = warm_worker.export(request_for(workspace, "TinyNet", tmp_path, checkpoint=str(tmp_path / "w.pt"),
                                            input_shapes=[[1, 3, 32, 32]], quantize=quantize))
    assert plain.ok and result.ok, result.message
    assert result.details["tolerance"]["rtol"] > plain.details["tolerance"]["rtol"]
    histogram = runtime.op_histogram(Path(result.output))
    assert "DEQUANTIZE" in histogram or result.size_bytes < plain.size_bytes


def test_wrong_numbers_fail_verification(warm_worker, workspace, tmp_path) -> None:
    """max_pool2d's indices convert and run but come back wrong: only the comparison catches it."""
    result = warm_worker.export(request_for(workspace, "PoolIndices", tmp_path, input_shapes=[[1, 2, 8, 8]]))
    assert not result.ok and result.status == "mismatch" and result.stage == "verify"
    assert result.details["code"] == "LRT902"  # kept for JSON readers older than `status`
    assert "disagrees with PyTorch" in result.message and result.max_abs_error >= 1
    assert not list(tmp_path.iterdir())
