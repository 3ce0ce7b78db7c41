import keras
from keras import layers


def build_model():
    inputs = keras.Input((4,), dtype="int64")
    ids = layers.IntegerLookup(vocabulary=[3, 5, 7, 11])(inputs)
    x = layers.Embedding(16, 8)(ids)
    x = layers.GlobalAveragePooling1D()(x)
    return keras.Model(inputs, layers.Dense(5)(x))
