"""How caches of the household notice that it changed, whichever process changed it.

Triggers (migration m0006) bump ``accounts_version`` on every change to members, devices or
visibility, in the same transaction, so a cache that compares the number at each lookup
drops what it holds at the first lookup after the commit: a device removed with the
``selfdata`` command stops being accepted by the running service at once. (``PRAGMA
data_version`` would not do: the service's own writer commits fixes all the time.)
"""
from __future__ import annotations


def accounts_version(conn) -> int:
    return conn.execute("SELECT version FROM accounts_version WHERE id = 1").fetchone()[0]


class ChangeWatch:
    """``changed(conn)`` is true at the first call and after every change since the last."""

    def __init__(self):
        self._seen: int | None = None

    def changed(self, conn) -> bool:
        version = accounts_version(conn)  # one primary-key read: cheap on every lookup
        if version == self._seen:
            return False
        self._seen = version
        return True
