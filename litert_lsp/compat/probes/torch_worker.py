"""Probe worker for the PyTorch suite: `python -m litert_lsp.compat.probes.torch_worker`."""

from __future__ import annotations

from litert_lsp.compat.probes.isolation import serve
from litert_lsp.compat.probes.torch_suite import probe_one


def main() -> None:
    serve(probe_one)


if __name__ == "__main__":
    main()
