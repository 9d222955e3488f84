"""Day-2 operations on the box: backups (``archive``), their retention, the whole-box
``restore``, the data directory's run lock, and ``upgrade`` with its rollback
(docs/operations.md).

The names below load on first use: ``selfdata serve`` holds only the lock, never the
backup and restore code with ``tarfile`` (issue #8, an idle box's memory). The whole-box
restore is ``gateway.backup.restore.restore`` (the package's ``restore`` is that module).
"""
from ..lazy import on_first_use

_WHERE = {"BackupError": ".archive", "Made": ".archive", "create": ".archive",
          "Busy": ".lock", "DataDirLock": ".lock", "GatewayRunning": ".restore",
          "Restored": ".restore"}

__all__ = sorted(_WHERE)
__getattr__ = on_first_use(__name__, _WHERE)
