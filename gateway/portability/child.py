"""One upload's import, in a process of its own: ``python -m gateway.portability.child``.

The service starts it (``runner.ImportRunner``) and never parses an uploaded file itself.
Before reading anything the child asks the kernel to hold it to the box's limits: its
address space (``[imports] memory_mb``: past it an allocation fails, and the child exits
with ``MEMORY_EXIT``), its processor time (``cpu_seconds``: SIGXCPU, then SIGKILL), no core
file. It dies with the service (PR_SET_PDEATHSIG), so an import never outlives the process
that answers for it. It writes to the same SQLite file as the service, through the same
importer as `selfdata import`, in short transactions: phones' fixes go on meanwhile.
"""
from __future__ import annotations

import argparse
import logging
import os
import resource
import signal
import sys

MEMORY_EXIT = 3          # an allocation failed under the memory limit
PARENT_GONE_EXIT = 4     # the service died before the child could tie itself to it
BUSY_TIMEOUT_MS = 120_000
_PR_SET_PDEATHSIG = 1


def limit(memory_mb: int, cpu_seconds: int) -> None:
    """The kernel's limits, set on this process before it reads a byte of the upload."""
    memory = memory_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    # The soft limit sends SIGXCPU (the child ends at once); the hard one SIGKILL, in case
    # the first was caught.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))   # never a core dump on the SD card


def die_with(parent: int) -> None:
    """SIGKILL when the service dies (even by SIGKILL), and exit now if it already has."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(PARENT_GONE_EXIT)


def parse(argv):
    ap = argparse.ArgumentParser(prog="python -m gateway.portability.child")
    ap.add_argument("db")
    ap.add_argument("job", type=int)
    ap.add_argument("member")
    ap.add_argument("path")
    ap.add_argument("--device")
    ap.add_argument("--parent", type=int, required=True)
    ap.add_argument("--memory-mb", type=int, required=True)
    ap.add_argument("--cpu-seconds", type=int, required=True)
    ap.add_argument("--transaction-ms", type=float, required=True)
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse(argv)
    die_with(args.parent)
    limit(args.memory_mb, args.cpu_seconds)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return run(args)
    except MemoryError:
        # Nothing more can be trusted to allocate: the service writes the job's end.
        os._exit(MEMORY_EXIT)


def run(args) -> int:
    from ..store import Store
    from .importing import Importer
    from . import jobs
    store = Store(args.db)          # already migrated by the service
    # A background job waits for the lock longer than a phone's post would (the service's
    # trip engine may hold it for seconds after a large import); its own transactions
    # stay short.
    store.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    try:
        importer = Importer(store, args.member, device=args.device, run_pipeline=False,
                            job_id=args.job, transaction_ms=args.transaction_ms)
        # The peak goes in with the end of the job: the page then shows both at once.
        importer.finishing = lambda conn: jobs.record_peak(conn, args.job, peak_kb())
        importer.run([args.path])    # the trips follow in the service, which knows them live
    finally:
        store.close()
    return 0


def peak_kb() -> int:
    """This process's peak resident memory (VmHWM), KiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
