"""Day-2 operations on the box: backups (``archive``), their retention, the whole-box
``restore``, the data directory's run lock, and ``upgrade`` with its rollback
(docs/operations.md).

The names below load on first use: ``selfdata serve`` holds only the lock, never the
backup and restore code with ``tarfile`` (issue #8, an idle box's memory). The whole-box
restore is ``gateway.backup.restore.restore`` (the package's ``restore`` is that module).
"""
import importlib

_WHERE = {"BackupError": "gateway.backup.archive", "Made": "gateway.backup.archive",
          "create": "gateway.backup.archive", "Busy": "gateway.backup.lock",
          "DataDirLock": "gateway.backup.lock", "GatewayRunning": "gateway.backup.restore",
          "Restored": "gateway.backup.restore"}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'gateway.backup' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value
