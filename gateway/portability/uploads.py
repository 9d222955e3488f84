"""Where uploaded location histories wait for their import (`POST /api/1/imports`), and how
one is written there without ever filling the disk the phones' ingest writes to.

Every chunk is counted against the upload cap and the free space the filesystem reports
(statvfs) before it is written, so an upload stops while ``[imports] disk_margin_mb`` is
still free; a disk that fills anyway (another writer) stops it the same way. On any end
but success (a limit, a disk error, the client gone, the service stopping) the partial file
is deleted at once.
"""
from __future__ import annotations

import errno
import logging
import os
import shutil
import uuid
from pathlib import Path


log = logging.getLogger(__name__)


def mb(n: int) -> str:
    """A size as the importers say it; their package (with zipfile) loads with the first
    upload, not with the service (issue #8)."""
    from receivers.importers.expansion import mb as said
    return said(n)


class UploadRefused(Exception):
    """An upload that cannot be kept; ``status`` is the HTTP answer (413 or 507)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def folder(config) -> Path:
    return config.data_dir / "uploads"


def free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def check_declared(config, size: int | None) -> None:
    """Refuse a body whose declared length cannot fit, before reading a byte of it."""
    if size is None:
        return
    _check_size(config, size)
    path = folder(config)
    path.mkdir(parents=True, exist_ok=True)
    _check_room(config, path, size)


class Upload:
    """``with Upload(config, name) as up: up.write(chunk)...``; ``up.path`` once done."""

    def __init__(self, config, name: str):
        self.config = config
        # A folder per upload, the file under the member's own name: the import's report
        # then says "ride.gpx: ...", never a path of the box.
        self.dir = folder(config) / uuid.uuid4().hex
        self.dir.mkdir(parents=True)
        self.path = self.dir / (name if name.strip(".") else "upload")
        self.size = 0
        self._file = None

    def __enter__(self) -> "Upload":
        self._file = open(self.path, "wb")
        return self

    def write(self, chunk: bytes) -> None:
        _check_size(self.config, self.size + len(chunk))
        _check_room(self.config, self.dir, len(chunk))
        try:
            self._file.write(chunk)
        except OSError as exc:
            raise _disk_error(exc) from None
        self.size += len(chunk)

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            self._file.close()       # flushes: a full disk may only show here
        except OSError as close_error:
            if exc_type is None:
                self.discard()
                raise _disk_error(close_error) from None
        if exc_type is not None:     # anything: a limit, the client gone, cancelled
            self.discard()
        return False

    def discard(self) -> None:
        remove(self.path)
        log.info("upload %s discarded after %s", self.path.name, mb(self.size))


def remove(path: Path) -> None:
    """An upload's file and its folder."""
    path.unlink(missing_ok=True)
    try:
        path.parent.rmdir()
    except OSError:
        pass


def _check_size(config, size: int) -> None:
    cap = config.imports.max_upload_mb << 20
    if size > cap:
        raise UploadRefused(f"the file is larger than the {mb(cap)} an upload may be: "
                            "import it from the box's command line (selfdata import), or "
                            "split it", 413)


def _check_room(config, path: Path, more: int) -> None:
    margin = config.imports.disk_margin_mb << 20
    free = free_bytes(path)
    if free - more < margin:
        kept = f", and {mb(margin)} must stay free for the phones' positions" if margin else ""
        raise UploadRefused(f"not enough free disk on the box for this file: {mb(free)} "
                            f"free{kept}", 507)


def _disk_error(exc: OSError) -> UploadRefused:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return UploadRefused("the box's disk is full: the upload was stopped and removed", 507)
    return UploadRefused(f"the upload could not be written: {exc.strerror or exc}", 507)


def forget_interrupted(config) -> None:
    """Uploads of imports a crash interrupted: no import runs before the service starts, and
    the import itself can be run again (it is idempotent)."""
    path = folder(config)
    for leftover in path.glob("*") if path.is_dir() else ():
        log.warning("removing %s, left by an interrupted import", leftover.name)
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
