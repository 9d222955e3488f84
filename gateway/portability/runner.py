"""The service's imports: each upload imported by a child process with limits
(``child.py``), a bounded number at once, and every job ending in a state a member can read.

A slot is taken before an upload's first byte is read and given back when its child has
gone, so a member receiving one file and importing another counts twice: at most
``[imports] per_member`` per member and ``per_box`` in all (refused beyond, with 409 and 429).
When a child ends, the service says how (``jobs.end``): a limit stopped it (memory,
processor time), it failed, or the service stopped it; what it committed stays. Then the
member's trips are recomputed by the service's own pipeline.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from . import jobs, uploads
from .child import MEMORY_EXIT

log = logging.getLogger(__name__)

SAMPLE_S = 0.25          # how often a child's memory is read from /proc
# A child pinned at its address-space ceiling this long is stuck, not working: CPython can
# loop forever unwinding an exception when not even a small int can be allocated (3.11's
# exception_unwind retries the same allocation). It is killed, as out of memory.
PINNED_S = 2.0
STOP_WAIT_S = 10.0
EXIT_GRACE_S = 5.0       # how long an upload waits for an ended job's child to exit
MAX_LOG_LINES = 50       # a child's stderr lines logged; the rest is counted, not kept


class Busy(Exception):
    """No slot for an import: ``status`` 409 (the member's own is running) or 429 (the box's)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class Slot:
    """One import's place, from its upload's first byte until its child has gone."""

    def __init__(self, runner: "ImportRunner", member_id: int):
        self.runner, self.member_id, self.held = runner, member_id, True

    def release(self) -> None:
        if self.held:
            self.held = False
            self.runner._taken[self.member_id] -= 1

    def __enter__(self) -> "Slot":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:     # the upload failed before its child started
            self.release()
        return False


class ImportRunner:
    def __init__(self, store, config, on_finished: Callable[[int], None] | None = None):
        self.store, self.config = store, config
        self.limits = config.imports
        self.on_finished = on_finished
        self._taken: Counter = Counter()
        self._children: dict[int, asyncio.subprocess.Process] = {}
        self._watchers: set[asyncio.Task] = set()
        self._stopping = False
        # Job rows are written off the event loop: a child's transaction may hold the lock
        # for a moment, and the loop answers phones meanwhile.
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="selfdata-imports")

    async def _write(self, fn, *args):
        def transaction():
            with self.store.transaction() as conn:
                return fn(conn, *args)
        return await asyncio.get_running_loop().run_in_executor(self._writer, transaction)

    def recover(self) -> list[int]:
        """At start: jobs a crash left running are interrupted, their uploads removed."""
        with self.store.transaction() as conn:
            ids = jobs.mark_interrupted(conn)
        for job_id in ids:
            log.warning("import job %d was interrupted by a crash or a stop", job_id)
        uploads.forget_interrupted(self.config)
        return ids

    async def reserve(self, member_id: int) -> Slot:
        """A slot for the member's next import, or ``Busy``. A job that has just ended
        still holds its slot until its child has exited (a moment): the next file of a
        page uploading one after the other waits for that rather than being refused."""
        deadline = asyncio.get_running_loop().time() + EXIT_GRACE_S
        while True:
            try:
                return self._reserve(member_id)
            except Busy:
                if not self._exiting() or asyncio.get_running_loop().time() > deadline:
                    raise
            await asyncio.sleep(0.05)

    def _exiting(self) -> bool:
        """A child whose job has ended is still there (closing its store, exiting)."""
        return any(jobs.status(self.store.conn, job_id) != "running" for job_id in self._children)

    def _reserve(self, member_id: int) -> Slot:
        if self._stopping:
            raise Busy("the box is stopping: upload the file again in a minute", 429)
        if self._taken[member_id] >= self.limits.per_member:
            raise Busy("an import of yours is already being received or running: wait until "
                       "it has finished, then upload the next file", 409)
        if sum(self._taken.values()) >= self.limits.per_box:
            raise Busy(f"the box is already importing {self.limits.per_box} files, the most "
                       "it runs at once: try again when one has finished", 429)
        self._taken[member_id] += 1
        return Slot(self, member_id)

    async def start(self, slot: Slot, member: str, path: Path, device: str | None) -> int:
        """The job row, then its child; returns the job's id. The slot and the uploaded
        file now belong to the job."""
        job_id = None
        try:
            job_id = await self._write(lambda conn: jobs.create(
                conn, slot.member_id, [str(path)], path.stat().st_size, runner="service"))
            proc = await self._spawn(job_id, member, path, device)
        except Exception as exc:
            uploads.remove(path)
            if job_id is not None:
                await self._write(_finish, job_id, "failed",
                                  f"failed: the import could not start: {exc}", None)
            raise
        self._children[job_id] = proc
        task = asyncio.create_task(self._watch(job_id, proc, slot, path),
                                   name=f"import-{job_id}")
        self._watchers.add(task)
        task.add_done_callback(self._watchers.discard)
        return job_id

    async def _spawn(self, job_id: int, member: str, path: Path, device: str | None):
        # Run in the upload's folder and given the file's own name: what the report says
        # about it names the member's file, not a path of the box ("./": a name is never
        # an option).
        # -P: the folder (holding a file named by the member, "json.py" say) is never on
        # the child's import path.
        args = [sys.executable, "-P", "-m", "gateway.portability.child",
                str(Path(self.store.path).resolve()), str(job_id), member, f"./{path.name}",
                "--parent", str(os.getpid()),
                "--memory-mb", str(self.limits.memory_mb),
                "--cpu-seconds", str(self.limits.cpu_seconds),
                "--transaction-ms", str(self.limits.transaction_ms)]
        if device:
            args.append(f"--device={device}")    # one token: a name can never be an option
        # Spawned from the event loop's thread, which lives as long as the service: the
        # child's death signal follows the thread that forked it.
        proc = await asyncio.create_subprocess_exec(
            *args, cwd=path.parent, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE)
        await self._write(jobs.set_pid, job_id, proc.pid)
        log.info("import job %d: child %d for %s (%s)", job_id, proc.pid, member,
                 uploads.mb(path.stat().st_size))
        return proc

    async def _watch(self, job_id: int, proc, slot: Slot, path: Path) -> None:
        peak = {"hwm": 0, "vm": 0}
        sampler = asyncio.create_task(self._sample(proc.pid, peak))
        logger = asyncio.create_task(_log_stderr(job_id, proc.stderr))
        try:
            code = await proc.wait()
            await asyncio.gather(logger, return_exceptions=True)
        finally:
            sampler.cancel()
            self._children.pop(job_id, None)
            uploads.remove(path)
            slot.release()
        status, note = self.outcome(code, peak["vm"])
        ended = await self._write(_finish, job_id, status, note, peak["hwm"])
        log.log(logging.WARNING if ended else logging.INFO,
                "import job %d: child exited with %s, peak %d MB%s", job_id, code,
                peak["hwm"] // 1024, f": {ended}" if ended else "")
        if self.on_finished is not None:
            self.on_finished(slot.member_id)

    async def _sample(self, pid: int, peak: dict) -> None:
        """The child's peak resident and virtual sizes, as /proc says them; a child stuck
        at its memory ceiling is killed."""
        ceiling_kb = (self.limits.memory_mb << 10) - 4096
        pinned_since = None
        while True:
            hwm, vm, size = _sizes(pid)
            peak["hwm"], peak["vm"] = max(peak["hwm"], hwm), max(peak["vm"], vm)
            now = asyncio.get_running_loop().time()
            pinned_since = (pinned_since or now) if size >= ceiling_kb else None
            if pinned_since is not None and now - pinned_since >= PINNED_S:
                log.warning("import child %d stuck at its %d MB memory limit: killed", pid,
                            self.limits.memory_mb)
                _kill(pid)
                return
            await asyncio.sleep(SAMPLE_S)

    def outcome(self, code: int, peak_vm_kb: int) -> tuple[str | None, str | None]:
        """(status, note) the service writes for a child's exit code; (None, None) when the
        child ended its job itself."""
        limit_kb = self.limits.memory_mb << 10
        near_limit = peak_vm_kb >= 0.9 * limit_kb
        if code == 0:
            return None, None
        if code == MEMORY_EXIT or code == -signal.SIGKILL or (
                code in (-signal.SIGSEGV, -signal.SIGABRT, -signal.SIGBUS) and near_limit):
            return "stopped", (f"stopped: the file needed more memory than the box allows "
                               f"({self.limits.memory_mb} MB for an import). What was imported "
                               "before is kept; split the file, or import it from the box's "
                               "command line (selfdata import)")
        if code == -signal.SIGXCPU:
            return "stopped", (f"stopped: the import used more than {self.limits.cpu_seconds:,} "
                               "seconds of processor time. What was imported before is kept; "
                               "running it again continues where it stopped")
        if code == -signal.SIGTERM and self._stopping:
            return "interrupted", jobs.CRASHED
        return "failed", (f"failed: the import stopped unexpectedly (exit {code}). What was "
                          "imported before is kept; the service's log says more")

    async def stop(self) -> None:
        """Stop the children (what they committed stays) and mark their jobs interrupted."""
        self._stopping = True
        for proc in list(self._children.values()):
            if proc.returncode is None:
                proc.terminate()
        if self._watchers:
            done, pending = await asyncio.wait(list(self._watchers), timeout=STOP_WAIT_S)
            for proc in list(self._children.values()):
                if proc.returncode is None:
                    proc.kill()
            if pending:
                await asyncio.wait(pending, timeout=STOP_WAIT_S)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._writer, self.store.close)   # the writer's connection
        self._writer.shutdown(wait=True)

    def running(self) -> int:
        return len(self._children)


def _finish(conn, job_id: int, status: str | None, note: str | None, peak_kb) -> str | None:
    """End a job the child left running; the note written, None when the child had ended
    it itself (done)."""
    if status is None:
        status, note = "failed", "failed: the import ended without a report; the " \
                                 "service's log says more"
    return note if jobs.end(conn, job_id, status, note, peak_kb) else None


def _sizes(pid: int) -> tuple[int, int, int]:
    """(VmHWM, VmPeak, VmSize) in KiB, 0 once the process is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0, 0, 0
    values = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)

    def kb(key):
        return int(values.get(key, "0 kB").split()[0])
    return kb("VmHWM"), kb("VmPeak"), kb("VmSize")


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


async def _log_stderr(job_id: int, stream) -> None:
    """A child's complaints into the service's log, bounded: a few lines, each clipped."""
    logged, carry = 0, b""
    while chunk := await stream.read(64 * 1024):
        *lines, carry = (carry + chunk).split(b"\n")
        carry = carry[-4096:]
        for line in lines:
            if logged < MAX_LOG_LINES and line.strip():
                log.warning("import job %d: %s", job_id, line.decode(errors="replace")[:300])
            logged += 1
    if carry.strip() and logged < MAX_LOG_LINES:
        log.warning("import job %d: %s", job_id, carry.decode(errors="replace")[:300])
        logged += 1
    if logged > MAX_LOG_LINES:
        log.warning("import job %d: %d more lines not logged", job_id, logged - MAX_LOG_LINES)
