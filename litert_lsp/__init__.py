"""litert-lsp: LiteRT compatibility diagnostics and verified .tflite exports in the editor."""

__version__ = "0.1.0"
