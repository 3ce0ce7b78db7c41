"""TensorFlow/Keras side of the worker: sources, checkpoints, conversion."""
