"""PyTorch side of the worker: restore, export with litert-torch."""
