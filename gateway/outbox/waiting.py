"""Whether this box has a city link at all. Most boxes never link to a city; the service
starts the outbox, and loads its HTTP client and Ed25519 code, only once one has (a member
enrolled from the page or with `selfdata link enrol`, or key files are left to clean up)."""
from __future__ import annotations

from pathlib import Path

KEYS_DIR = "keys"   # <data_dir>/keys: each member's private key per aggregator


def in_use(conn, data_dir) -> bool:
    if conn.execute("SELECT 1 FROM links LIMIT 1").fetchone() is not None:
        return True
    keys = Path(data_dir) / KEYS_DIR
    return keys.is_dir() and any(keys.iterdir())
