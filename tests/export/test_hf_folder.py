"""Hugging Face `save_pretrained` folders as an export source (#13): recognised without
transformers, routed to the PyTorch worker, and exported for real from folders made here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from litert_lsp.core.settings import Settings
from litert_lsp.jobs.framework import is_tensorflow
from litert_lsp.jobs.job import ExportRequest
from litert_lsp.jobs.plan import PlanError, plan_export
from litert_lsp.models.hf_folder import hf_folder


def _fake_folder(root: Path, weights: str = "model.safetensors", config: object = None) -> Path:
    folder = root / "tiny-bert"
    folder.mkdir()
    config = config if config is not None else {"model_type": "bert", "architectures": ["BertForMaskedLM"]}
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    (folder / weights).write_bytes(b"\0" * 16)
    return folder


@pytest.mark.parametrize("pointed", ["", "config.json", "model.safetensors"])
def test_the_folder_its_config_or_its_weights_name_the_folder(tmp_path: Path, pointed: str) -> None:
    folder = _fake_folder(tmp_path)
    found = hf_folder(folder / pointed if pointed else folder)
    assert found is not None and found.path == folder
    assert found.model_type == "bert" and found.architectures == ["BertForMaskedLM"]
    assert not is_tensorflow(ExportRequest(source=str(folder)))


@pytest.mark.parametrize("config", [{"architectures": ["X"]}, ["not", "a", "table"], "{broken"])
def test_a_folder_without_a_model_config_is_not_one(tmp_path: Path, config: object) -> None:
    folder = _fake_folder(tmp_path, config=config)
    if isinstance(config, str):
        (folder / "config.json").write_text(config, encoding="utf-8")
    assert hf_folder(folder) is None


def test_no_weights_file_is_not_a_folder_to_export(tmp_path: Path) -> None:
    folder = _fake_folder(tmp_path, weights="README.md")
    assert hf_folder(folder) is None


def test_plan_names_the_class_and_refuses_a_checkpoint(tmp_path: Path) -> None:
    folder = _fake_folder(tmp_path)
    choice = plan_export(folder / "model.safetensors", Settings(), tmp_path, write_output=False)
    assert choice.request.source == str(folder)
    assert any("BertForMaskedLM, built from its config.json" in note for note in choice.notes)
    with pytest.raises(PlanError, match="carries its weights"):
        plan_export(folder, Settings(), tmp_path, checkpoint=str(folder / "model.safetensors"), write_output=False)


@pytest.mark.slow
def test_exports_a_saved_folder_with_the_head_it_was_saved_with(warm_worker, tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from litert_lsp.worker import runtime

    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                     intermediate_size=37, num_labels=3)
    saved = transformers.BertForSequenceClassification(config).eval()
    saved.save_pretrained(tmp_path / "cls")
    choice = plan_export(tmp_path / "cls", Settings(), tmp_path, output=str(tmp_path / "cls.tflite"),
                         input_shapes=[[1, 8]])
    result = warm_worker.export(choice.request)
    assert result.ok, result.message
    assert result.details["model"] == "BertForSequenceClassification"
    assert result.details["hf_output"] == "logits"
    assert [t.shape for t in result.outputs] == [[1, 3]]
    ids = torch.randint(0, 99, (1, 8), dtype=torch.int32)
    with torch.no_grad():
        expected = saved(input_ids=ids).logits.numpy()
    actual = runtime.run(Path(result.output), [ids.numpy()])[0]
    assert runtime.compare([actual], [expected], 1e-4, 1e-3).ok  # the saved weights, not fresh ones

    wrong = plan_export(tmp_path / "cls", Settings(), tmp_path, output_names=["pooler_output"], write_output=False)
    refused = warm_worker.export(wrong.request)
    assert not refused.ok and "has no tensor output 'pooler_output'; it returns: logits" in refused.message
