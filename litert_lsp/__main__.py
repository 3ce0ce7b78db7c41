"""`python -m litert_lsp` is the same as the `litert-lsp` command."""

import sys

from litert_lsp.cli import main

sys.exit(main())
