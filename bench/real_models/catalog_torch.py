"""The PyTorch architectures of the real-model suite: transformers, timm and torchvision, tiny.

Each entry builds library code nobody here wrote from a tiny configuration with random
weights (seeded; nothing downloaded) and wraps it so `forward` takes plain tensors and
returns one tensor (logits, or the last hidden state). Listing the catalog imports no
framework: builders import their library when called, in the measuring subprocess.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# No hub: every weight is random, every config is given here.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

VOCAB = 99
SEQUENCE = 16
IMAGE = 64
CLASSES = 5
SEED = 0

Built = tuple[Any, tuple[Any, ...]]  # (torch.nn.Module, example input tensors)


@dataclass(frozen=True)
class Entry:
    id: str  # "<library>/<architecture>"
    library: str  # "transformers" | "timm" | "torchvision"
    build: Callable[[], Built]


# ---- wrappers: plain tensors in, one tensor out ----------------------------------------


def _pick(output: Any) -> Any:
    """The one tensor a user compares: logits if the model has them, else the last hidden state."""
    import torch

    if isinstance(output, torch.Tensor):
        return output
    for name in ("logits", "last_hidden_state"):
        value = getattr(output, name, None)
        if isinstance(value, torch.Tensor):
            return value
    if isinstance(output, (tuple, list)) and output and isinstance(output[0], torch.Tensor):
        return output[0]
    raise TypeError(f"no tensor output to compare in {type(output).__name__}")


def _wrap(model: Any, names: tuple[str, ...], extra: dict[str, Any]) -> Any:
    """A module whose forward takes `names` positionally (torch.export and litert-torch see
    plain tensors) and passes `extra` (use_cache=False, ...) as keywords."""
    import torch

    class OneTensor(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
            return _pick(self.model(**dict(zip(names, tensors)), **extra))

    return OneTensor().eval()


def _no_zero_parameters(module: Any) -> Any:
    """Give every all-zero floating parameter seeded random values.

    Libraries zero-initialise classifier heads, residual-branch norms, layer scales and
    attention biases (a training trick). With those zeros a whole branch, or the whole output,
    is identically zero, and any conversion of it "matches": trained weights are never zero.
    """
    import torch

    generator = torch.Generator().manual_seed(SEED + 1)
    with torch.no_grad():
        for parameter in module.parameters():
            if parameter.is_floating_point() and parameter.numel() and not parameter.any():
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.02)
    return module


def _seed() -> Any:
    import torch

    torch.manual_seed(SEED)
    return torch.Generator().manual_seed(SEED)


def _tokens(generator: Any, length: int = SEQUENCE) -> Any:
    import torch

    # Ids from 3 up: 0-2 are pad/bos/eos in many configs.
    return torch.randint(3, VOCAB, (1, length), generator=generator, dtype=torch.int64)


def _image(generator: Any, size: int = IMAGE) -> Any:
    import torch

    return torch.randn(1, 3, size, size, generator=generator)


# ---- transformers ----------------------------------------------------------------------

TEXT = {"vocab_size": VOCAB, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
        "intermediate_size": 37, "max_position_embeddings": 64}
# Decoders as shipped: fewer key/value heads than query heads where the family uses GQA.
DECODER = dict(TEXT, num_key_value_heads=1)


def _hf(config: str, model: str, kind: str, length: int = SEQUENCE, size: int = IMAGE,
        **settings: Any) -> Callable[[], Built]:
    """kind: "text" (input_ids), "causal" (input_ids, use_cache=False), "seq2seq" (input_ids
    and decoder_input_ids), "image" (pixel_values)."""

    def build() -> Built:
        import transformers

        generator = _seed()
        cfg = getattr(transformers, config)(**settings)
        if kind == "image" and hasattr(cfg, "num_labels"):
            cfg.num_labels = CLASSES
        module = _no_zero_parameters(getattr(transformers, model)(cfg).eval())
        if kind == "image":
            return _wrap(module, ("pixel_values",), {}), (_image(generator, size),)
        if kind == "seq2seq":
            inputs = (_tokens(generator, length), _tokens(generator, length // 2))
            return _wrap(module, ("input_ids", "decoder_input_ids"), {"use_cache": False}), inputs
        extra = {"use_cache": False} if kind == "causal" else {}
        return _wrap(module, ("input_ids",), extra), (_tokens(generator, length),)

    return build


def _detr() -> Built:
    import transformers

    generator = _seed()
    backbone = transformers.ResNetConfig(embedding_size=8, hidden_sizes=[8, 16], depths=[1, 1],
                                         layer_type="basic", out_features=["stage2"])
    cfg = transformers.DetrConfig(use_timm_backbone=False, backbone_config=backbone,
                                  use_pretrained_backbone=False, d_model=32, encoder_layers=2,
                                  decoder_layers=2, encoder_attention_heads=2, decoder_attention_heads=2,
                                  encoder_ffn_dim=37, decoder_ffn_dim=37, num_queries=8, num_labels=CLASSES)
    module = _no_zero_parameters(transformers.DetrForObjectDetection(cfg).eval())
    return _wrap(module, ("pixel_values",), {}), (_image(generator),)


TRANSFORMERS: dict[str, Callable[[], Built]] = {
    # encoders
    "bert": _hf("BertConfig", "BertModel", "text", **TEXT),
    "roberta": _hf("RobertaConfig", "RobertaModel", "text", **TEXT),
    "distilbert": _hf("DistilBertConfig", "DistilBertModel", "text", vocab_size=VOCAB, dim=32, n_layers=2,
                      n_heads=2, hidden_dim=37, max_position_embeddings=64),
    "albert": _hf("AlbertConfig", "AlbertModel", "text", embedding_size=16, **TEXT),
    "electra": _hf("ElectraConfig", "ElectraModel", "text", embedding_size=32, **TEXT),
    "deberta": _hf("DebertaConfig", "DebertaModel", "text", relative_attention=True,
                   pos_att_type=["c2p", "p2c"], **TEXT),
    "deberta_v2": _hf("DebertaV2Config", "DebertaV2Model", "text", relative_attention=True,
                      pos_att_type=["p2c", "c2p"], position_buckets=8, norm_rel_ebd="layer_norm",
                      share_att_key=True, **TEXT),
    "mpnet": _hf("MPNetConfig", "MPNetModel", "text", **TEXT),
    "funnel": _hf("FunnelConfig", "FunnelModel", "text", vocab_size=VOCAB, block_sizes=[1, 1],
                  num_decoder_layers=1, d_model=32, n_head=2, d_head=16, d_inner=37),
    "squeezebert": _hf("SqueezeBertConfig", "SqueezeBertModel", "text", embedding_size=32,
                       q_groups=2, k_groups=2, v_groups=2, post_attention_groups=2, intermediate_groups=4,
                       output_groups=1, **dict(TEXT, intermediate_size=64)),
    "xlnet": _hf("XLNetConfig", "XLNetModel", "text", vocab_size=VOCAB, d_model=32, n_layer=2, n_head=2,
                 d_inner=37, use_mems_eval=False),
    "fnet": _hf("FNetConfig", "FNetModel", "text", use_tpu_fourier_optimizations=False,
                **{k: v for k, v in TEXT.items() if k != "num_attention_heads"}),
    "nystromformer": _hf("NystromformerConfig", "NystromformerModel", "text", num_landmarks=4,
                         segment_means_seq_len=SEQUENCE, **TEXT),
    "reformer": _hf("ReformerConfig", "ReformerModel", "text", vocab_size=VOCAB, hidden_size=32,
                    num_attention_heads=2, attention_head_size=16, feed_forward_size=37,
                    attn_layers=["local", "lsh"], axial_pos_embds=True, axial_pos_shape=[4, 4],
                    axial_pos_embds_dim=[16, 16], max_position_embeddings=SEQUENCE,
                    local_attn_chunk_length=4, lsh_attn_chunk_length=4, num_buckets=2, num_hashes=1),
    "mobilebert": _hf("MobileBertConfig", "MobileBertModel", "text", embedding_size=16,
                      intra_bottleneck_size=16, true_hidden_size=16, num_feedforward_networks=2, **TEXT),
    # decoders
    "gpt2": _hf("GPT2Config", "GPT2LMHeadModel", "causal", vocab_size=VOCAB, n_embd=32, n_layer=2,
                n_head=2, n_inner=37, n_positions=64),
    "gpt_neo": _hf("GPTNeoConfig", "GPTNeoForCausalLM", "causal", vocab_size=VOCAB, hidden_size=32,
                   num_layers=2, num_heads=2, attention_types=[[["global", "local"], 1]], window_size=8,
                   intermediate_size=37, max_position_embeddings=64),
    "opt": _hf("OPTConfig", "OPTForCausalLM", "causal", vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2,
               ffn_dim=37, num_attention_heads=2, word_embed_proj_dim=32, max_position_embeddings=64),
    "bloom": _hf("BloomConfig", "BloomForCausalLM", "causal", vocab_size=VOCAB, hidden_size=32, n_layer=2,
                 n_head=2),
    "llama": _hf("LlamaConfig", "LlamaForCausalLM", "causal", **DECODER),
    "mistral": _hf("MistralConfig", "MistralForCausalLM", "causal", **DECODER),
    "qwen2": _hf("Qwen2Config", "Qwen2ForCausalLM", "causal", **DECODER),
    "gemma": _hf("GemmaConfig", "GemmaForCausalLM", "causal", head_dim=16, **DECODER),
    "phi": _hf("PhiConfig", "PhiForCausalLM", "causal", **TEXT),
    # Experts' grouped matmul wants rows that are multiples of 16 bytes: intermediate 64.
    "mixtral": _hf("MixtralConfig", "MixtralForCausalLM", "causal", num_local_experts=4,
                   num_experts_per_tok=2, **dict(DECODER, intermediate_size=64)),
    "qwen2_moe": _hf("Qwen2MoeConfig", "Qwen2MoeForCausalLM", "causal", num_experts=4, num_experts_per_tok=2,
                     moe_intermediate_size=16, shared_expert_intermediate_size=32, decoder_sparse_step=1,
                     **DECODER),
    "falcon": _hf("FalconConfig", "FalconForCausalLM", "causal", vocab_size=VOCAB, hidden_size=32,
                  num_hidden_layers=2, num_attention_heads=2),
    "gptj": _hf("GPTJConfig", "GPTJForCausalLM", "causal", vocab_size=VOCAB, n_embd=32, n_layer=2, n_head=2,
                n_inner=37, rotary_dim=8, n_positions=64),
    "gpt_bigcode": _hf("GPTBigCodeConfig", "GPTBigCodeForCausalLM", "causal", vocab_size=VOCAB, n_embd=32,
                       n_layer=2, n_head=2, n_inner=37, n_positions=64, multi_query=True),
    "stablelm": _hf("StableLmConfig", "StableLmForCausalLM", "causal", **dict(TEXT, num_key_value_heads=2)),
    # sequence to sequence
    "t5": _hf("T5Config", "T5ForConditionalGeneration", "seq2seq", vocab_size=VOCAB, d_model=32, d_kv=16,
              d_ff=37, num_layers=2, num_heads=2, relative_attention_num_buckets=8, decoder_start_token_id=0),
    "bart": _hf("BartConfig", "BartForConditionalGeneration", "seq2seq", vocab_size=VOCAB, d_model=32,
                encoder_layers=2, decoder_layers=2, encoder_attention_heads=2, decoder_attention_heads=2,
                encoder_ffn_dim=37, decoder_ffn_dim=37, max_position_embeddings=64),
    "switch_transformers": _hf("SwitchTransformersConfig", "SwitchTransformersForConditionalGeneration",
                               "seq2seq", vocab_size=VOCAB, d_model=32, d_kv=16, d_ff=37, num_layers=2,
                               num_decoder_layers=2, num_heads=2, num_experts=4, expert_capacity=8,
                               relative_attention_num_buckets=8, decoder_start_token_id=0),
    # vision
    "vit": _hf("ViTConfig", "ViTForImageClassification", "image", image_size=IMAGE, patch_size=8,
               hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37),
    "deit": _hf("DeiTConfig", "DeiTForImageClassification", "image", image_size=IMAGE, patch_size=8,
                hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37),
    "swin": _hf("SwinConfig", "SwinForImageClassification", "image", image_size=IMAGE, patch_size=4,
                embed_dim=16, depths=[1, 1], num_heads=[2, 2], window_size=4),
    "convnext": _hf("ConvNextConfig", "ConvNextForImageClassification", "image", hidden_sizes=[8, 16],
                    depths=[1, 1], num_stages=2),
    "resnet": _hf("ResNetConfig", "ResNetForImageClassification", "image", embedding_size=8,
                  hidden_sizes=[8, 16], depths=[1, 1], layer_type="basic"),
    "mobilevit": _hf("MobileViTConfig", "MobileViTForImageClassification", "image", image_size=IMAGE,
                     patch_size=2, hidden_sizes=[16, 24, 32], neck_hidden_sizes=[8, 8, 16, 16, 24, 32, 64],
                     num_attention_heads=2),
    "mobilevitv2": _hf("MobileViTV2Config", "MobileViTV2ForImageClassification", "image", image_size=IMAGE,
                       width_multiplier=0.25),
    "segformer": _hf("SegformerConfig", "SegformerForSemanticSegmentation", "image", num_encoder_blocks=4,
                     depths=[1, 1, 1, 1], sr_ratios=[8, 4, 2, 1], hidden_sizes=[8, 8, 16, 16],
                     num_attention_heads=[1, 1, 2, 2], decoder_hidden_size=16),
    "levit": _hf("LevitConfig", "LevitForImageClassification", "image", image_size=IMAGE,
                 hidden_sizes=[16, 32, 48], num_attention_heads=[1, 2, 3], depths=[1, 1, 1], key_dim=[8, 8, 8]),
    "poolformer": _hf("PoolFormerConfig", "PoolFormerForImageClassification", "image",
                      hidden_sizes=[16, 32, 64, 128], depths=[1, 1, 1, 1]),
    "yolos": _hf("YolosConfig", "YolosForObjectDetection", "image", image_size=[IMAGE, IMAGE], patch_size=8,
                 hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37,
                 num_detection_tokens=5),
    "detr": _detr,
    "beit": _hf("BeitConfig", "BeitForImageClassification", "image", image_size=IMAGE, patch_size=8,
                hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37,
                use_relative_position_bias=True),
    "dinov2": _hf("Dinov2Config", "Dinov2Model", "image", image_size=IMAGE, patch_size=8, hidden_size=32,
                  num_hidden_layers=2, num_attention_heads=2, mlp_ratio=2),
}


# ---- timm --------------------------------------------------------------------------------


def _timm(name: str, size: int = IMAGE, **settings: Any) -> Callable[[], Built]:
    def build() -> Built:
        from bench.real_models import torchvision_shim

        torchvision_shim.install()  # timm imports torchvision.ops.misc
        import timm

        generator = _seed()
        module = _no_zero_parameters(timm.create_model(name, pretrained=False, num_classes=CLASSES, **settings).eval())
        return module, (_image(generator, size),)

    return build


TIMM: dict[str, Callable[[], Built]] = {
    "resnet18": _timm("resnet18"),
    "efficientnet_b0": _timm("efficientnet_b0"),
    "mobilenetv3_small_100": _timm("mobilenetv3_small_100"),
    "convnext_atto": _timm("convnext_atto"),
    "vit_tiny_patch16_224": _timm("vit_tiny_patch16_224", img_size=IMAGE),
    "deit_tiny_patch16_224": _timm("deit_tiny_patch16_224", img_size=IMAGE),
    "swin_tiny_patch4_window7_224": _timm("swin_tiny_patch4_window7_224", img_size=IMAGE, window_size=4),
    "xcit_nano_12_p16_224": _timm("xcit_nano_12_p16_224", img_size=IMAGE),
    "edgenext_xx_small": _timm("edgenext_xx_small"),
    "halonet26t": _timm("halonet26t", size=256, img_size=256),  # halo blocks of 8 down to stride 32
    "levit_128s": _timm("levit_128s", size=128, img_size=128),
    "poolformer_s12": _timm("poolformer_s12"),
    "mixer_s16_224": _timm("mixer_s16_224", img_size=IMAGE),
    "regnetx_002": _timm("regnetx_002"),
    "ghostnet_100": _timm("ghostnet_100"),
    "rexnet_100": _timm("rexnet_100"),
    "mobilevit_xxs": _timm("mobilevit_xxs"),
    "efficientformer_l1": _timm("efficientformer_l1", size=224),  # attention biases fixed at 7x7
    "mobileone_s0": _timm("mobileone_s0"),
}


# ---- torchvision (pure-Python models only: its C extension does not load here) -------------


def _torchvision(name: str, **settings: Any) -> Callable[[], Built]:
    def build() -> Built:
        from bench.real_models import torchvision_shim

        torchvision_shim.install()
        import torchvision

        generator = _seed()
        factory = getattr(torchvision.models, name)
        module = _no_zero_parameters(factory(weights=None, num_classes=CLASSES, **settings).eval())
        return module, (_image(generator),)

    return build


def _torchvision_vit() -> Built:
    from bench.real_models import torchvision_shim

    torchvision_shim.install()
    from torchvision.models.vision_transformer import VisionTransformer

    generator = _seed()
    module = VisionTransformer(image_size=IMAGE, patch_size=8, num_layers=2, num_heads=2, hidden_dim=32,
                               mlp_dim=37, num_classes=CLASSES).eval()
    module = _no_zero_parameters(module)
    return module, (_image(generator),)


TORCHVISION: dict[str, Callable[[], Built]] = {
    "resnet18": _torchvision("resnet18"),
    "mobilenet_v2": _torchvision("mobilenet_v2"),
    "mobilenet_v3_small": _torchvision("mobilenet_v3_small"),
    "efficientnet_b0": _torchvision("efficientnet_b0"),
    "squeezenet1_0": _torchvision("squeezenet1_0"),
    "shufflenet_v2_x0_5": _torchvision("shufflenet_v2_x0_5"),
    "regnet_y_400mf": _torchvision("regnet_y_400mf"),
    "vit": _torchvision_vit,
}


def catalog() -> list[Entry]:
    """Every architecture of the suite, in a stable order."""
    entries = []
    for library, table in (("transformers", TRANSFORMERS), ("timm", TIMM), ("torchvision", TORCHVISION)):
        entries.extend(Entry(f"{library}/{name}", library, build) for name, build in table.items())
    return entries


def entry(model_id: str) -> Entry:
    for candidate in catalog():
        if candidate.id == model_id:
            return candidate
    raise KeyError(f"no model {model_id!r} in the PyTorch catalog")
