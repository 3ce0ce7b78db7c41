"""PyTorch-specific analysis, pure `ast` (this package never imports PyTorch).

    walker.py      one traversal per function: value inference, guards, calls the rule hooks;
                   `Program` runs it over the module (fixpoint over the file's calls, cache)
    reach.py       callees that are values: functools.partial, getattr, registries of functions
    values.py      what PyTorch names mean for the inference (tensor/sequence/mask results)
    kb_verdict.py  a knowledge-base entry plus a call's literal arguments -> a verdict
    usage.py       the call site: which outputs of a call are used, its input's rank
    context.py     the walker as the rule hooks see it (a Protocol)
    rules/         one module per code: message, why, and the hooks that decide to report
"""
