"""Where uploaded location histories wait for their import (`POST /api/1/imports`)."""
from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)


def folder(config) -> Path:
    return config.data_dir / "uploads"


def forget_interrupted(config) -> None:
    """Uploads of imports a crash interrupted: no import runs before the service starts, and
    the import itself can be run again (it is idempotent)."""
    path = folder(config)
    for leftover in path.glob("*") if path.is_dir() else ():
        log.warning("removing %s, left by an interrupted import", leftover.name)
        leftover.unlink(missing_ok=True)
