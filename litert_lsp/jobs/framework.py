"""Which framework's exporter takes a request, decided without importing any framework."""

from __future__ import annotations

import ast
from pathlib import Path

from litert_lsp.jobs.job import ExportRequest

TF_SUFFIXES = (".keras", ".h5", ".hdf5", ".meta", ".index", ".pb")


def is_tensorflow(request: ExportRequest) -> bool:
    """Whether the TensorFlow exporter should take this request (decided without imports)."""
    from litert_lsp.models.checkpoints import TF_KINDS, classify
    from litert_lsp.models.hf_folder import hf_folder

    source = Path(request.source)
    if hf_folder(source) is not None:
        return False  # transformers 5 is PyTorch-only
    if source.is_dir() or source.name.endswith(TF_SUFFIXES):
        return True
    if request.checkpoint:
        found = classify(Path(request.checkpoint))
        if found is not None and found.kind in TF_KINDS:
            return True
    if source.suffix == ".py":
        try:
            from litert_lsp.analysis.names import ImportTable

            imports = ImportTable.from_tree(ast.parse(source.read_text(encoding="utf-8", errors="replace")))
        except (OSError, SyntaxError, ValueError):
            return False
        return imports.imports_any("tensorflow", "keras", "tf_keras") and not imports.imports_any("torch")
    return False
