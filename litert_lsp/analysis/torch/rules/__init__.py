"""One module per PyTorch rule: its code record, why the construct fails, and its message.

The walker in `analysis/torch_rules.py` finds the constructs (it owns the tensor inference)
and asks the rule's module for the text the user reads, so a message changes in one place.
"""
