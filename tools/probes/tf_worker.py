"""Worker process for the TensorFlow suite: `python -m tools.probes.tf_worker`.

Reads job ids (canonical names) on stdin and answers each with its measured entry; see
`isolation.serve`. TensorFlow is imported once per worker, on the first job.
"""

from __future__ import annotations

import os
from typing import Any

# Before keras is first imported anywhere in the worker: keras.ops is measured on TensorFlow.
os.environ["KERAS_BACKEND"] = "tensorflow"

from tools.probes.isolation import serve


def probe_one(job: str) -> dict[str, Any]:
    from tools.probes import tf_probe

    return tf_probe.probe(job.split("::", 1)[0])


def main() -> None:
    serve(probe_one)


if __name__ == "__main__":
    main()
