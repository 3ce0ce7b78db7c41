"""The runner loads `<framework>_suite`; the TensorFlow suite lives in `tf_suite`."""

from tools.probes.tf_suite import (  # noqa: F401
    FRAMEWORK,
    WORKER_MODULE,
    build_document,
    jobs,
    probe_one,
)
