"""The Keras real-model catalog: Keras applications, keras-hub backbones and Keras models that
LiteRT is expected to struggle with (recurrent stacks, string preprocessing, FFT mixers).

Every entry is built from a tiny config with random weights and no download (keras-hub presets
need the hub, so only backbone constructors are used). A builder returns `(model, inputs)`:
`inputs` is an ordered dict of example arrays, and `single` says whether the model takes the
one array itself rather than the dict. Keras is imported inside the builders so this module
(the ids, the libraries) can be read without TensorFlow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# keras_user: the user-style models of bench/real_models/keras_user (their own lines are scored).
LIBRARIES = ("keras", "keras_hub", "keras_user")

# Tiny text configs: small vocabulary and width, two layers, two heads, 8 tokens.
VOCAB = 64
HIDDEN = 32
FFN = 64
LAYERS = 2
HEADS = 2
SEQ = 8


@dataclass(frozen=True)
class Built:
    model: Any
    inputs: dict[str, Any]  # name -> numpy array, in the order the model is fed
    single: bool  # the model is called on the one array, not on the dict


@dataclass(frozen=True)
class Entry:
    id: str
    library: str
    build: Callable[[], Built]


def _rng() -> Any:
    import numpy as np

    return np.random.default_rng(0)


def _image(size: int, channels: int = 3) -> dict[str, Any]:
    return {"images": _rng().uniform(-1.0, 1.0, (1, size, size, channels)).astype("float32")}


def _tokens(*names: str, vocab: int = VOCAB, seq: int = SEQ) -> dict[str, Any]:
    """Token ids (and padding masks / segment ids) as keras-hub backbones name them."""
    import numpy as np

    out: dict[str, Any] = {}
    for name in names:
        if name.endswith("padding_mask"):
            out[name] = np.ones((1, seq), dtype="int32")
        elif name.endswith("segment_ids"):
            out[name] = np.array([[0] * (seq // 2) + [1] * (seq - seq // 2)], dtype="int32")
        else:
            out[name] = _rng().integers(1, vocab, (1, seq)).astype("int32")
    return out


# --- Keras applications (keras/src/applications) --------------------------------------------


def _app(name: str, size: int, **kwargs: Any) -> Callable[[], Built]:
    def build() -> Built:
        import keras

        constructor = getattr(keras.applications, name)
        # Logits, not softmax: a saturated softmax would hide disagreements.
        model = constructor(weights=None, input_shape=(size, size, 3), classes=5,
                            classifier_activation=None, **kwargs)
        return Built(model, _image(size), single=True)

    return build


APPLICATIONS = [
    ("mobilenet", "MobileNet", 32, {"alpha": 0.25}),
    ("mobilenet_v2", "MobileNetV2", 32, {"alpha": 0.35}),
    ("mobilenet_v3_small", "MobileNetV3Small", 32, {}),
    ("mobilenet_v3_large", "MobileNetV3Large", 32, {"minimalistic": True}),
    ("efficientnet_b0", "EfficientNetB0", 32, {}),
    ("efficientnet_v2_b0", "EfficientNetV2B0", 32, {}),
    ("resnet50", "ResNet50", 32, {}),
    ("resnet50_v2", "ResNet50V2", 32, {}),
    ("densenet121", "DenseNet121", 32, {}),
    ("nasnet_mobile", "NASNetMobile", 32, {}),
    ("convnext_tiny", "ConvNeXtTiny", 32, {}),
    ("vgg19", "VGG19", 32, {}),
    ("xception", "Xception", 71, {}),
    ("inception_v3", "InceptionV3", 75, {}),
    ("inception_resnet_v2", "InceptionResNetV2", 75, {}),
    ("vgg16", "VGG16", 32, {}),
]


# --- keras-hub backbones (keras_hub/src/models) -----------------------------------------------


def _hub(name: str, inputs: Callable[[], dict[str, Any]], **config: Any) -> Callable[[], Built]:
    def build() -> Built:
        import keras_hub

        model = getattr(keras_hub.models, name)(**config)
        feed = inputs()
        # Image backbones are functional models over one unnamed input: they take the array.
        return Built(model, feed, single=list(feed) == ["images"])

    return build


def _text(*names: str) -> Callable[[], dict[str, Any]]:
    return lambda: _tokens(*names)


_ENC = _text("token_ids", "segment_ids", "padding_mask")
_DEC = _text("token_ids", "padding_mask")
_BERTLIKE = {"vocabulary_size": VOCAB, "num_layers": LAYERS, "num_heads": HEADS,
             "hidden_dim": HIDDEN, "intermediate_dim": FFN}
_GQA = {"vocabulary_size": VOCAB, "num_layers": LAYERS, "num_query_heads": HEADS,
        "num_key_value_heads": 1, "hidden_dim": HIDDEN, "intermediate_dim": FFN}


def _seq2seq() -> dict[str, Any]:
    return _tokens("encoder_token_ids", "encoder_padding_mask", "decoder_token_ids", "decoder_padding_mask")


def _whisper_inputs() -> dict[str, Any]:
    features = _rng().normal(size=(1, 32, 16)).astype("float32")
    return {"encoder_features": features, **_tokens("decoder_token_ids", "decoder_padding_mask")}


def _pixels(size: int) -> Callable[[], dict[str, Any]]:
    return lambda: _image(size)


def _segformer() -> Built:
    import keras_hub

    encoder = keras_hub.models.MiTBackbone(
        layerwise_depths=[1, 1], num_layers=2, layerwise_num_heads=[1, 2], layerwise_sr_ratios=[2, 1],
        max_drop_path_rate=0.0, layerwise_patch_sizes=[7, 3], layerwise_strides=[4, 2],
        image_shape=(32, 32, 3), hidden_dims=[16, 32],
    )
    model = keras_hub.models.SegFormerBackbone(image_encoder=encoder, projection_filters=16)
    return Built(model, _image(32), single=True)


HUB: list[tuple[str, str, Callable[[], dict[str, Any]], dict[str, Any]]] = [
    ("bert", "BertBackbone", _ENC, {**_BERTLIKE, "max_sequence_length": 16}),
    ("distil_bert", "DistilBertBackbone", _DEC, {**_BERTLIKE, "max_sequence_length": 16}),
    ("roberta", "RobertaBackbone", _DEC, {**_BERTLIKE, "max_sequence_length": 16}),
    ("albert", "AlbertBackbone", _ENC, {**_BERTLIKE, "embedding_dim": 16, "max_sequence_length": 16}),
    ("electra", "ElectraBackbone", _ENC, {**{k: v for k, v in _BERTLIKE.items() if k != "vocabulary_size"},
                                          "vocab_size": VOCAB, "embedding_dim": 16, "max_sequence_length": 16}),
    ("deberta_v3", "DebertaV3Backbone", _DEC, {**_BERTLIKE, "max_sequence_length": 16, "bucket_size": 4}),
    ("f_net", "FNetBackbone", _text("token_ids", "segment_ids"),
     {"vocabulary_size": VOCAB, "num_layers": LAYERS, "hidden_dim": HIDDEN, "intermediate_dim": FFN,
      "max_sequence_length": 16}),
    ("gpt2", "GPT2Backbone", _DEC, {**_BERTLIKE, "max_sequence_length": 16}),
    ("opt", "OPTBackbone", _DEC, {**_BERTLIKE, "max_sequence_length": 16}),
    ("bloom", "BloomBackbone", _DEC, dict(_BERTLIKE)),
    ("gpt_neox", "GPTNeoXBackbone", _DEC, {**_BERTLIKE, "max_sequence_length": 16}),
    ("llama", "LlamaBackbone", _DEC, dict(_GQA)),
    ("mistral", "MistralBackbone", _DEC, dict(_GQA)),
    ("gemma", "GemmaBackbone", _DEC, {**_GQA, "head_dim": 16}),
    ("gemma3", "Gemma3Backbone", _DEC, {**_GQA, "head_dim": 16, "image_size": 16}),
    ("qwen", "QwenBackbone", _DEC, dict(_GQA)),
    ("qwen3", "Qwen3Backbone", _DEC, {**_GQA, "head_dim": 16}),
    ("phi3", "Phi3Backbone", _DEC, {**_GQA, "num_key_value_heads": HEADS}),
    ("mixtral", "MixtralBackbone", _DEC, {**_GQA, "num_experts": 4, "top_k": 2}),
    ("esm2", "ESM2Backbone", _text("token_ids"), {**_BERTLIKE, "max_sequence_length": 16}),
    ("falcon", "FalconBackbone", _DEC, {"vocabulary_size": VOCAB, "num_layers": LAYERS,
                                        "num_attention_heads": HEADS, "hidden_dim": HIDDEN,
                                        "intermediate_dim": FFN}),
    ("roformer_v2", "RoformerV2Backbone", _ENC, {**_BERTLIKE, "head_size": 16}),
    ("xlnet", "XLNetBackbone", _ENC, dict(_BERTLIKE)),
    ("t5", "T5Backbone", _seq2seq, dict(_BERTLIKE)),
    ("bart", "BartBackbone", _seq2seq, {**_BERTLIKE, "max_sequence_length": 16}),
    ("whisper", "WhisperBackbone", _whisper_inputs,
     {**_BERTLIKE, "num_mels": 16, "max_encoder_sequence_length": 32, "max_decoder_sequence_length": 16}),
    ("rwkv7", "RWKV7Backbone", _DEC, {"hidden_size": HIDDEN, "head_size": 16, "num_layers": LAYERS,
                                      "vocabulary_size": VOCAB, "intermediate_dim": FFN, "gate_lora": 8,
                                      "mv_lora": 8, "aaa_lora": 8, "decay_lora": 8}),
    ("vit", "ViTBackbone", _pixels(32), {"image_shape": (32, 32, 3), "patch_size": 8, "num_layers": LAYERS,
                                         "num_heads": HEADS, "hidden_dim": HIDDEN, "mlp_dim": FFN}),
    ("deit", "DeiTBackbone", _pixels(32), {"image_shape": (32, 32, 3), "patch_size": 8, "num_layers": LAYERS,
                                           "num_heads": HEADS, "hidden_dim": HIDDEN, "intermediate_dim": FFN}),
    ("resnet", "ResNetBackbone", _pixels(32),
     {"input_conv_filters": [64], "input_conv_kernel_sizes": [3], "stackwise_num_filters": [64, 128],
      "stackwise_num_blocks": [1, 1], "stackwise_num_strides": [1, 2], "block_type": "basic_block",
      "image_shape": (32, 32, 3)}),
]


# --- Keras models written as users write them (bench/real_models/keras_user) ---------------------

USER_MODELS = (
    "lstm_stack", "lstm_unrolled", "gru_stack", "gru_unrolled", "simple_rnn", "bidirectional_lstm",
    "lstm_masked_backwards", "conv_lstm2d", "stft_spectrogram", "mel_spectrogram", "resizing_area",
    "resizing_bicubic", "text_vectorization", "text_ngrams", "string_lookup", "string_multi_hot", "hashing",
    "integer_lookup", "fft_mixer", "rfft_features", "cumulative_product", "tensor_array_loop",
)
_WORDS = ["the", "cat", "sat", "on", "mat", "dog", "xyz"]


def _user(name: str) -> Callable[[], Built]:
    """`build_model()` of keras_user/<name>.py, fed inputs made from its `keras.Input`s."""

    def build() -> Built:
        import importlib

        import numpy as np

        model = importlib.import_module(f"bench.real_models.keras_user.{name}").build_model()
        rng = _rng()
        inputs: dict[str, Any] = {}
        for tensor in model.inputs:
            shape = (1, *[d or 1 for d in tensor.shape[1:]])
            dtype = str(tensor.dtype)
            if dtype == "string":
                inputs[tensor.name] = np.array(rng.choice(_WORDS, size=shape), dtype=object)
            elif "int" in dtype:
                inputs[tensor.name] = rng.integers(0, 12, size=shape).astype(dtype)
            else:
                inputs[tensor.name] = rng.normal(size=shape).astype("float32")
        return Built(model, inputs, single=len(inputs) == 1)

    return build


def entries() -> list[Entry]:
    """The whole catalog, in a stable order."""
    out = [Entry(f"keras/{key}", "keras", _app(name, size, **kw)) for key, name, size, kw in APPLICATIONS]
    out += [Entry(f"keras_hub/{key}", "keras_hub", _hub(name, inputs, **cfg)) for key, name, inputs, cfg in HUB]
    out += [Entry("keras_hub/segformer", "keras_hub", _segformer)]
    out += [Entry(f"keras_user/{name}", "keras_user", _user(name)) for name in USER_MODELS]
    return out


def by_id() -> dict[str, Entry]:
    return {entry.id: entry for entry in entries()}
