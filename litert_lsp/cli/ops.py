"""`litert-lsp ops [QUERY]`: search the measured compatibility tables."""

from __future__ import annotations

import argparse
import json
import sys

from litert_lsp import kb


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", nargs="?", help="part of an op name, e.g. unique or linalg.svd")
    parser.add_argument("--framework", choices=kb.FRAMEWORKS)
    parser.add_argument("--status", choices=sorted(set(kb.TORCH_STATUSES + kb.TF_STATUSES)))
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    found = kb.search(args.query, args.framework, args.status)
    if args.format == "json":
        json.dump([entry.raw for entry in found], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if not found:
        print("no op matches", file=sys.stderr)
        return 0
    width = min(max(len(e.name) for e in found), 48)
    for entry in found:
        note = entry.get("condition") or entry.get("reason") or ""
        ops = ", ".join(entry.get("tflite_ops") or [])
        detail = note or (f"-> {ops}" if ops else "")
        print(f"{entry.name:<{width}}  {entry.status:<14}  {detail}".rstrip())
    print(f"{len(found)} op{'s' * (len(found) != 1)}", file=sys.stderr)
    return 0
