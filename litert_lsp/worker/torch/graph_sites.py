"""Where in the model an operation of its exported graph comes from.

A converter error often names an ATen op (`Lowering not found: aten.histc.default`, a scatter
dtype error "While executing %scatter ... aten.scatter.src" whose own traceback is generated
code) or a library line (`modeling_x.py:253:0: error: 'tfl.mul' ...`) but no line of the
user's. `torch.export` keeps, on every node of the graph, the Python stack that made it and the
modules it ran in; exporting the model once (no conversion) and looking the op or the line up
among the nodes gives the user's line, the library line it reaches, and the innermost module.
Worker-only (torch).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import torch

from litert_lsp.worker.locate import Frame

_OP = re.compile(r"\baten\.(?P<op>[A-Za-z0-9_]+)(?:\.(?P<overload>[A-Za-z0-9_]+))?")
_STACK_FRAME = re.compile(r'File "(?P<path>[^"]+)", line (?P<line>\d+)')
_MLIR_LOCATION = re.compile(r'(?P<path>[^\s:"\'()]+\.py):(?P<line>\d+):\d+: error:')


@dataclass
class Site:
    op: str  # "aten.histc.default"
    frames: list[Frame]  # the stack that made the node, outermost first
    module: str | None  # dotted path of the innermost module it ran in ("model.layers.0.mlp")
    module_class: str | None  # that module's class, as torch.export records it ("...MixtralSparseMoeBlock")


def ops_named(text: str) -> list[tuple[str, str | None]]:
    """The ATen ops an error names, as (name without a trailing `_`, overload or None)."""
    found = []
    for match in _OP.finditer(text):
        key = (match["op"].rstrip("_"), match["overload"])
        if key not in found:
            found.append(key)
    return found


def locations_named(text: str) -> list[Frame]:
    """The `file.py:N:0: error:` locations an MLIR error names."""
    return [(m["path"], int(m["line"])) for m in _MLIR_LOCATION.finditer(text)]


def sites(model: torch.nn.Module, inputs: tuple[torch.Tensor, ...]) -> list[Site]:
    """Every operation node of the model's exported graph (torch.export, strict=False as
    litert-torch runs it), with where it came from; raises what torch.export raises."""
    program = torch.export.export(model, inputs, strict=False)
    found = []
    # Nodes under `torch.no_grad()` and other scoped regions live in nested graph modules.
    graphs = [m.graph for m in program.graph_module.modules() if isinstance(m, torch.fx.GraphModule)]
    for node in (n for graph in graphs for n in graph.nodes):
        if node.op != "call_function":
            continue
        stack = node.meta.get("stack_trace") or ""
        frames = [(m["path"], int(m["line"])) for m in _STACK_FRAME.finditer(stack)]
        modules = node.meta.get("nn_module_stack") or {}
        innermost = list(modules.values())[-1] if modules else None
        module, module_class = (innermost[0], _class_name(innermost[1])) if innermost else (None, None)
        found.append(Site(str(node.target), frames, module, module_class))
    return found


def matching_op(found: list[Site], wanted: list[tuple[str, str | None]]) -> list[Site]:
    """The sites of the first wanted op that occurs in the graph (in-place and functional
    variants alike: `scatter_.src` is `scatter.src`)."""
    for name, overload in wanted:
        hits = []
        for site in found:
            parts = site.op.split(".")
            if len(parts) >= 2 and parts[0] == "aten" and parts[1].rstrip("_") == name and (
                    overload is None or len(parts) < 3 or parts[2] == overload):
                hits.append(site)
        if hits:
            return hits
    return []


def matching_location(found: list[Site], wanted: list[Frame]) -> list[Site]:
    """The sites whose stack passes through one of the wanted `file:line` locations."""
    keys = {(_resolved(path), line) for path, line in wanted}
    return [site for site in found if any((_resolved(path), line) in keys for path, line in site.frames)]


def _resolved(path: str) -> str:
    try:
        return str(Path(path).resolve())
    except OSError:
        return path


def _class_name(value: object) -> str:
    # torch.export records the class as a qualified name string ("transformers...LlamaMLP") or a type.
    text = value.__qualname__ if isinstance(value, type) else str(value)
    return text.rsplit(".", 1)[-1]
