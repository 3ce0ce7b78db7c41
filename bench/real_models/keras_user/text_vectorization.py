import keras
from keras import layers

WORDS = ["the", "cat", "sat", "on", "mat", "dog"]


def build_model():
    inputs = keras.Input((), dtype="string")
    ids = layers.TextVectorization(vocabulary=WORDS, output_sequence_length=6)(inputs)
    x = layers.Embedding(64, 8)(ids)
    x = layers.GlobalAveragePooling1D()(x)
    return keras.Model(inputs, layers.Dense(5)(x))
