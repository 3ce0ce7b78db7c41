"""Restore, convert, verify and profile models: everything that runs in the export worker.

Only the worker process imports this package's framework-facing modules (torch, tensorflow,
litert_torch, ai_edge_litert). `job.py` is framework-free and shared with the server and CLI.
"""
