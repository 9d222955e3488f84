"""The places a member named reach detection on the box (issue #9: "a stop inside a fast
movement, far from any known place of the member, is a station or a traffic stop, not a
stay"): a short stop at one of them, reached and left at ride speed, is a stay that splits
the ride; the same stop far from their places is a halt inside one trip. Places the engine
found itself from earlier stays do not reach detection: a rebuild of the same fixes gives
the same trips whatever earlier runs found."""
from __future__ import annotations

from carbon.fix import Fix
from gateway.trips import decisions, pipeline

HOME = (46.1500, -1.2000)
T0 = 1_772_000_000          # a weekday morning, UTC
RIDE_MS = 15.0              # 54 km/h held: a road between towns
STOP_S = 330                # five and a half minutes: long enough for a stay, short for a halt
EVERY = 5                   # a phone recording every 5 s, moving or not


def _east(place, metres):
    return place[0], place[1] + metres / 77_300.0       # metres of longitude at 46.15 N


def _line(t0, a, b, seconds):
    n = seconds // EVERY
    return [Fix(t0 + k * EVERY, a[0] + (b[0] - a[0]) * k / n, a[1] + (b[1] - a[1]) * k / n,
                8.0) for k in range(n + 1)]


def _still(t0, place, seconds):
    return [Fix(t0 + k * EVERY, place[0], place[1], 10.0) for k in range(seconds // EVERY + 1)]


def _drive_with_a_stop():
    """Half an hour at home, ten minutes' drive, a 5.5-minute stop with the engine running
    (a child dropped at school), ten minutes more, then the morning at work. Returns the
    fixes and where the stop is."""
    stop = _east(HOME, RIDE_MS * 600)
    work = _east(stop, RIDE_MS * 600)
    t = T0
    fixes = _still(t, HOME, 1800)
    t += 1800
    fixes += _line(t, HOME, stop, 600)[1:-1]
    t += 600
    fixes += _still(t, stop, STOP_S)
    t += STOP_S
    fixes += _line(t, stop, work, 600)[1:]
    t += 600
    fixes += _still(t + EVERY, work, 4 * 3600)
    return fixes, stop


def _feed_live(box, member, fixes, batches=4):
    size = len(fixes) // batches + 1
    for k in range(0, len(fixes), size):
        box.add(member, fixes[k:k + size])
        pipeline.process_new(box.store, box.ids[member])


def _trips(box, member):
    return [(r["start_ts"], r["end_ts"]) for r in box.store.conn.execute(
        "SELECT start_ts, end_ts FROM trips WHERE member_id = ? ORDER BY start_ts",
        (box.ids[member],))]


def test_a_short_stop_at_a_named_place_is_a_stay_and_far_from_places_a_halt(box):
    fixes, stop = _drive_with_a_stop()
    decisions.name_place(box.store, box.ids["alice"], stop[0], stop[1], "School")
    for member in ("alice", "bob"):
        _feed_live(box, member, fixes)
    # Alice stopped at her children's school: two trips, the second from the school.
    alice = _trips(box, "alice")
    assert len(alice) == 2, alice
    assert alice[0][1] <= T0 + 1800 + 600 + 60 and alice[1][0] >= T0 + 1800 + 600 + STOP_S - 60
    # Bob made the same stop where he has no place: a halt in one drive.
    assert len(_trips(box, "bob")) == 1
    # Both survive a rebuild, which reads the same places.
    for member in ("alice", "bob"):
        live = _trips(box, member)
        pipeline.rebuild_member(box.store, box.ids[member])
        assert _trips(box, member) == live


def test_a_place_the_engine_found_does_not_change_detection(box):
    fixes, stop = _drive_with_a_stop()
    bob = box.ids["bob"]
    box.add("bob", fixes)
    pipeline.rebuild_member(box.store, bob)
    first = _trips(box, "bob")
    assert len(first) == 1
    # A place found from Bob's earlier stays right at that stop (as refresh_places stores
    # them): detection is given only the places he named, so rebuilding the same fixes
    # gives the same trip, whatever an earlier run found.
    with box.store.transaction() as conn:
        conn.execute("INSERT INTO places (member_id, place_key, lat, lon, source, visits, "
                     "dwell_s) VALUES (?, 'p-stop', ?, ?, 'auto', 5, 3600)", (bob, *stop))
    pipeline.rebuild_member(box.store, bob)
    assert _trips(box, "bob") == first
    pipeline.rebuild_member(box.store, bob)
    assert _trips(box, "bob") == first
