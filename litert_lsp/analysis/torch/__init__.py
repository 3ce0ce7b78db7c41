"""PyTorch-specific analysis. The rules live in `rules/`, one module per diagnostic code.

Pure `ast`: this package never imports PyTorch (its name only says what it is about).
"""
