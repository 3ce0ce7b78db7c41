import keras
from keras import layers


def build_model():
    inputs = keras.Input((16, 16, 3))
    x = layers.Resizing(24, 24, interpolation="bicubic")(inputs)
    x = layers.Conv2D(4, 3)(x)
    x = layers.Flatten()(x)
    return keras.Model(inputs, layers.Dense(5)(x))
