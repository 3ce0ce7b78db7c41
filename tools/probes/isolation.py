"""Run probes in worker processes so that a crash, hang or memory blow-up in one probe
becomes that probe's recorded result instead of ending the whole run.

The parent (`run_isolated`) keeps `processes` workers busy. Each worker is
`python -m <worker_module>`, whose `main()` calls `serve(probe_function)`: it reads one job
id per line on stdin and answers one JSON line per job. Workers stay warm across jobs (the
frameworks import once per worker, not once per probe) and are replaced after a failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass
class ProbeOutcome:
    job: str
    result: dict[str, Any] | None  # what the probe function returned
    failure: str | None  # set when the worker died, hung or used too much memory
    seconds: float


# ---- parent side ----------------------------------------------------------------------


def run_isolated(
    jobs: Sequence[str],
    worker_module: str,
    *,
    processes: int = 2,
    timeout: float = 180.0,
    memory_limit_bytes: int = 8 << 30,
    max_jobs_per_worker: int = 40,
    log_path: str | None = None,
    on_outcome: Callable[[ProbeOutcome], None] | None = None,
) -> list[ProbeOutcome]:
    """Run every job; returns outcomes in the order of `jobs`."""
    pending: queue.Queue[str] = queue.Queue()
    for job in jobs:
        pending.put(job)
    outcomes: dict[str, ProbeOutcome] = {}
    lock = threading.Lock()
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115 - closed after every slot ends

    def slot() -> None:
        worker: _Worker | None = None
        while True:
            try:
                job = pending.get_nowait()
            except queue.Empty:
                break
            if worker is None or worker.jobs_done >= max_jobs_per_worker:
                if worker:
                    worker.close()
                worker = _Worker(worker_module, log)
            outcome = worker.run(job, timeout, memory_limit_bytes)
            if outcome.failure:
                worker.kill()
                worker = None
            with lock:
                outcomes[job] = outcome
                if on_outcome:
                    on_outcome(outcome)
        if worker:
            worker.close()

    threads = [threading.Thread(target=slot, daemon=True) for _ in range(max(1, processes))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if log is not subprocess.DEVNULL:
        log.close()
    return [outcomes[job] for job in jobs]


class _Worker:
    def __init__(self, module: str, log: Any) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1", TF_CPP_MIN_LOG_LEVEL="2")
        self.process = subprocess.Popen(
            [sys.executable, "-m", module],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            env=env,
            start_new_session=True,
        )
        self.buffer = b""
        self.jobs_done = 0

    def run(self, job: str, timeout: float, memory_limit: int) -> ProbeOutcome:
        started = time.monotonic()
        try:
            assert self.process.stdin is not None
            self.process.stdin.write(job.encode() + b"\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            return ProbeOutcome(job, None, self._death_reason(), 0.0)
        line = self._read_line(started, timeout, memory_limit)
        elapsed = time.monotonic() - started
        if isinstance(line, str):  # a failure description
            return ProbeOutcome(job, None, line, elapsed)
        self.jobs_done += 1
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            return ProbeOutcome(job, None, "worker answered with unreadable output", elapsed)
        return ProbeOutcome(job, message.get("result"), None, elapsed)

    def _read_line(self, started: float, timeout: float, memory_limit: int) -> bytes | str:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while b"\n" not in self.buffer:
                if time.monotonic() - started > timeout:
                    return f"timed out after {timeout:.0f} s"
                rss = _resident_bytes(self.process.pid)
                if rss > memory_limit:
                    return f"ran out of memory (over {memory_limit / 2**30:.0f} GiB resident)"
                if selector.select(timeout=0.5):
                    chunk = os.read(fd, 1 << 16)
                    if not chunk:
                        self.process.wait(timeout=10)
                        return self._death_reason()
                    self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line

    def _death_reason(self) -> str:
        code = self.process.poll()
        if code is None:
            return "worker stopped answering"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f"crashed ({name})"
        return f"worker exited with status {code}"

    def close(self) -> None:
        try:
            if self.process.stdin:
                self.process.stdin.close()
            self.process.wait(timeout=10)
        except (subprocess.TimeoutExpired, OSError):
            self.kill()

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)


def _resident_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


# ---- worker side ----------------------------------------------------------------------


def serve(probe: Callable[[str], dict[str, Any]]) -> None:
    """Worker loop: answer each job id read from stdin with one JSON line.

    Converters print freely to stdout; results go to a private copy of the original
    stdout and everything else written to fd 1 is sent to stderr.
    """
    result_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    out = os.fdopen(result_fd, "w", buffering=1)
    for raw in sys.stdin:
        job = raw.strip()
        if not job:
            continue
        try:
            result = probe(job)
        except BaseException as error:  # a probe's bug is its result, not the run's end
            if isinstance(error, KeyboardInterrupt):
                raise
            first = (str(error).strip().splitlines() or [""])[0]
            result = {"probe_error": f"{type(error).__name__}: {first}"[:500]}
        out.write(json.dumps({"job": job, "result": result}, default=str) + "\n")
        out.flush()
