"""The feed's index is kept in memory for the service's life (gateway.trips.transit), so its
shapes are stored flat (carbon.transit.TransitIndex, round 11 mend-index): it must answer as
an index that keeps every segment's two ends and each shape's distances along it as plain
tuples and lists, scanned whole (the storage before; no grid, no flat arrays)."""
import pytest

from carbon.fix import Fix
from carbon.geo import METRES_PER_DEGREE_LAT, distance_m, metres_per_degree_lon
from carbon.transit import ON_ROUTE_M, TransitIndex, route_type_mode
from simulation.scenarios import make_day


def _projection(lat, lon, a, b):
    """(metres from a point to segment a-b, the share of a-b where its foot lies)."""
    kx = metres_per_degree_lon(lat)
    ax, ay = (a[1] - lon) * kx, (a[0] - lat) * METRES_PER_DEGREE_LAT
    bx, by = (b[1] - lon) * kx, (b[0] - lat) * METRES_PER_DEGREE_LAT
    dx, dy = bx - ax, by - ay
    seg2 = dx * dx + dy * dy
    t = 0.0 if seg2 == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / seg2))
    px, py = ax + t * dx, ay + t * dy
    return (px * px + py * py) ** 0.5, t


class _Plain(TransitIndex):
    """Every shape as its points and running lengths; every lookup a scan of all of them."""

    def __init__(self):
        super().__init__()
        self.plain = []     # [(mode, route type, [(lat, lon)], [metres along])]

    def add_shape(self, mode, coords, route_type=None):
        self.line_modes.add(mode)
        cum = [0.0]
        for a, b in zip(coords, coords[1:]):
            cum.append(cum[-1] + distance_m(*a, *b))
        self.plain.append((mode, route_type, list(coords), cum))

    def _hits(self, lat, lon):
        for shape, (m, t, pts, cum) in enumerate(self.plain):
            for k, (a, b) in enumerate(zip(pts, pts[1:])):
                d, f = _projection(lat, lon, a, b)
                yield shape, m, t, d, cum[k] + f * (cum[k + 1] - cum[k])

    def modes_on_route(self, lat, lon):
        return {m for _s, m, _t, d, _x in self._hits(lat, lon) if d <= ON_ROUTE_M}

    def _on_shapes(self, lat, lon, tol):
        best = {}
        for shape, m, _t, d, x in self._hits(lat, lon):
            if d <= tol and (shape not in best or d < best[shape][0]):
                best[shape] = (d, m, x)
        return {s: (m, x) for s, (_d, m, x) in best.items()}


def _both(day):
    compact, plain = TransitIndex(), _Plain()
    for route_type, shape, _stops in day.lines:
        coords = [(round(lat, 6), round(lon, 6)) for lat, lon in shape]
        for index in (compact, plain):
            index.add_shape(route_type_mode(route_type), coords, route_type)
    return compact, plain


@pytest.mark.parametrize("family,regime,seed", [("tram", "sparse", 1), ("tram", "significant", 3),
                                                ("bus", "sparse", 0), ("car", "sparse", 3)])
def test_the_flat_index_answers_as_the_plain_one(family, regime, seed):
    day = make_day(family, regime, seed)
    compact, plain = _both(day)
    fixes = [Fix(*f) for f in day.fixes]
    assert any(compact.modes_on_route(p.lat, p.lon) for p in fixes)   # the day runs on its lines
    for p in fixes[::7]:
        assert compact.modes_on_route(p.lat, p.lon) == plain.modes_on_route(p.lat, p.lon)
        got, want = compact._on_shapes(p.lat, p.lon, 80.0), plain._on_shapes(p.lat, p.lon, 80.0)
        assert got.keys() == want.keys()
        for s in got:
            assert got[s][0] == want[s][0] and got[s][1] == pytest.approx(want[s][1], abs=1e-6)
    followed = 0
    for t in day.truth["trips"]:
        for s in t["sections"]:
            leg = [p for p in fixes if s["start_ts"] <= p.ts <= s["end_ts"]]
            (mode, bend), (want_mode, want_bend) = compact.line_path(leg), plain.line_path(leg)
            assert mode == want_mode
            assert bend == want_bend or bend == pytest.approx(want_bend, rel=1e-9)
            followed += mode is not None
    assert followed     # some section follows a line: the comparison reads line_path's answer
