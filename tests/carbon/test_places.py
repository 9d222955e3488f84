from carbon.geo import distance_m
from carbon.params import Context
from carbon.places import find_places
from simulation.household import PLACES, simulate_household
from carbon.summaries import summarize
from carbon.factors import CURRENT_VERSION
from carbon.footprint import MemberSettings
from carbon.timeline import build_timeline


def _member(name, days=14, seed=5):
    sim = simulate_household(days=days, seed=seed)
    return build_timeline(sim.points[sim.devices[name]]), sim


def _labelled(places, label):
    return [p for p in places if p.label == label]


def test_home_and_work_are_recognised():
    for member, work in (("alice", "alice_work"), ("bob", "bob_work")):
        tl, _ = _member(member)
        places = find_places(tl.stays)
        (home,), (office,) = _labelled(places, "home"), _labelled(places, "work")
        assert distance_m(home.lat, home.lon, *PLACES["home"]) < 100
        assert distance_m(office.lat, office.lon, *PLACES[work]) < 100


def test_purposes_and_bike_commute_days():
    tl, sim = _member("alice", days=21)
    places = find_places(tl.stays)
    tl = build_timeline(sim.points[sim.devices["alice"]],
                        context=Context(places=tuple(places), vehicle=MemberSettings()))
    commutes = [t for t in tl.trips if t.purpose == "commute"]
    true_commutes = [t for t in sim.truth if t.member == "alice" and t.purpose == "commute"]
    assert 0.8 * len(true_commutes) <= len(commutes) <= len(true_commutes)
    assert all(t.purpose != "commute" for t in tl.trips if t.start_ts % 86400 > 11 * 3600
               and t.start_ts % 86400 < 13 * 3600)   # lunch walks are not commutes
    bike_days = {t.start_ts // 86400 for t in sim.truth if t.member == "alice" and t.purpose == "commute"
                 and any(l.mode == "bike" for l in t.legs)}
    s = summarize(tl.trips, sim.truth[0].start_ts - 86400, sim.truth[-1].end_ts + 86400)
    assert abs(sum(s["bike_commute_days"].values()) - len(bike_days)) <= 1


def test_summary_is_plain_data_without_coordinates():
    tl, sim = _member("bob", days=7)
    tl = build_timeline(sim.points[sim.devices["bob"]], context=Context(vehicle=MemberSettings()))
    s = summarize(tl.trips, 0, 2**31)
    text = repr(s)
    for lat, lon in PLACES.values():
        assert f"{lat:.2f}" not in text and f"{abs(lon):.2f}" not in text
    assert s["trips"] == len(tl.trips)
    assert abs(s["co2_kg"] - sum(t.co2_g for t in tl.trips) / 1000) < 0.01
    assert s["modes"]["car"]["km"] > 0
    assert s["factor_versions"] == [CURRENT_VERSION]
