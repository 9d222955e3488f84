"""What the household page lets a member decide (issue #10), data kept.

* ``devices.kind``: ``phone`` (reports live), ``dongle`` (a USB GPS feeding gpsd) or
  ``import`` (only holds imported history: never offered to phones as a friend, never a
  live marker). Devices made before this column are ``phone``; at start-up the service
  makes those never seen live and holding only imported fixes ``import``
  (``accounts.classify_import_devices``: the accounts package owns the table).
* ``places.private``: the place's coordinates never leave the member (other members'
  Recorder API, their phones' friends, exports made for someone else).
* ``places.merged_into``: the ``place_key`` of the member's place this one is the same as
  (two ends of one building): stays at it are shown as that place.
* ``trip_edits``: where the member split a trip or joined it with the next, applied to the
  engine's trips on every computation so they survive rebuilds.
"""

SCHEMA = """
ALTER TABLE devices ADD COLUMN kind TEXT NOT NULL DEFAULT 'phone'
    CHECK (kind IN ('phone', 'dongle', 'import'));
ALTER TABLE places ADD COLUMN private INTEGER NOT NULL DEFAULT 0;
ALTER TABLE places ADD COLUMN merged_into TEXT;
CREATE TABLE trip_edits (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('split', 'merge')),
    ts INTEGER NOT NULL,            -- split: the moment cut; merge: the end of the first trip
    until_ts INTEGER,               -- merge: the start of the trip joined to it
    lat REAL, lon REAL,             -- split: where the member was at ts
    created_ts INTEGER NOT NULL
);
CREATE INDEX trip_edits_member ON trip_edits (member_id, ts);
"""


from . import run_script  # noqa: E402


def up(conn):
    run_script(conn, SCHEMA)
