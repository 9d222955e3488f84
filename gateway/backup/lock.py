"""The data directory's run lock: `selfdata serve` holds it while it runs, `selfdata restore`
while it replaces the data, so neither happens under the other (an advisory ``flock``: the
kernel drops it when the process dies, SIGKILL and power cut included)."""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCK_NAME = "gateway.lock"


class Busy(Exception):
    """Another process holds the data directory (a running gateway, or a restore)."""


class DataDirLock:
    def __init__(self, data_dir: Path, holder: str):
        self.path = Path(data_dir) / LOCK_NAME
        self.holder = holder
        self.fd: int | None = None

    def acquire(self) -> "DataDirLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.read(fd, 200).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise Busy(f"{self.path.parent} is in use by {other}") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{self.holder} (pid {os.getpid()})\n".encode())
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()
        return False
