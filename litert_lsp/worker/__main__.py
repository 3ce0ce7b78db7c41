"""`python -m litert_lsp.worker`: the export worker (see `litert_lsp.worker.main`)."""

import sys

from litert_lsp.worker.main import main

sys.exit(main())
