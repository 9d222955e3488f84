"""Store and simulation helpers shared by the pipeline tests."""
from __future__ import annotations

import functools

from simulation.household import simulate_household
from gateway import accounts
from carbon.fix import Fix
from gateway.store import Store, insert_fixes

DAYS = 14


@functools.lru_cache(maxsize=2)
def simulation(days: int = DAYS):
    return simulate_household(days=days, seed=1)


def points(member: str, days: int = DAYS) -> list:
    sim = simulation(days)
    return sim.points[sim.devices[member]]


def to_fix(p) -> Fix:
    return Fix(ts=p.ts, lat=p.lat, lon=p.lon, acc=p.acc, vel=p.vel, activity=p.activity)


class Box:
    """A store with alice and bob, each with one phone; fixes go in as ingest writes them."""

    def __init__(self, path):
        self.store = Store(path).open()
        self.ids, self.devices = {}, {}
        with self.store.transaction() as conn:
            for name in ("alice", "bob"):
                self.ids[name] = accounts.add_member(conn, name, None).id
                self.devices[name] = accounts.add_device(conn, name, "phone")[0]

    def add(self, member: str, pts) -> int:
        device = self.devices[member]
        with self.store.transaction() as conn:
            return insert_fixes(conn, device.id, device.member_id, [to_fix(p) for p in pts],
                                "owntracks-http")

    def trips(self, member: str) -> list:
        """Stored trips with legs, as comparable tuples without row ids."""
        conn = self.store.conn
        out = []
        for t in conn.execute("SELECT * FROM trips WHERE member_id = ? ORDER BY start_ts",
                              (self.ids[member],)).fetchall():
            legs = tuple((g["start_ts"], g["end_ts"], g["distance_m"], g["mode"], g["co2_g"])
                         for g in conn.execute("SELECT * FROM legs WHERE trip_id = ? ORDER BY seq",
                                               (t["id"],)))
            out.append((t["start_ts"], t["end_ts"], t["distance_m"], t["purpose"], legs))
        return out

    def trip_rows(self, member: str) -> dict:
        """id -> (start_ts, end_ts, distance_m, modes) of stored trips."""
        conn = self.store.conn
        return {t["id"]: (t["start_ts"], t["end_ts"], t["distance_m"], tuple(
                    g["mode"] for g in conn.execute(
                        "SELECT mode FROM legs WHERE trip_id = ? ORDER BY seq", (t["id"],))))
                for t in conn.execute("SELECT * FROM trips WHERE member_id = ?",
                                      (self.ids[member],)).fetchall()}

    def stays(self, member: str) -> list:
        return [tuple(r) for r in self.store.conn.execute(
            "SELECT start_ts, end_ts, lat, lon, n_points FROM stays WHERE member_id = ? "
            "ORDER BY start_ts", (self.ids[member],))]


def day_batches(pts: list, day_s: int = 86400) -> list:
    """Fixes cut into consecutive batches of one day, in time order."""
    batches, current, edge = [], [], None
    for p in pts:
        if edge is None:
            edge = p.ts + day_s
        if p.ts >= edge:
            batches.append(current)
            current, edge = [], p.ts + day_s
        current.append(p)
    return batches + [current] if current else batches
