"""Generate docs/ops.md from the measured tables: `python -m litert_lsp.kb.docs [OUT]`.

The page is data, not prose: a test regenerates it and fails when the committed copy differs.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from litert_lsp import kb

STATUS_MEANING = {
    "supported": "converts, runs in LiteRT and matches PyTorch",
    "conditional": "works for some arguments, shapes or dtypes only (see the note)",
    "export_fails": "torch.export cannot capture it",
    "no_lowering": "litert-torch has no lowering for an ATen op it becomes",
    "lowering_fails": "a lowering exists but fails on it",
    "runtime_fails": "converts, but the LiteRT runtime cannot run the result",
    "wrong_numbers": "runs, but the LiteRT output disagrees with PyTorch",
    "builtin": "converts to LiteRT builtin ops",
    "select_tf_ops": "converts only with Select TF ops (the app must ship the Flex runtime)",
    "unsupported": "converts neither to builtins nor with Select TF ops, or fails at run time",
}

TITLES = {"torch": "PyTorch (litert-torch)", "tensorflow": "TensorFlow and Keras (TFLiteConverter)"}


def render() -> str:
    lines = [
        "# Op compatibility tables",
        "",
        "Generated from the measured knowledge base in `litert_lsp/kb/data/` by",
        "`python -m litert_lsp.kb.docs`; regenerate the data with",
        "`python -m tools.probes`. Every row is the result of converting a minimal",
        "model that calls the op with the real converter and running it in the real LiteRT",
        "runtime. Search it from a terminal with `litert-lsp ops QUERY`.",
        "",
    ]
    for framework in kb.FRAMEWORKS:
        lines.extend(_section(framework))
    return "\n".join(lines).rstrip() + "\n"


def _section(framework: str) -> list[str]:
    entries = kb.entries(framework)
    meta = kb.metadata(framework)
    out = [f"## {TITLES[framework]}", ""]
    if not entries:
        return out + ["No data has been generated for this framework yet.", ""]
    versions = ", ".join(f"{k} {v}" for k, v in (meta.get("versions") or {}).items())
    when = str(meta.get("generated_at", "")).split("T")[0]
    out.append(f"{len(entries)} entries, measured {when} with {versions}.")
    out.append("")
    counts = Counter(e.status for e in entries)
    out.append("| Status | Entries | Meaning |")
    out.append("|---|---:|---|")
    for status, count in sorted(counts.items(), key=lambda kv: -kv[1]):
        out.append(f"| `{status}` | {count} | {STATUS_MEANING.get(status, '')} |")
    out.append("")
    gpu = framework == "tensorflow"
    header = "| Op | Status | LiteRT ops | Notes |" + (" GPU |" if gpu else "")
    out.append(header)
    out.append("|---|---|---|---|" + ("---|" if gpu else ""))
    for entry in sorted(entries, key=lambda e: e.name.lower()):
        ops = ", ".join(entry.get("tflite_ops") or [])
        notes = entry.get("condition") or entry.get("reason") or ""
        if not notes and not entry.ok:
            notes = entry.get("error") or ""
        rewrite = entry.rewrite
        if rewrite:
            notes = f"{notes} Rewrite: `{rewrite.get('code', '')}`".strip()
        row = f"| `{entry.name}` | {entry.status} | {_cell(ops)} | {_cell(notes, 160)} |"
        if gpu:
            flag = entry.get("gpu_compatible")
            row += f" {'yes' if flag else 'no' if flag is False else ''} |"
        out.append(row)
    out.append("")
    return out


def _cell(text: str, limit: int = 120) -> str:
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    target = Path(argv[0]) if argv else Path(__file__).resolve().parents[2] / "docs" / "ops.md"
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
