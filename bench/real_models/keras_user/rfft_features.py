"""Spectral features of a signal: magnitude of its real FFT, written with keras.ops."""
import keras
from keras import layers, ops


class Spectrum(layers.Layer):
    def call(self, x):
        real, imag = ops.rfft(x)
        return ops.sqrt(real * real + imag * imag)


def build_model():
    inputs = keras.Input((64,))
    x = Spectrum()(inputs)
    return keras.Model(inputs, layers.Dense(5)(x))
