import keras
from keras import layers


def build_model():
    inputs = keras.Input((8, 4))
    x = layers.Bidirectional(layers.LSTM(8, return_sequences=True))(inputs)
    x = layers.Bidirectional(layers.GRU(8))(x)
    return keras.Model(inputs, layers.Dense(5)(x))
