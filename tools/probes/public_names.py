"""Which public names each framework exposes: the denominator of the knowledge base's coverage.

    python -m tools.probes.public_names

Imports the installed frameworks (torch here; TensorFlow and Keras in a child process, as the
probes do, through `tf_inventory`) and writes `litert_lsp/kb/data/public_names.json`. The
analyzer and server read that file to tell "measured and fine" from "never measured"
(`litert-lsp ops --stats`, the hover's "not measured"), without importing a framework.
The names are the probes' own inventory: the namespaces the torch recipes cover, and the
TensorFlow / Keras entry points `tf_inventory` enumerates, under their canonical names.
Torch names that are not ops (`torch_not_ops`: classes, settings, autograd, device and
backend APIs) are kept apart under "not_ops", each with why.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

from litert_lsp.core.atomic import write_text_atomically
from tools.probes.__main__ import DATA_DIR

OUTPUT = DATA_DIR / "public_names.json"


def _torch_callables() -> dict[str, object]:
    """The torch recipes' public names, callables only (`torch.Tensor.shape` is no call)."""
    import torch

    from tools.probes.torch_recipes import public_names, resolve

    kept: dict[str, object] = {}
    for name in public_names():
        if name.startswith("torch.Tensor."):
            obj = getattr(torch.Tensor, name.rsplit(".", 1)[1], None)
            if not callable(obj):
                continue
        else:
            obj = resolve(name)
        kept[name] = obj
    return kept


def torch_not_ops() -> dict[str, str]:
    """The public torch names that are not ops (classes, settings, autograd, device and backend
    APIs), each with why: counted apart, never as "not measured". A name a recipe measures is
    an op whatever the rules say."""
    from tools.probes.torch_not_ops import why_not_an_op
    from tools.probes.torch_recipes import hand_recipes

    written = hand_recipes()
    found = {}
    for name, obj in _torch_callables().items():
        why = None if name in written else why_not_an_op(name, obj)
        if why:
            found[name] = why
    return found


def torch_names() -> list[str]:
    """The public torch names that are ops (what the knowledge base could measure)."""
    apart = torch_not_ops()
    return [name for name in _torch_callables() if name not in apart]


def tensorflow_names() -> list[str]:
    """`tf_inventory`'s canonical names, computed in a child process (TensorFlow and torch in
    one process is not how either is probed)."""
    done = subprocess.run([sys.executable, "-m", "tools.probes.tf_inventory"], check=True,
                          capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2])
    return sorted({row["name"] for row in json.loads(done.stdout)})


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def build() -> dict:
    return {
        "schema": 1,
        "generated_by": "python -m tools.probes.public_names",
        "generated_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "versions": {p: _version(p) for p in ("torch", "tensorflow", "keras")},
        "torch": torch_names(),
        "tensorflow": tensorflow_names(),
        # Public names that are not ops, with why (counted apart from "not measured").
        "not_ops": {"torch": dict(sorted(torch_not_ops().items()))},
    }


def main() -> int:
    document = build()
    write_text_atomically(json.dumps(document, indent=1) + "\n", OUTPUT)
    print(f"{OUTPUT}: {len(document['torch'])} torch op names ({len(document['not_ops']['torch'])} more are not "
          f"ops), {len(document['tensorflow'])} TensorFlow/Keras names")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
