import keras
from keras import layers

WORDS = ["the", "cat", "sat", "on", "mat", "dog"]


def build_model():
    inputs = keras.Input((), dtype="string")
    counts = layers.TextVectorization(vocabulary=WORDS, ngrams=2, output_mode="count")(inputs)
    return keras.Model(inputs, layers.Dense(5)(counts))
