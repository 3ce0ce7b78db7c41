"""A recurrence written as a Python loop that writes each step into a tf.TensorArray."""
import keras
import tensorflow as tf
from keras import layers


class Scan(layers.Layer):
    def call(self, x):
        steps = tf.TensorArray(tf.float32, size=x.shape[1])
        state = tf.zeros_like(x[:, 0])
        for t in range(x.shape[1]):
            state = 0.5 * state + x[:, t]
            steps = steps.write(t, state)
        return tf.transpose(steps.stack(), [1, 0, 2])


def build_model():
    inputs = keras.Input((8, 4))
    x = Scan()(inputs)
    x = layers.Flatten()(x)
    return keras.Model(inputs, layers.Dense(5)(x))
