"""The wire format on its own: one canonical form, what a summary may hold, communes."""
import json

import pytest

from carbon import summary_wire as wire
from carbon.communes import COMMUNES, commune_of
from carbon.modes import MODES
from carbon.summaries import month_summary
from box_client import full_body


def test_canonical_form_is_one_byte_string_whatever_the_key_order():
    body = full_body()
    shuffled = json.loads(json.dumps(dict(reversed(list(body.items())))))
    a = wire.envelope("c" + "a" * 24, "carbon-monthly", "2026-07", 1, body)
    b = wire.envelope("c" + "a" * 24, "carbon-monthly", "2026-07", 1, shuffled)
    assert wire.signing_bytes(a) == wire.signing_bytes(b)
    assert b" " not in wire.canonical(a) and wire.canonical(a).startswith(b'{"body":{"avoided_co2e_g"')
    # The signature field is outside what is signed; the type is inside (no cross-type reuse).
    assert wire.signing_bytes({**a, "sig": "x"}) == wire.signing_bytes(a)
    assert wire.signing_bytes({**a, "type": "delete"}) != wire.signing_bytes(a)


def test_every_engine_mode_has_one_family():
    assert set(wire.FAMILY_OF_MODE) == set(MODES)
    assert set(wire.FAMILY_OF_MODE.values()) == set(wire.FAMILIES)


@pytest.mark.parametrize("lat, lon, code", [
    (46.1591, -1.1520, "17300"),     # La Rochelle, the old port
    (46.1534, -1.0955, "17274"),     # Périgny
    (46.0746, -1.0887, "17094"),     # Châtelaillon-Plage
    (46.2500, -1.1130, "17153"),     # Esnandes
    (44.8378, -0.5792, None),        # Bordeaux: outside the agglomeration
])
def test_commune_of_a_home(lat, lon, code):
    assert commune_of(lat, lon) == code


def test_the_table_has_the_28_communes():
    assert len(COMMUNES) == 28 and all(code.startswith("17") for code in COMMUNES)


def test_a_month_of_real_engine_trips_becomes_a_valid_body_with_nothing_finer():
    from carbon import Context, build_timeline
    from carbon.footprint import MemberSettings
    from carbon.places import find_places
    from simulation.household import simulate_household
    sim = simulate_household(days=35, seed=3)
    fixes = sim.points[sim.devices["alice"]]
    places = find_places(build_timeline(fixes).stays)
    tl = build_timeline(fixes, context=Context(places=tuple(places), vehicle=MemberSettings()))
    home = next(p for p in places if p.label == "home")
    body = month_summary(tl.trips, "2026-03", commune=commune_of(home.lat, home.lon))
    wire.check_body(body, "2026-03", asked=wire.FIELDS)
    assert body["commune"] in COMMUNES and body["trips"] > 20
    assert body["distance_m"]["active"] > 0 and body["bike_days"] >= 1
    text = wire.canonical(wire.envelope("c" + "a" * 24, "carbon-monthly", "2026-03", 1, body)).decode()
    # No coordinate, no timestamp, no date finer than the month, no name.
    assert f"{home.lat:.3f}"[:5] not in text and "alice" not in text and "2026-03-" not in text
    assert all(isinstance(v, (int, str, dict)) for v in body.values())


def test_body_checks_name_what_is_wrong_and_where():
    with pytest.raises(wire.WireError) as e:
        wire.check_body({**full_body(), "bike_days": 32}, "2026-07")
    assert (e.value.code, e.value.where) == ("bad_value", "body.bike_days")
    with pytest.raises(wire.WireError) as e:
        wire.check_body({**full_body(), "commune": "75056"}, "2026-07")
    assert e.value.where == "body.commune"
    body = full_body()
    del body["distance_m"]["plane"]
    with pytest.raises(wire.WireError) as e:
        wire.check_body(body, "2026-07")
    assert (e.value.code, e.value.where) == ("missing_field", "body.distance_m")
    with pytest.raises(wire.WireError) as e:
        wire.parse(b'{"revision": 1e3}')
    assert e.value.code == "bad_value"


def test_the_preview_says_the_same_in_words():
    env = wire.envelope("c" + "a" * 24, "carbon-monthly", "2026-07", 1, full_body())
    en = wire.describe(env, "en")
    assert en[0] == "Month: 2026-07" and "Trips: 30" in en
    assert "Distance: walking and cycling 40.0 km, public transport 20.0 km, car 100.0 km" in en
    assert "Commune of home: La Rochelle (17300)" in en
    fr = wire.describe(wire.body_for_study(full_body(), ["co2e_g", "bike_days"]), "fr")
    assert fr == ["CO2e émis: marche et vélo 0,2 kg, transports en commun 2,9 kg, voiture 14,2 kg",
                  "Jours de vélo pour aller au travail: 5", "Table des facteurs d'émission: 2026-07"]
