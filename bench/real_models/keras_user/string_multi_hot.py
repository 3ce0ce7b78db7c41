import keras
from keras import layers

WORDS = ["the", "cat", "sat", "on", "mat", "dog"]


def build_model():
    inputs = keras.Input((4,), dtype="string")
    bag = layers.StringLookup(vocabulary=WORDS, output_mode="multi_hot")(inputs)
    return keras.Model(inputs, layers.Dense(5)(bag))
