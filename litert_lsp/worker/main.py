"""The export worker: `python -m litert_lsp.worker`, one job at a time.

Line-delimited JSON on stdin/stdout:
    in   {"id": 1, "method": "export", "params": {...ExportRequest}}
         {"id": 2, "method": "ping"}            {"id": 3, "method": "shutdown"}
    out  {"id": 1, "stage": "convert", "message": "...", "fraction": 0.45}   progress
         {"id": 1, "result": {...ExportResult}}                             ok or not
         {"id": null, "error": {"message": "..."}}                          bad request

Frameworks are imported lazily, per job, so a TensorFlow-only user never imports torch.
Converters print to stdout (litert-torch's progress lines, C++ logging): the real stdout is
kept for the protocol and file descriptor 1 is pointed at stderr, so nothing else lands in
the pipe.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any, TextIO

from litert_lsp.jobs.framework import is_tensorflow
from litert_lsp.jobs.job import ExportRequest, ExportResult


def run_job(request: ExportRequest, send: Any, job_id: Any) -> ExportResult:
    def progress(stage: str, message: str, percent: float | None = None) -> None:
        send({"id": job_id, "stage": stage, "message": message,
              "fraction": None if percent is None else round(percent / 100.0, 3)})

    try:
        if is_tensorflow(request):
            from litert_lsp.worker.tensorflow.export import export_tensorflow

            return export_tensorflow(request, progress)
        from litert_lsp.worker.torch.export import export_torch

        return export_torch(request, progress)
    except ImportError as error:
        return ExportResult(
            ok=False, stage="load code",
            message=f"this interpreter ({sys.executable}) cannot import {error.name or error}: install "
            "litert-lsp[frameworks] there, or set `python` to an interpreter that has it",
        )
    except Exception as error:  # noqa: BLE001 - answer every job, whatever went wrong
        return ExportResult(
            ok=False, stage="load code", message=f"{type(error).__name__}: {error}",
            details={"traceback": traceback.format_exc(limit=20)},
        )


def serve(stdin: TextIO, out: TextIO) -> int:
    def send(message: dict[str, Any]) -> None:
        out.write(json.dumps(message, default=str) + "\n")
        out.flush()

    for line in stdin:
        line = line.strip()
        if not line:
            continue
        try:
            message = json.loads(line)
            job_id = message.get("id")
            method = message.get("method")
        except (ValueError, AttributeError):
            send({"id": None, "error": {"message": "not a JSON object"}})
            continue
        if method == "shutdown":
            send({"id": job_id, "result": {"ok": True}})
            return 0
        if method == "ping":
            send({"id": job_id, "result": {"ok": True, "pid": os.getpid(), "python": sys.executable}})
            continue
        if method != "export":
            send({"id": job_id, "error": {"message": f"unknown method {method!r}"}})
            continue
        try:
            request = ExportRequest.from_json(message.get("params") or {})
        except TypeError as error:
            send({"id": job_id, "error": {"message": f"bad export request: {error}"}})
            continue
        result = run_job(request, send, job_id)
        send({"id": job_id, "result": result.to_json()})
    return 0


def main() -> int:
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)  # anything written to fd 1 from now on (Python or C++) goes to stderr
    sys.stdout = sys.stderr
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return serve(sys.stdin, protocol)

