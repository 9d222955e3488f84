"""The Recorder API's location objects computed once, when a fix is written (issue #8).

``fixes.loc`` holds the Recorder's location object as far as the fix and its device decide
it, ``fixes.ghash`` its geohash (``gateway.store.locations``). Adding the columns is instant;
the fixes stored before this migration are filled in afterwards, a short batch at a time,
by the running gateway (``store.fill_locations``), and read correctly meanwhile (a fix
without them is enriched in Python, as before). The partial index finds those fixes
without scanning the table, and stays empty once they are done (new fixes are written
with their ``ghash``).
"""

SCHEMA = """
ALTER TABLE fixes ADD COLUMN loc TEXT;
ALTER TABLE fixes ADD COLUMN ghash TEXT;
CREATE INDEX fixes_unfilled ON fixes (id) WHERE ghash IS NULL;
"""


from . import run_script  # noqa: E402


def up(conn):
    run_script(conn, SCHEMA)
