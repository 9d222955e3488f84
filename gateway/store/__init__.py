"""The one SQLite file: connections and transactions (``database``), the write primitives of
fixes, events and rejections (``writes``), what each table is (``tables``) and the schema
(``migrations``).

    store = Store(config.db_path).open()        # migrated on open
    with store.transaction() as conn:
        insert_fixes(conn, device, fixes, "import:gpx")
"""
from .database import Store, connect
from .writes import (DERIVED_FIX_COLUMNS, FIX_COLUMNS, fill_locations, fix_row, insert_event,
                     insert_fix_rows, insert_fixes, insert_rejection, fields,
                     fields_row, payload_head, prune_rejections)

__all__ = ["Store", "connect", "DERIVED_FIX_COLUMNS", "FIX_COLUMNS", "fill_locations",
           "fix_row", "insert_fix_rows", "insert_fixes", "insert_event", "insert_rejection",
           "fields", "fields_row", "payload_head", "prune_rejections"]
