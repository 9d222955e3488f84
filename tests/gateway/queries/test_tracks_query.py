"""Tracks for the map: one line per leg, simplified per zoom, from the member's own fixes."""
from __future__ import annotations

from gateway.queries import days as dq
from gateway.queries.tracks import ZOOM_LEVELS, legs_track, trip_points

from pagebox import TZ, WORKDAY, member_id


def test_each_leg_is_drawn_at_every_zoom_level(history_store):
    conn, alice = history_store.conn, member_id(history_store, "alice")
    view = dq.day(conn, alice, WORKDAY, TZ)
    track = legs_track(conn, alice, view["trips"])
    assert len(track["legs"]) == sum(len(t["legs"]) for t in view["trips"])
    (lat0, lon0), (lat1, lon1) = track["bounds"]
    for leg in track["legs"]:
        assert set(leg["levels"]) == {str(z) for z in ZOOM_LEVELS}
        sizes = [len(leg["levels"][str(z)]) for z in ZOOM_LEVELS]
        assert sizes == sorted(sizes) and sizes[0] >= 2
        assert all(lat0 <= p[0] <= lat1 and lon0 <= p[1] <= lon1 for p in leg["levels"]["17"])


def test_trip_points_name_the_members_own_fixes(history_store):
    conn, alice = history_store.conn, member_id(history_store, "alice")
    trip = dq.day(conn, alice, WORKDAY, TZ)["trips"][0]
    points = trip_points(conn, alice, trip)
    assert len(points) >= 2
    for p in points:
        row = conn.execute("SELECT member_id, ts FROM fixes WHERE id = ?", (p["id"],)).fetchone()
        assert tuple(row) == (alice, p["ts"])
        assert trip["start_ts"] <= p["ts"] <= trip["end_ts"]
    assert trip_points(conn, member_id(history_store, "bob"), trip) == []
