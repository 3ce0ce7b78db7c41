"""The texts of the generated export scripts (jobs/script.py for PyTorch, jobs/tf_script.py for
TensorFlow), kept as package data in `script_templates/`: they are the scripts' own Python, with
`{field}` places filled by `str.format` (doubled braces are the script's own), and as files they
are neither imported nor taken for imports of this package. Framework-free: text only."""

from __future__ import annotations

import functools
from importlib import resources


@functools.cache
def template(name: str) -> str:
    """`script_templates/<name>.py.tmpl`, read once."""
    return resources.files(__package__).joinpath("script_templates", f"{name}.py.tmpl").read_text(encoding="utf-8")


def compare_and_write(framework: str) -> str:
    """The ending both scripts share: compare the LiteRT outputs with `framework`'s, then write
    the .tflite atomically (`expected`, `actual` and `content` are set by then)."""
    return template("compare_and_write").format(framework=framework)
