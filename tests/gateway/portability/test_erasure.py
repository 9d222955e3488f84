"""Deleting is real: rows leave the database file and its WAL. Retention keeps trips."""
from __future__ import annotations

import struct
from datetime import date, datetime, timezone

import pytest

from gateway import accounts
from gateway.portability import erasure, retention
from carbon.fix import Fix
from gateway.store import insert_fixes
from portability_helpers import fixes_of

DAY = date(2024, 3, 31)            # daylight saving starts in Paris: a 23-hour day
START, END = erasure.day_range(DAY, "Europe/Paris")
MARK = "unique-marker-7f3a9c"


@pytest.fixture
def phone(store):
    with store.transaction() as conn:
        device, _ = accounts.add_device(conn, "alice", "phone")
        accounts.add_member(conn, "bob", None)
        bob_phone, _ = accounts.add_device(conn, "bob", "phone")
        fixes = [Fix(ts=START - 60, lat=46.1, lon=-1.1),              # the evening before
                 Fix(ts=START + 10, lat=46.987654321, lon=-1.1, raw=f'{{"note":"{MARK}"}}'),
                 Fix(ts=END - 10, lat=46.2, lon=-1.2),
                 Fix(ts=END, lat=46.3, lon=-1.3)]                     # the next midnight
        insert_fixes(conn, device.id, device.member_id, fixes, "owntracks-http", 0)
        insert_fixes(conn, bob_phone.id, bob_phone.member_id,
                     [Fix(ts=START + 10, lat=46.5, lon=-1.5)], "owntracks-http", 0)
    return device


def file_bytes(store) -> bytes:
    data = store.path.read_bytes()
    wal = store.path.with_name(store.path.name + "-wal")
    return data + (wal.read_bytes() if wal.exists() else b"")


def test_day_range_follows_the_household_zone():
    assert END - START == 23 * 3600
    assert START == 1711839600          # 2024-03-30T23:00:00Z is midnight in Paris


def test_deleting_a_day_removes_the_bytes(store, phone):
    packed = struct.pack(">d", 46.987654321)   # how SQLite stores a REAL
    assert MARK.encode() in file_bytes(store) and packed in file_bytes(store)
    result = erasure.erase_range(store, phone.member_id, START, END)
    assert result.fixes == 2 and "truncated" in result.checkpoint
    assert [r[0] for r in fixes_of(store)] == [START - 60, END]
    assert fixes_of(store, member="bob")            # another member's day is untouched
    content = file_bytes(store)
    assert MARK.encode() not in content and packed not in content


def test_deleting_one_fix(store, phone):
    fix_id = store.conn.execute("SELECT id FROM fixes WHERE ts = ? AND member_id = ?",
                                (END - 10, phone.member_id)).fetchone()[0]
    erasure.erase_fix(store, phone.member_id, fix_id)
    assert END - 10 not in [r[0] for r in fixes_of(store)]
    assert len(fixes_of(store)) == 3
    bob = accounts.get_member(store.conn, "bob")
    with pytest.raises(LookupError):       # a member cannot delete someone else's point
        erasure.erase_fix(store, bob.id, store.conn.execute(
            "SELECT id FROM fixes WHERE member_id = ?", (phone.member_id,)).fetchone()[0])


def test_deleting_everything_keeps_the_account(store, phone):
    store.conn.execute("INSERT INTO labelled_segments (member_id, kind, start_ts, end_ts, "
                       "source) VALUES (?, 'visit', 1, 2, 'x')", (phone.member_id,))
    result = erasure.erase_all(store, phone.member_id)
    assert result.rows == {"fixes": 4, "labelled_segments": 1}
    assert fixes_of(store) == [] and fixes_of(store, member="bob")
    assert accounts.get_device(store.conn, "alice", "phone")
    assert MARK.encode() not in file_bytes(store)


def _trip(store, member_id, start, end):
    """A trip with one leg and its stay, in the trip engine's own tables."""
    cur = store.conn.execute("INSERT INTO trips (member_id, start_ts, end_ts, distance_m) "
                             "VALUES (?, ?, ?, 1200)", (member_id, start, end))
    store.conn.execute("INSERT INTO legs (trip_id, member_id, seq, start_ts, end_ts, distance_m, "
                       "mode, confidence, detected_mode, detected_confidence) "
                       "VALUES (?, ?, 0, ?, ?, 1200, 'bike', 0.9, 'bike', 0.9)",
                       (cur.lastrowid, member_id, start, end))
    store.conn.execute("INSERT INTO stays (member_id, start_ts, end_ts, lat, lon) "
                       "VALUES (?, ?, ?, 46.1, -1.1)", (member_id, end, end + 600))


def test_derived_tables_of_the_period_go_too(store, phone):
    """Trips, legs, stays and corrections of the period go with its fixes."""
    _trip(store, phone.member_id, START - 3600, START - 1800)
    _trip(store, phone.member_id, END - 600, END - 300)
    store.conn.execute("INSERT INTO corrections (member_id, kind, start_ts, end_ts, value, "
                       "created_ts) VALUES (?, 'leg_mode', ?, ?, 'walk', 1)",
                       (phone.member_id, END - 600, END - 300))
    # recompute=False: what the deletion removes, before the engine rebuilds the period.
    erasure.erase_range(store, phone.member_id, START, END, recompute=False)
    assert [r[0] for r in store.conn.execute("SELECT start_ts FROM trips")] == [START - 3600]
    assert [r[0] for r in store.conn.execute("SELECT start_ts FROM legs")] == [START - 3600]
    assert [r[0] for r in store.conn.execute("SELECT start_ts FROM stays")] == [START - 1800]
    assert store.conn.execute("SELECT count(*) FROM corrections").fetchone()[0] == 0


def test_months_before_clamps_to_the_month_end():
    assert retention.months_before(1711843200, 1) == 1709164800   # 31 Mar -> 29 Feb 2024


def test_retention_deletes_old_fixes_and_keeps_trips(store, phone):
    _trip(store, phone.member_id, START - 7200, START - 3600)  # older than the cutoff
    with store.transaction() as conn:
        retention.set_months(conn, phone.member_id, 3)
    # three calendar months after START: only the fix of the evening before is older
    now = datetime(2024, 6, 30, 23, 0, 0, tzinfo=timezone.utc).timestamp()
    assert retention.months_before(now, 3) == START
    removed = retention.apply_all(store, now=now)
    assert removed == {phone.member_id: 1}
    assert [r[0] for r in fixes_of(store)] == [START + 10, END - 10, END]
    assert store.conn.execute("SELECT count(*) FROM trips").fetchone()[0] == 1
    assert fixes_of(store, member="bob")          # bob has no retention: kept
    with store.transaction() as conn:
        retention.set_months(conn, phone.member_id, None)
    assert retention.apply_all(store, now=now + 10**8) == {}
