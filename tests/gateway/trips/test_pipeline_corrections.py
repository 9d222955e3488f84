"""What the member says wins: corrections survive rebuilds and teach similar later trips."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from gateway.trips import context as member_context, decisions, pipeline

from pipeline_helpers import day_batches, points

WEEK = 7 * 86400


def _main_legs(box, member: str) -> list:
    """(trip start, main leg start, mode, corrected, detected mode) per trip."""
    conn = box.store.conn
    out = []
    for t in conn.execute("SELECT * FROM trips WHERE member_id = ? ORDER BY start_ts",
                          (box.ids[member],)).fetchall():
        g = conn.execute("SELECT * FROM legs WHERE trip_id = ? ORDER BY distance_m DESC LIMIT 1",
                         (t["id"],)).fetchone()
        out.append((t["start_ts"], g["start_ts"], g["mode"], g["corrected"], g["detected_mode"],
                    t["purpose"], t["end_place"]))
    return out


def test_a_corrected_mode_survives_rebuilds_and_teaches_the_next_commutes(box):
    alice = box.ids["alice"]
    pts = points("alice")
    first_week = [p for p in pts if p.ts < pts[0].ts + WEEK]
    box.add("alice", first_week)
    pipeline.rebuild_member(box.store, alice)
    commutes = [t for t in _main_legs(box, "alice") if t[5] == "commute" and t[2] == "bike"]
    assert len(commutes) >= 4
    # Alice rides an e-bike: she says so once, on Monday's ride to work.
    target = commutes[0]
    decisions.correct_leg(box.store, alice, target[1] + 30, "e-bike")

    # The second week arrives through the live path, then the whole history is rebuilt.
    for batch in day_batches([p for p in pts if p.ts >= pts[0].ts + WEEK]):
        box.add("alice", batch)
        pipeline.process_new(box.store, alice)
    pipeline.rebuild_member(box.store, alice)

    legs = {t[1]: t for t in _main_legs(box, "alice")}
    assert legs[target[1]][2:4] == ("e-bike", 1)
    office = legs[target[1]][6]       # place ids move a little as history grows
    same_route = [t for t in _main_legs(box, "alice") if t[4] in ("bike", "e-bike") and
                  t[5] == "commute" and t[6] == office and t[1] != target[1]]
    later = [t for t in same_route if t[0] > pts[0].ts + WEEK]
    assert later, "no ride to the same place in the second week"
    # Similar later trips take the corrected mode by default, without being marked as
    # corrected by the member: the recurring trip says so, and the correction also taught
    # detection itself that she rides an e-bike (carbon.priors).
    assert all(t[2] == "e-bike" and t[3] == 0 for t in same_route)
    assert any(t[4] == "e-bike" for t in later)
    # Trips elsewhere keep what the engine found.
    walks = [t for t in _main_legs(box, "alice") if t[4] == "walk"]
    assert walks and all(t[2] == "walk" for t in walks)


def test_a_corrected_purpose_survives_a_rebuild(box):
    bob = box.ids["bob"]
    box.add("bob", points("bob"))
    pipeline.rebuild_member(box.store, bob)
    trip = next(t for t in _main_legs(box, "bob") if t[5] == "other")
    done = decisions.correct_purpose(box.store, bob, trip[0] + 60, "leisure")
    assert done["was"] == "other"
    pipeline.rebuild_member(box.store, bob)
    after = {t[0]: t for t in _main_legs(box, "bob")}
    assert after[trip[0]][5] == "leisure"


def test_correcting_where_there_is_no_trip_says_so(box):
    box.add("bob", points("bob")[:300])
    pipeline.rebuild_member(box.store, box.ids["bob"])
    try:
        decisions.correct_leg(box.store, box.ids["bob"], 1_000_000_000, "car")
    except LookupError as exc:
        assert "no leg" in str(exc)
    else:
        raise AssertionError("a correction at a time without a leg was accepted")


def test_a_member_named_place_changes_purposes_and_survives_a_rebuild(box):
    bob = box.ids["bob"]
    box.add("bob", points("bob"))
    pipeline.rebuild_member(box.store, bob)
    # Bob's Saturday ride ends at the old port; he calls it work (he keeps a boat there).
    # (Found by its day and purpose, not its mode: the test is about places.)
    saturday = next(t for t in _main_legs(box, "bob") if t[5] == "other" and
                    datetime.fromtimestamp(t[0], timezone.utc).weekday() == 5)
    end = box.store.conn.execute("SELECT end_lat, end_lon FROM trips WHERE start_ts = ?",
                                 (saturday[0],)).fetchone()
    decisions.name_place(box.store, bob, end[0], end[1], "the boat", label="work")
    pipeline.rebuild_member(box.store, bob)
    after = {t[0]: t for t in _main_legs(box, "bob")}
    assert after[saturday[0]][5] == "commute"
    names = box.store.conn.execute("SELECT name, label FROM places WHERE member_id = ? AND "
                                   "source = 'member'", (bob,)).fetchall()
    assert [tuple(r) for r in names] == [("the boat", "work")]
    # One place is work: the office the box had found is not work any more, so the drives
    # there are no longer commutes.
    drives = [t for t in after.values() if t[4] in ("car", "carpool") and t[0] != saturday[0]]
    assert drives and all(t[5] != "commute" for t in drives)


def test_legs_keep_their_probabilities_and_a_correction_what_it_taught(box):
    alice = box.ids["alice"]
    box.add("alice", points("alice"))
    pipeline.rebuild_member(box.store, alice)
    conn = box.store.conn
    leg = conn.execute("SELECT * FROM legs WHERE member_id = ? AND detected_mode = 'bike' "
                       "ORDER BY start_ts LIMIT 1", (alice,)).fetchone()
    probs = json.loads(leg["probs"])
    # the page asks about the least certain legs first: each knows its runners-up
    assert probs["bike"] == leg["detected_confidence"] and sum(probs.values()) <= 1.001
    assert json.loads(leg["features"])["mean"] > 2.0
    decisions.correct_leg(box.store, alice, leg["start_ts"] + 30, "e-bike")
    c = conn.execute("SELECT * FROM corrections WHERE member_id = ?", (alice,)).fetchone()
    assert c["was"] == "bike" and json.loads(c["leg_features"])["mean"] > 2.0
    # what it taught survives a rebuild: the stored correction carries the leg's speeds
    pipeline.rebuild_member(box.store, alice)
    learned = member_context.load(box.store, alice).detect.priors
    assert learned.kinds["bike"]["modes"]["e-bike"] > 0.2
