import keras
from keras import layers


def build_model():
    inputs = keras.Input((256,))
    x = layers.Reshape((256, 1))(inputs)
    x = layers.STFTSpectrogram(frame_length=64, frame_step=32, fft_length=64)(x)
    x = layers.Flatten()(x)
    return keras.Model(inputs, layers.Dense(5)(x))
