"""PyTorch-specific analysis, pure `ast` (this package never imports PyTorch).

    walker.py      one traversal per function: value inference, guards, calls the rule hooks;
                   `Program` runs it over the module (fixpoint over the file's calls, cache)
    values.py      what PyTorch names mean for the inference (tensor/sequence/mask results)
    kb_verdict.py  a knowledge-base entry plus a call's literal arguments -> a verdict
    context.py     the walker as the rule hooks see it (a Protocol)
    rules/         one module per code: message, why, and the hooks that decide to report
"""
