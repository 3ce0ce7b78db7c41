"""Talk to the export worker from the server or the CLI: asyncio only, no framework import.

The worker is started on first use with the configured interpreter, kept warm between jobs,
restarted after it dies or runs out of memory, and killed on cancel or timeout (a converter
stuck in C++ cannot be interrupted any other way). The caller awaits pipes, never a thread, so
a language server stays responsive while a job runs.

A worker may run with limits (background checks do): a memory cap and a lower scheduling
priority, set in the child before the worker starts (see `_LIMITED_START`).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import os
import re
import secrets
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from litert_lsp.jobs.job import ExportRequest, ExportResult

OnProgress = Callable[[str, str, "float | None"], None]

# Modules the worker needs for each framework, checked with find_spec (nothing imported).
STACKS = {
    "torch": ("torch", "litert_torch", "ai_edge_litert", "numpy"),
    "tensorflow": ("tensorflow", "ai_edge_litert", "numpy"),
}
# Run by the worker's own interpreter in place of the worker: sets the limits, then execs the
# worker (same process, limits inherited). A shim instead of preexec_fn, which is unsafe in a
# server that has threads. RLIMIT_DATA, not RLIMIT_AS: address space counts reservations
# (a tiny litert-torch conversion measured 2.4 GB of it for 0.55 GB of data and 0.63 GB
# resident, and it grows with threads), so an AS cap would say little about what a model may
# allocate. Since Linux 4.7 RLIMIT_DATA covers anonymous mmaps, where big tensors live; a
# model that allocates past it gets MemoryError (or torch's "can't allocate memory").
# No core files: a crashing model must not leave one in the project.
_LIMITED_START = (
    "import os, sys\n"
    "nice, data = int(sys.argv[1]), int(sys.argv[2])\n"
    "try:\n"
    "    import resource\n"
    "    if data > 0:\n"
    "        hard = resource.getrlimit(resource.RLIMIT_DATA)[1]\n"
    "        cap = data if hard == resource.RLIM_INFINITY else min(data, hard)\n"
    "        resource.setrlimit(resource.RLIMIT_DATA, (cap, hard))\n"
    "    resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))\n"
    "except (ImportError, ValueError, OSError) as error:\n"
    "    print(f'litert-lsp: the worker runs without its memory cap: {error}', file=sys.stderr)\n"
    "if nice:\n"
    "    os.nice(nice)\n"

    "os.execv(sys.executable, [sys.executable, '-m', 'litert_lsp.worker'])\n"
)
# What a job that ran out of memory says (Python, torch's CPU allocator, C++, errno 12).
_OUT_OF_MEMORY = re.compile(r"MemoryError|can't allocate memory|Cannot allocate memory|not enough memory|"
                            r"std::bad_alloc|out of memory", re.IGNORECASE)
_PROBE = (
    "import importlib.util as u, json, sys\n"
    "print(json.dumps({m: u.find_spec(m) is not None for m in sys.argv[1:]}))\n"
)


def probe_stacks(python: str | None = None, timeout: float = 30.0) -> dict[str, bool]:
    """Which export stacks `python` can import, found with importlib.util.find_spec there
    (nothing is imported; about a tenth of a second)."""
    modules = sorted({m for mods in STACKS.values() for m in mods} | {"litert_lsp"})
    if _is_this_interpreter(python):
        # The common case (the server's own interpreter): find_spec here costs microseconds,
        # a subprocess a tenth of a second of the editor's start-up.
        import importlib.util

        found = {m: importlib.util.find_spec(m) is not None for m in modules}
        return {name: found["litert_lsp"] and all(found[m] for m in mods) for name, mods in STACKS.items()}
    try:
        done = subprocess.run([python or sys.executable, "-c", _PROBE, *modules], capture_output=True,
                              text=True, timeout=timeout, check=False)
        found = json.loads(done.stdout or "{}")
    except (OSError, subprocess.SubprocessError, ValueError):
        return {name: False for name in STACKS}
    return {
        name: bool(found.get("litert_lsp")) and all(found.get(m) for m in mods) for name, mods in STACKS.items()
    }


def out_of_memory(result: ExportResult) -> bool:
    """Whether a failed job ran out of memory (its worker is then replaced)."""
    if result.ok or "worker_exit" in result.details:  # a dead worker's sentence mentions memory as a guess
        return False
    return bool(_OUT_OF_MEMORY.search(result.message))


def _is_this_interpreter(python: str | None) -> bool:
    if not python:
        return True
    # Compare the paths, not the files: a venv's python is often a symlink to the system one,
    # yet it sees other packages.
    return os.path.abspath(python) == os.path.abspath(sys.executable)


class WorkerClient:
    """One worker process, one job at a time (jobs queue on a lock)."""

    def __init__(self, python: str | None = None, cwd: str | None = None, env: dict[str, str] | None = None,
                 stderr_lines: int = 200, echo_stderr: bool = False, niceness: int = 0,
                 memory_mb: int | None = None) -> None:
        self.python = python or sys.executable
        # Added to the worker's scheduling niceness (background checks run at low priority).
        self.niceness = niceness
        # The worker's data-segment cap (RLIMIT_DATA) in MiB; None: no cap.
        self.memory_mb = memory_mb
        self.cwd = cwd
        self.env = env
        self.echo_stderr = echo_stderr
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=stderr_lines)
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0
        self._lock = asyncio.Lock()
        self._next_id = 0
        self._stderr_task: asyncio.Task[None] | None = None
        self._cancelled = False
        # The running job's deadline (loop time, in a list the job's wait re-reads), and what was
        # left of it when the worker was paused: a paused worker's budget does not run.
        self._deadline: list[float] | None = None
        self._left_when_paused: float | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    async def start(self) -> None:
        if self.running:
            return
        env = dict(os.environ if self.env is None else self.env)
        env.setdefault("PYTHONUNBUFFERED", "1")
        limited = bool(self.niceness or self.memory_mb) and os.name == "posix"
        command = ["-c", _LIMITED_START, str(self.niceness), str((self.memory_mb or 0) << 20)] if limited else \
            ["-m", "litert_lsp.worker"]
        self.process = await asyncio.create_subprocess_exec(
            self.python, *command,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            cwd=self.cwd, env=env, limit=64 << 20, start_new_session=True,
        )
        self.starts += 1
        self._stderr_task = asyncio.ensure_future(self._drain_stderr(self.process))

    @property
    def paused(self) -> bool:
        return self._left_when_paused is not None

    def pause(self) -> None:
        """Stop the worker where it is (SIGSTOP to its session) so that it takes no CPU while the
        user types; its job's time budget stops with it. `resume` continues it."""
        process = self.process
        if self.paused or process is None or process.returncode is not None or self._deadline is None \
                or not hasattr(signal, "SIGSTOP"):  # no job control (Windows): it keeps running niced
            return
        try:
            os.killpg(process.pid, signal.SIGSTOP)
        except (ProcessLookupError, PermissionError):
            return
        now = asyncio.get_running_loop().time()
        self._left_when_paused = self._deadline[0] - now
        self._deadline[0] = float("inf")  # the wait must not time out a stopped job

    def resume(self) -> None:
        """Continue a paused worker, with the time its job had left."""
        if self._left_when_paused is None:
            return
        left, self._left_when_paused = self._left_when_paused, None
        if self._deadline is not None and self._deadline[0] == float("inf"):
            self._deadline[0] = asyncio.get_running_loop().time() + left
        process = self.process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGCONT)

    async def _drain_stderr(self, process: asyncio.subprocess.Process) -> None:
        assert process.stderr is not None
        while True:
            line = await process.stderr.readline()
            if not line:
                return
            text = line.decode("utf-8", "replace").rstrip()
            self.stderr_tail.append(text)
            if self.echo_stderr:
                print(text, file=sys.stderr)

    async def export(self, request: ExportRequest, on_progress: OnProgress | None = None,
                     timeout: float | None = None, startup_timeout: float | None = None) -> ExportResult:
        """Run one job; never raises for anything the worker does (crash, hang, garbage).

        With `startup_timeout`, `timeout` counts from the worker's first word about this job
        (after its framework imports), so a cold worker's imports do not eat a model's time;
        the worker gets `startup_timeout` seconds to say it.
        A job that ran out of memory leaves its worker replaced (the next job starts afresh)."""
        async with self._lock:
            self._cancelled = False
            request.job_token = request.job_token or secrets.token_hex(6)
            stage = "load code"
            try:
                await self.start()
            except OSError as error:
                return ExportResult(False, f"cannot start the export worker with {self.python}: {error}", stage)
            process = self.process
            assert process is not None and process.stdin is not None and process.stdout is not None
            self._next_id += 1
            job_id = self._next_id
            try:
                process.stdin.write((json.dumps({"id": job_id, "method": "export", "params": request.to_json()}) + "\n").encode())
                await process.stdin.drain()
            except (ConnectionError, OSError):
                return await self._died(request, stage)

            async def read_result() -> ExportResult | None:
                nonlocal stage
                while True:
                    line = await process.stdout.readline()
                    if not line:
                        return None
                    try:
                        message = json.loads(line)
                    except ValueError:
                        continue  # not ours: the worker keeps fd 1 for the protocol, but be lenient
                    if message.get("id") != job_id:
                        continue
                    if startup_timeout is not None and not begun:
                        begun.append(True)
                        deadline[0] = loop.time() + (timeout if timeout is not None else float("inf"))
                    if "result" in message:
                        return ExportResult.from_json(message["result"])
                    if "error" in message:
                        return ExportResult(False, str(message["error"].get("message")), stage)
                    stage = message.get("stage") or stage
                    if on_progress is not None:
                        fraction = message.get("fraction")
                        on_progress(stage, str(message.get("message", "")), None if fraction is None else fraction * 100)

            loop = asyncio.get_running_loop()
            begun: list[bool] = []
            first = timeout if startup_timeout is None else startup_timeout
            deadline = [loop.time() + (first if first is not None else float("inf"))]
            self._deadline = deadline
            try:
                result = await _until_deadline(read_result(), deadline)
            except asyncio.TimeoutError:
                limit = timeout if begun or startup_timeout is None else startup_timeout
                await self.kill()
                await self._reap()
                _remove_partials(request)
                if not begun and startup_timeout is not None:
                    return ExportResult(False, f"the export worker did not start within {limit:g} s and was stopped",
                                        stage, details={"timeout": limit, "started": False}, status="timeout")
                return ExportResult(False, f"the export took longer than {limit:g} s and was stopped "
                                    "(raise export.timeout-seconds for big models)", stage,
                                    details={"timeout": limit}, status="timeout")
            except asyncio.CancelledError:
                await self.kill()
                _remove_partials(request)
                raise
            finally:
                self.resume()
                self._deadline = None
            if result is None:
                if self._cancelled:
                    await self._reap()
                    _remove_partials(request)
                    return ExportResult(False, "cancelled; no file was written", stage, details={"cancelled": True},
                                        status="cancelled")
                return await self._died(request, stage)
            if out_of_memory(result):
                # Whatever it freed, a worker that hit its cap may be left fragmented or with a
                # half-built framework state: the next job gets a fresh one.
                await self.kill()
                await self._reap()
                result.details["worker_replaced"] = True
            return result

    async def cancel(self) -> None:
        """Stop the running job (the worker is killed; the next job starts a fresh one)."""
        if self.busy:
            self._cancelled = True
            await self.kill()

    async def _reap(self) -> int | None:
        """Wait for the (closing) worker to exit and forget it, so the next job starts afresh
        instead of writing to a process that has not been reaped yet."""
        process, self.process = self.process, None
        code = None
        if process is not None:
            try:
                code = await asyncio.wait_for(process.wait(), 5)
            except asyncio.TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
        if self._stderr_task is not None:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._stderr_task, 2)
        return code

    async def _died(self, request: ExportRequest, stage: str) -> ExportResult:
        code = await self._reap()
        _remove_partials(request)
        how = exit_text(code)
        last = next((line for line in reversed(self.stderr_tail) if line.strip()), "")
        hint = f" Its last words: {last[:200]}" if last else ""
        return ExportResult(
            False,
            f"the export worker stopped unexpectedly ({how}) during '{stage}': the converter crashed or ran out "
            f"of memory. It restarts for the next export.{hint}",
            stage, details={"worker_exit": code},
        )

    async def kill(self) -> None:
        process = self.process
        if process is None or process.returncode is not None:
            return
        self._left_when_paused = None  # SIGKILL ends a stopped process too
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # its own session: children (compilers) go too
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(process.wait(), 10)

    async def close(self) -> None:
        process = self.process
        if process is None or process.returncode is not None:
            return
        self.resume()  # a stopped worker would never read the shutdown
        try:
            assert process.stdin is not None
            process.stdin.write(b'{"id": 0, "method": "shutdown"}\n')
            await process.stdin.drain()
            await asyncio.wait_for(process.wait(), 5)
        except (ConnectionError, OSError, asyncio.TimeoutError):
            await self.kill()
        self.process = None


async def _until_deadline(work: Any, deadline: list[float]) -> Any:
    """Await `work`, raising TimeoutError once the loop's clock passes `deadline[0]` (which
    `work` may move while it runs)."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(work)
    try:
        while True:
            remaining = deadline[0] - loop.time()
            if remaining <= 0:
                break
            # Woken every quarter second: `work` may have moved the deadline meanwhile.
            done, _ = await asyncio.wait({task}, timeout=min(remaining, 0.25))
            if done:
                return task.result()
    except asyncio.CancelledError:
        task.cancel()
        raise
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    raise asyncio.TimeoutError


def exit_text(code: int | None) -> str:
    if code is None:
        return "no exit code"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def _remove_partials(request: ExportRequest) -> None:
    """A worker killed while writing can leave write_atomically's temp file: remove this job's
    (named by its token), and nothing else in the folder."""
    if not request.job_token:
        return
    folder = Path(request.output).expanduser().parent if request.output else Path(request.source).parent
    with contextlib.suppress(OSError):
        for leftover in folder.glob(f".*.{request.job_token}.*.partial"):
            leftover.unlink()
