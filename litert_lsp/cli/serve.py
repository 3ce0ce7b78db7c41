"""`litert-lsp serve`: the language server on stdio (editors) or TCP (debugging)."""

from __future__ import annotations

import argparse
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default)")
    parser.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP socket instead of stdio")
    parser.add_argument("--log-level", choices=("error", "warning", "info", "debug"), default=None,
                        help="also log to standard error at this level")


def run(args: argparse.Namespace) -> int:
    address = None
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            print(f"litert-lsp serve: --tcp wants HOST:PORT, got {args.tcp!r}", file=sys.stderr)
            return 2
        address = (host, int(port))
    from litert_lsp.server.logs import setup_logging

    setup_logging(args.log_level)
    if address is None:
        from litert_lsp.server import serve_stdio

        serve_stdio()
    else:
        from litert_lsp.server import serve_tcp

        serve_tcp(*address)
    return 0

