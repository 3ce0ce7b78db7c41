"""The `litert-lsp` command: serve | check | ops | export.

Each subcommand lives in its own module with `configure(parser)` and `run(args) -> int`,
imported only when chosen, so `litert-lsp check` never pays for the server or the export
stack. None of them imports torch or tensorflow in this process.

Exit codes: 0 success, 1 the job found errors (or the export did not verify), 2 bad usage.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from litert_lsp import __version__

SUBCOMMANDS = {
    "serve": ("litert_lsp.cli.serve", "run the language server (stdio, or --tcp HOST:PORT)"),
    "check": ("litert_lsp.cli.check", "report LiteRT problems in Python files and folders"),
    "ops": ("litert_lsp.cli.ops", "search the measured op compatibility tables"),
    "export": ("litert_lsp.cli.export", "convert a model to a verified .tflite"),
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 on bad usage; keep that
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    parser = _Parser(prog="litert-lsp", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"litert-lsp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    chosen = next((a for a in (argv or []) if a in SUBCOMMANDS), None)
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub_parser = sub.add_parser(name, help=help_text, description=help_text)
        # Only the chosen subcommand's module is imported (keeps `check` light).
        if name == chosen:
            importlib.import_module(module_name).configure(sub_parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help(sys.stderr)
        return 2
    module = importlib.import_module(SUBCOMMANDS[args.command][0])
    return int(module.run(args) or 0)
