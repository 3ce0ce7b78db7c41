"""`litert-lsp export SOURCE`: convert a model to a .tflite that is verified to run and agree.

The conversion runs in the export worker (the configured interpreter); this process imports no
framework. Progress goes to standard error, the report to standard output. Exit 0 only for a
verified export, 1 for a failed one, 2 for bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from pathlib import Path

from litert_lsp.core.settings import find_project_root, load_settings
from litert_lsp.jobs.client import WorkerClient
from litert_lsp.jobs.job import ExportResult
from litert_lsp.jobs.plan import (
    DTYPES,
    PlanError,
    parse_dtypes,
    parse_names,
    plan_export,
)
from litert_lsp.jobs.report import fact_lines
from litert_lsp.jobs.shapes import ShapeError, parse_input_shapes
from litert_lsp.jobs.verdict import with_hint

# argparse takes any argument that starts with "-" and is not a plain negative number for an
# option, so `--input-shape -1,8` would be "expected one argument". Shapes with a dynamic (-1)
# size count as numbers too on this subcommand (it has no option that looks like one).
_SHAPE_LIKE = re.compile(r"^-\d[\d,;\s\[\]()-]*$")


def configure(parser: argparse.ArgumentParser) -> None:
    if hasattr(parser, "_negative_number_matcher"):
        parser._negative_number_matcher = _SHAPE_LIKE
    parser.add_argument("source", metavar="SOURCE",
                        help="a .py file with the model code, or a model file (.pt2, whole-model .pt, "
                             "SavedModel folder, .keras, .h5, .ckpt.meta)")
    parser.add_argument("--model", metavar="CLASS", help="the model class (default: the only one in SOURCE)")
    parser.add_argument("--checkpoint", metavar="PATH", help="weights to restore into the model")
    parser.add_argument("--weights", metavar="KEY",
                        help="the key of the weights inside a training checkpoint (default: EMA weights "
                             "when present, else the usual keys), e.g. model or state.model_ema")
    parser.add_argument("--input-shape", metavar="SHAPE",
                        help="example input shape, e.g. 1,3,224,224 (several inputs: 1,16;1,16); -1 makes a "
                             "size dynamic, e.g. -1,3,224,224")
    parser.add_argument("--dynamic-batch", action="store_true", default=None,
                        help="make dimension 0 of every input dynamic (the .tflite takes any batch size)")
    parser.add_argument("--input-dtype", metavar="DTYPE",
                        help=f"dtype of the example inputs, one or one per --input-shape: {', '.join(DTYPES)}")
    parser.add_argument("--signature", metavar="KEY",
                        help="SavedModel: the signature to convert (default: serving_default or the only one)")
    parser.add_argument("--input-names", metavar="NAMES",
                        help="TF1 .ckpt.meta: placeholders to take as inputs, e.g. x or x,labels")
    parser.add_argument("--output-names", metavar="NAMES",
                        help="TF1 .ckpt.meta: tensors to take as outputs, e.g. logits")
    parser.add_argument("--output", "-o", metavar="PATH", help="where to write the .tflite")
    parser.add_argument("--quantize", choices=("int8", "float16", "full-int8"),
                        help="int8: dynamic range (int8 weights); float16: float16 weights; full-int8: int8 weights "
                             "and activations, int8 inputs and outputs (microcontrollers, NPUs), calibrated on --calibration")
    parser.add_argument("--calibration", metavar="DIR",
                        help="full-int8: a folder of calibration samples, one .npy per sample (.npz for several inputs)")
    parser.add_argument("--allow-select-tf-ops", action="store_true", default=None,
                        help="TensorFlow: fall back to Select TF ops (the app must ship the Flex runtime)")
    parser.add_argument("--allow-unverified", action="store_true", default=None,
                        help="write a model that converted but cannot be verified here (Select TF ops "
                             "need the Flex runtime); without it nothing unverified is written")
    parser.add_argument("--allow-pickle", action="store_true", default=None,
                        help="allow loading whole pickled models (this runs code stored in the file)")
    parser.add_argument("--check-only", action="store_true",
                        help="convert and verify, but write no file")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="report format")
    parser.add_argument("--python", metavar="PATH", help="interpreter that runs the export (default: settings)")
    parser.add_argument("--verbose", "-v", action="store_true", help="show the converter's own output")


def run(args: argparse.Namespace) -> int:
    source = Path(args.source)
    if not source.exists():
        print(f"litert-lsp export: {source} does not exist", file=sys.stderr)
        return 2
    root = find_project_root(source if source.is_dir() else source.parent)
    settings, problems = load_settings(root or source.resolve().parent)
    for problem in problems:
        print(f"litert-lsp export: {problem}", file=sys.stderr)
    if settings.workspace_named:
        # The CLI is the user's own invocation, so it trusts the project's settings, but
        # says which risky ones it takes from there.
        print(f"litert-lsp export: using from {root / 'pyproject.toml' if root else 'pyproject.toml'}: "
              f"{settings.describe_workspace_named()}", file=sys.stderr)
    try:
        shapes = parse_input_shapes(args.input_shape) if args.input_shape else None
    except ShapeError as error:
        print(f"litert-lsp export: {error}", file=sys.stderr)
        return 2
    try:
        choice = plan_export(
            source, settings, root,
            model=args.model, checkpoint=args.checkpoint, weights=args.weights,
            input_shapes=shapes,
            input_dtypes=parse_dtypes(args.input_dtype) if args.input_dtype else None,
            input_names=parse_names(args.input_names) if args.input_names else None,
            output_names=parse_names(args.output_names) if args.output_names else None,
            signature=args.signature,
            output=args.output, quantize=args.quantize,
            allow_select_tf_ops=args.allow_select_tf_ops, allow_pickle=args.allow_pickle,
            allow_unverified=args.allow_unverified, dynamic_batch=args.dynamic_batch, calibration=args.calibration,
            write_output=not args.check_only,
        )
    except PlanError as error:
        print(f"litert-lsp export: {error}", file=sys.stderr)
        return 2
    if args.input_dtype and not choice.request.input_shapes:
        print("litert-lsp export: --input-dtype gives the dtype of the example inputs: give their shapes with "
              "--input-shape too", file=sys.stderr)
        return 2
    for note in choice.notes:
        print(f"litert-lsp export: {note}", file=sys.stderr)

    def progress(stage: str, message: str, percent: float | None) -> None:
        share = f"{percent:3.0f}%" if percent is not None else "    "
        print(f"[{share}] {stage}: {message}", file=sys.stderr, flush=True)

    async def go() -> ExportResult:
        client = WorkerClient(python=args.python or settings.python, echo_stderr=args.verbose)
        try:
            return await client.export(choice.request, progress, timeout=settings.export.timeout_seconds)
        finally:
            await client.close()

    try:
        result = with_hint(asyncio.run(go()))  # a known failure's fix (e.g. a submodule named `meta`)
    except KeyboardInterrupt:
        print("litert-lsp export: interrupted; no file was written", file=sys.stderr)
        return 1
    if args.format == "json":
        data = result.to_json()
        if choice.constructor:
            data["constructor"] = choice.constructor
        print(json.dumps(data, indent=2))
    else:
        print(format_report(result, choice.constructor))
    return 0 if result.ok else 1


def format_report(result: ExportResult, constructor: str | None = None) -> str:
    """The human report: the outcome, then the facts the editor's report shows too (jobs/report.py)."""
    if result.ok:
        first = f"export OK: {result.output or '(checked only, no file written)'}"
    else:
        verdict = "NOT VERIFIED" if result.status == "unverified" else "FAILED"
        first = f"export {verdict} at '{result.stage}': {result.message}"
    return "\n".join([first, *fact_lines(result, constructor)])
