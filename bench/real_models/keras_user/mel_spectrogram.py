import keras
from keras import layers


def build_model():
    inputs = keras.Input((256,))
    x = layers.MelSpectrogram(fft_length=64, sequence_stride=32, sampling_rate=8000, num_mel_bins=8)(inputs)
    x = layers.Flatten()(x)
    return keras.Model(inputs, layers.Dense(5)(x))
