"""Small Keras models written the way users write them, around the layers and ops LiteRT finds
hard (recurrent stacks, spectrograms, resizing, string preprocessing, FFT mixing, Python loops
over a TensorArray). Each file defines `build_model()` and `example_inputs()`; the suite records
which lines of these files ran, so findings on the user's own construction lines are scored.
"""
