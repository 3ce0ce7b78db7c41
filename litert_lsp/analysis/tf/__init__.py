"""TensorFlow / Keras-specific analysis, pure `ast` (this package never imports TensorFlow).

    finder.py   finds the code that becomes a LiteRT graph and follows the file's helpers
    scope.py    which classes/functions are traced (Keras layers' call, tf.function, ...)
    values.py   which local names hold tensors
    checks.py   the traversal of one traced scope (Python control flow, conversions, ...)
    ops.py      knowledge-base verdicts for tf.* / Keras calls
    ragged.py   ragged-tensor construction and methods
    rules/      one module per code (LRT301..LRT307): message text and the decision
"""
