import keras
from keras import layers


def build_model():
    inputs = keras.Input((8, 4))
    x = layers.GRU(16, unroll=True, reset_after=False)(inputs)
    return keras.Model(inputs, layers.Dense(5)(x))
