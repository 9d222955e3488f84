"""Backups kept N days: after each new backup, the older ones of its folder go."""
from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

# How backup files are named: only these are ever deleted.
PREFIX = "selfdata-backup-"
SUFFIX = ".tar.gz"
_STAMP = re.compile(r"-(\d{8}T\d{6}Z)" + re.escape(SUFFIX) + "$")


def backups(folder: Path) -> list[Path]:
    """The folder's backup files, oldest first (by when each was taken, `taken_at`: a copy
    that did not keep its file time is still in its place); none if the folder does not
    exist."""
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.glob(f"{PREFIX}*{SUFFIX}") if p.is_file()),
                  key=taken_at)


def taken_at(path: Path) -> float:
    """When a backup was taken: the UTC time in its name (a copy to a stick keeps it),
    else the file's time (a backup written with --to NAME.tar.gz)."""
    m = _STAMP.search(path.name)
    if m:
        return dt.datetime.strptime(m.group(1), "%Y%m%dT%H%M%SZ").replace(
            tzinfo=dt.timezone.utc).timestamp()
    return path.stat().st_mtime


def prune(folder: Path, keep_days: int, *, keep_also: Path | None = None,
          now: float | None = None) -> list[Path]:
    """Delete this folder's backups older than ``keep_days`` days (by their file time);
    never the newest, never ``keep_also``, never anything not named like a backup."""
    if keep_days <= 0:
        return []
    now = time.time() if now is None else now
    found = backups(folder)
    if not found:
        return []
    newest = found[-1]
    deleted = []
    for path in found:
        if path in (newest, keep_also):
            continue
        if now - path.stat().st_mtime > keep_days * 86400:
            path.unlink(missing_ok=True)
            deleted.append(path)
    return deleted
