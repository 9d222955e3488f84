"""Day-2 operations on the box: backups (``archive``), their retention, the whole-box
``restore``, the data directory's run lock, and ``upgrade`` with its rollback
(docs/operations.md)."""
from .archive import BackupError, Made, create
from .lock import Busy, DataDirLock
from .restore import GatewayRunning, Restored, restore

__all__ = ["BackupError", "Busy", "DataDirLock", "GatewayRunning", "Made", "Restored",
           "create", "restore"]
