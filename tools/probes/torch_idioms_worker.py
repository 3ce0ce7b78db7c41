"""Probe worker for the PyTorch idioms: `python -m tools.probes.torch_idioms_worker`."""

from __future__ import annotations

from tools.probes.isolation import serve
from tools.probes.torch_idioms import probe_one


def main() -> None:
    serve(probe_one)


if __name__ == "__main__":
    main()
