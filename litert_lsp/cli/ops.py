"""`litert-lsp ops [QUERY]`: search the measured compatibility tables."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from litert_lsp import kb
from litert_lsp.kb.public_names import not_ops, public_names


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", nargs="?", help="part of an op name, e.g. unique or linalg.svd")
    parser.add_argument("--framework", choices=kb.FRAMEWORKS)
    parser.add_argument("--status", choices=sorted(set(kb.TORCH_STATUSES + kb.TF_STATUSES)))
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--stats", action="store_true",
                        help="coverage per namespace and framework instead of a list: public names, measured "
                             "entries by status, public names not measured")


def namespace(name: str) -> str:
    """The API family an entry belongs to: "tf.math", "keras.ops", "keras.ops.image", "torch.nn"."""
    parts = name.split(".")
    if parts[:2] == ["keras", "ops"]:
        return ".".join(parts[:3]) if len(parts) > 3 else "keras.ops"
    return ".".join(parts[:2]) if len(parts) > 2 else parts[0]


def stats(found: list[kb.Entry], query: str | None = None,
          framework: str | None = None) -> dict[str, dict[str, dict[str, Any]]]:
    """Coverage of the knowledge base, per namespace and per framework: the public names
    (generated from the installed frameworks, see kb/public_names.py) matching `query`, the
    entries measured (`found`) by status, and the public names with no entry (not measured:
    the analyzer is silent on them, which is not "supported")."""
    namespaces: dict[str, dict[str, Any]] = {}
    frameworks: dict[str, dict[str, Any]] = {}

    def rows(fw: str, name: str) -> list[dict[str, Any]]:
        return [namespaces.setdefault(namespace(name), _empty_row()), frameworks.setdefault(fw, _empty_row())]

    for entry in found:
        for row in rows(entry.framework, entry.name):
            row["measured"] += 1
            row["by_status"][entry.status] = row["by_status"].get(entry.status, 0) + 1
    needle = (query or "").lower()
    for fw in (framework,) if framework else kb.FRAMEWORKS:
        for name in public_names(fw):
            if needle and needle not in name.lower():
                continue
            measured = kb.lookup(name, fw) is not None
            for row in rows(fw, name):
                row["public"] += 1
                row["not_measured"] += not measured
        # Public names that are not ops (classes, settings, autograd): counted apart, never as unmeasured.
        for name in not_ops(fw):
            if needle and needle not in name.lower():
                continue
            for row in rows(fw, name):
                row["not_an_op"] += 1
    return {"namespaces": dict(sorted(namespaces.items())), "frameworks": frameworks}


def _empty_row() -> dict[str, Any]:
    return {"public": 0, "measured": 0, "by_status": {}, "not_measured": 0, "not_an_op": 0}


def _print_stats(found: list[kb.Entry], query: str | None, framework: str | None, as_json: bool) -> int:
    table = stats(found, query, framework)
    if as_json:
        json.dump(table, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    every = [*table["namespaces"].values(), *table["frameworks"].values()]
    statuses = [s for s in dict.fromkeys((*kb.TORCH_STATUSES, *kb.TF_STATUSES)) if any(s in r["by_status"] for r in every)]
    labels = {**{n: n for n in table["namespaces"]}, **{f"({fw})": f"all of {fw}" for fw in table["frameworks"]}}
    width = max([len(label) for label in labels.values()] + [9])
    columns = ["public", "measured", *statuses, "not an op", "not measured"]
    print(f"{'namespace':<{width}}  " + "  ".join(f"{c:>{max(len(c), 6)}}" for c in columns))

    def line(label: str, row: dict[str, Any]) -> str:
        values = [row["public"], row["measured"], *(row["by_status"].get(s, 0) for s in statuses), row["not_an_op"],
                  row["not_measured"]]
        return f"{label:<{width}}  " + "  ".join(f"{v:>{max(len(c), 6)}}" for c, v in zip(columns, values, strict=True))

    for name, row in table["namespaces"].items():
        print(line(name, row))
    for fw, row in table["frameworks"].items():
        print(line(f"all of {fw}", row))
    for fw, row in table["frameworks"].items():
        share = f" ({row['not_measured'] / row['public']:.0%} of its public names)" if row["public"] else ""
        apart = f"; {row['not_an_op']} more public names are not ops" if row["not_an_op"] else ""
        print(f"{fw}: {row['measured']} measured, {row['not_measured']} public names not measured{share}{apart}",
              file=sys.stderr)
    return 0


def run(args: argparse.Namespace) -> int:
    found = kb.search(args.query, args.framework, args.status)
    if getattr(args, "stats", False):
        return _print_stats(found, args.query, args.framework, args.format == "json")
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
