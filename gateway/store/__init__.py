"""The one SQLite file: connections and transactions (``database``), the write primitives of
fixes, events and rejections (``writes``), what each table is (``tables``) and the schema
(``migrations``).

    store = Store(config.db_path).open()        # migrated on open
    with store.transaction() as conn:
        insert_fixes(conn, device.id, device.member_id, fixes, "import:gpx")
"""
from .database import Store, connect
from .writes import (FIX_COLUMNS, fix_row, insert_event, insert_fix_rows, insert_fixes,
                     insert_rejection, payload_head, prune_rejections)

__all__ = ["Store", "connect", "FIX_COLUMNS", "fix_row", "insert_fix_rows", "insert_fixes",
           "insert_event", "insert_rejection", "payload_head", "prune_rejections"]
