"""Which weights of a training checkpoint are restored, and the report saying so (#13).

The choice runs on real checkpoint objects (made here with torch); the slow test exports
a timm-style EMA checkpoint through the real worker and checks the written .tflite really
holds the EMA weights, then the raw ones with `weights="model"`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from litert_lsp.jobs.job import ExportError  # noqa: E402 - after the skip
from litert_lsp.worker.torch.restore import choose_weights  # noqa: E402


def _state(value: float) -> dict:
    return {"fc.weight": torch.full((2, 2), value), "fc.bias": torch.full((2,), value)}


def test_ema_weights_are_preferred_and_the_others_listed() -> None:
    chosen = choose_weights({"epoch": 3, "state_dict": _state(1.0), "state_dict_ema": _state(2.0),
                             "optimizer": {"state": {}, "param_groups": []}}, "run.pth", None)
    assert chosen.key == "state_dict_ema" and chosen.ema
    assert float(chosen["fc.bias"][0]) == 2.0
    assert chosen.describe() == ("key 'state_dict_ema' (EMA weights); also in this file: state_dict "
                                 "(choose with --weights KEY)")


def test_a_named_key_wins_even_over_ema() -> None:
    chosen = choose_weights({"model": _state(1.0), "model_ema": _state(2.0)}, "run.pth", "model")
    assert chosen.key == "model" and not chosen.ema and float(chosen["fc.bias"][0]) == 1.0


def test_a_dotted_key_path_reaches_nested_weights() -> None:
    chosen = choose_weights({"state": {"model": _state(1.0), "ema_model": _state(3.0)}}, "run.pth", "state.model")
    assert float(chosen["fc.bias"][0]) == 1.0 and chosen.alternatives == ("state.ema_model",)


def test_an_unknown_key_lists_the_keys_that_hold_weights() -> None:
    with pytest.raises(ExportError) as caught:
        choose_weights({"model": _state(1.0), "step": torch.tensor(3)}, "run.pth", "modle")
    assert "has no key 'modle'; the keys that hold weights are: model" in str(caught.value)


def test_without_ema_the_usual_key_is_named() -> None:
    chosen = choose_weights({"model_state_dict": _state(1.0), "epoch": 1}, "run.pth", None)
    assert chosen.key == "model_state_dict" and not chosen.ema and chosen.alternatives == ()
    plain = choose_weights(_state(1.0), "plain.pt", None)
    assert plain.key is None and plain.describe() == "the top level"


@pytest.mark.slow
def test_ema_checkpoint_exports_the_ema_weights(warm_worker, workspace, tmp_path: Path) -> None:
    pytest.importorskip("litert_torch")
    import importlib
    import sys

    from litert_lsp.worker import runtime
    from tests.export.conftest import request_for

    sys.path.insert(0, str(workspace))
    sys.modules.pop("tiny", None)
    try:
        tiny = importlib.import_module("tiny")
        raw, ema = tiny.TinyNet().eval(), tiny.TinyNet().eval()
        with torch.no_grad():
            for parameter in ema.parameters():
                parameter.add_(0.3)
        torch.save({"model": raw.state_dict(), "model_ema": {f"module.{k}": v for k, v in ema.state_dict().items()}},
                   tmp_path / "train.pth")
        x = torch.randn(1, 3, 64, 64)
        for key, net in ((None, ema), ("model", raw)):
            result = warm_worker.export(request_for(workspace, "TinyNet", tmp_path, checkpoint=str(tmp_path / "train.pth"),
                                                    weights=key, output=str(tmp_path / f"{key}.tflite")))
            assert result.ok, result.message
            assert ("EMA weights" in result.details["weights"]) == (key is None)
            with torch.no_grad():
                expected = net(x).numpy()
            assert runtime.compare(runtime.run(Path(result.output), [x.numpy()]), [expected], 1e-4, 1e-3).ok
    finally:
        sys.path.remove(str(workspace))
        sys.modules.pop("tiny", None)


def test_generated_script_restores_the_same_weights(tmp_path: Path) -> None:
    from litert_lsp.jobs.job import ExportRequest
    from litert_lsp.jobs.script import render

    (tmp_path / "net.py").write_text("import torch\nclass Net(torch.nn.Module):\n    pass\n")
    request = ExportRequest(source=str(tmp_path / "net.py"), model="Net", checkpoint=str(tmp_path / "run.pth"),
                            weights="state.model_ema")
    text = render(request, tmp_path / "export_net.py")
    compile(text, "export_net.py", "exec")
    assert "WEIGHTS_KEY = 'state.model_ema'" in text
    # Without a key the script looks at the EMA keys before the plain ones, as the worker does.
    default = render(ExportRequest(source=str(tmp_path / "net.py"), model="Net"), tmp_path / "export_net.py")
    assert default.index("'state_dict_ema'") < default.index("'state_dict',")


def test_a_prefix_every_key_shares_is_removed_when_it_makes_keys_fit() -> None:
    from litert_lsp.worker.torch.restore import strip_prefixes

    wrapped = {f"bert.{k}": v for k, v in _state(1.0).items()}
    weights, removed = strip_prefixes(wrapped, {"fc.weight", "fc.bias"})
    assert removed == ["bert."] and set(weights) == {"fc.weight", "fc.bias"}
    # A shared first name that the model has too is the model's own: kept.
    same, kept = strip_prefixes(_state(1.0), {"fc.weight", "fc.bias"})
    assert kept == [] and set(same) == {"fc.weight", "fc.bias"}
