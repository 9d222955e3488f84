"""Backups kept N days: after each new backup, the older ones of its folder go."""
from __future__ import annotations

import time
from pathlib import Path

# How backup files are named: only these are ever deleted.
PREFIX = "selfdata-backup-"
SUFFIX = ".tar.gz"


def prune(folder: Path, keep_days: int, *, keep_also: Path | None = None,
          now: float | None = None) -> list[Path]:
    """Delete this folder's backups older than ``keep_days`` days (by their file time);
    never the newest, never ``keep_also``, never anything not named like a backup."""
    if keep_days <= 0:
        return []
    now = time.time() if now is None else now
    backups = sorted((p for p in folder.glob(f"{PREFIX}*{SUFFIX}") if p.is_file()),
                     key=lambda p: p.stat().st_mtime)
    if not backups:
        return []
    newest = backups[-1]
    deleted = []
    for path in backups:
        if path in (newest, keep_also):
            continue
        if now - path.stat().st_mtime > keep_days * 86400:
            path.unlink(missing_ok=True)
            deleted.append(path)
    return deleted
