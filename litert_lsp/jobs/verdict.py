"""What a conversion check's result means for the code being checked.

A job that failed while loading the code (the model could not be built: constructor
arguments or example inputs unknown, the module does not import) says nothing about whether
the model converts. Background and CI checks report that once, as a note, never as LRT901.
"""

from __future__ import annotations

from litert_lsp.jobs.job import ExportResult

NOT_BUILT_STAGE = "load code"


def could_not_build(result: ExportResult) -> bool:
    """Whether `result` failed before there was a model to convert."""
    return not result.ok and result.stage == NOT_BUILT_STAGE
