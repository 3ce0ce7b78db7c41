"""One module per TensorFlow / Keras code: its record, why it fails, its message text and
the decision that picks it. The traversal stays in `analysis/tf/checks.py` (scopes, control
flow, conversions) and `analysis/tf/ops.py` (knowledge-base verdicts), which call these.
A new TF rule: add `lrtNNN_<slug>.py` here and call it from the traversal that sees the
construct.
"""
