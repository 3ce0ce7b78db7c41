"""Whether a source text can import a framework, decided by one regular expression.

Both rule sets run only for a module that imports its framework at module level (torch;
tensorflow, tf, keras or tf_keras: the gates in `document._findings`), so a text without
such an import statement can have no finding but a syntax error, and the analyzer skips
everything after the parse for it. The test here is a superset of "has such an import":
it may say yes for a text that has none (then the analyzer simply runs), never no for one
that has. What it relies on:

- an import needs the keyword `import` (ASCII: keywords are never normalized) followed,
  inside the statement, by the framework's name (`import os, torch.nn as nn`), or `from`
  directly followed by it (`from torch import nn`); backslash continuations included;
- identifiers may be non-ASCII and are NFKC-normalized by the parser (a fullwidth `t` in `torch` is a `t`).
  NFKD keeps every ASCII letter NFKC would produce, in order, and code outside strings and
  comments has only ASCII around its identifiers, so the ASCII pattern is run on the NFKD
  form, with any non-ASCII character allowed inside the statement.

Function-local imports do not enable the rule sets, but matching them too is harmless.
When a new gate is added to the analyzer (say, findings carried from another file), this
test must widen with it: tests/analysis/test_prefilter.py checks that every text it turns
down analyzes to nothing but a syntax error.
"""

from __future__ import annotations

import re
import sys
import unicodedata

# Possessive quantifiers (Python 3.11+) keep a long import list from backtracking far; 3.10
# reads the same pattern with plain ones (the separators make that at worst quadratic).
_P = "+" if sys.version_info >= (3, 11) else ""
_FRAMEWORKS = r"(?:torch|tensorflow|keras|tf_keras|tf)(?!\w)"
_GAP = r"[\s\\]+"  # whitespace, newlines of backslash continuations
_SPACE = rf"[\s\\]*{_P}"
# A name (any non-ASCII character may be part of one), a dotted module path (`os . path` is
# valid), an import item with its alias.
_NAME = rf"[\w\x80-\U0010ffff]+{_P}"
_ITEM = rf"{_NAME}(?:{_SPACE}\.{_SPACE}{_NAME})*{_P}(?:{_GAP}as{_GAP}{_NAME})?"
# `from <framework>` or `import <items>, <framework>`; the keyword's start is checked apart
# (a pattern opening with a look-behind is tried at every character, ten times slower).
_IMPORT = re.compile(
    rf"(?:from{_GAP}{_FRAMEWORKS}|import{_GAP}(?:{_ITEM}{_SPACE},{_SPACE})*{_FRAMEWORKS})", re.ASCII
)


def _finds_an_import(text: str) -> bool:
    position = 0
    while (match := _IMPORT.search(text, position)) is not None:
        start = match.start()
        before = text[start - 1] if start else " "
        if not (before in "._" or (before.isascii() and before.isalnum())):
            return True  # the keyword starts a word (`my_import torch` is not one)
        position = start + 1
    return False


def may_import_a_framework(text: str) -> bool:
    """False only when `text` has no import of torch, tensorflow, tf, keras or tf_keras."""
    if _finds_an_import(text):
        return True
    # Normalizing can only add ASCII letters, so it is needed only when the text is not found.
    return not text.isascii() and _finds_an_import(unicodedata.normalize("NFKD", text))
