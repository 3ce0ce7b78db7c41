import keras
from keras import layers


def build_model():
    inputs = keras.Input((8, 4))
    x = layers.LSTM(16, return_sequences=True)(inputs)
    x = layers.LSTM(16)(x)
    return keras.Model(inputs, layers.Dense(5)(x))
