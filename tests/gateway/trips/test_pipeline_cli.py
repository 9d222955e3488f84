"""`selfdata rebuild`, `trips`, `correct`, `place`, `vehicle` as a member uses them."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from zoneinfo import ZoneInfo

from gateway.cli import main

from pipeline_helpers import points

PARIS = ZoneInfo("Europe/Paris")


def _run(capsys, box, *argv) -> tuple:
    code = main([*argv, "--data-dir", str(box.store.path.parent)])
    out = capsys.readouterr()
    return code, out.out, out.err


def _filled(box, capsys):
    box.add("bob", points("bob"))
    box.store.close()
    code, out, err = _run(capsys, box, "rebuild", "--member", "bob")
    assert code == 0 and "trips" in out and "fixes" in err      # progress on stderr
    return out


def test_trips_json_has_the_documented_shape_and_honours_local_dates(box, capsys):
    _filled(box, capsys)
    code, out, _ = _run(capsys, box, "trips", "--member", "bob", "--from", "2026-03-03",
                        "--to", "2026-03-03", "--format", "json")
    assert code == 0
    trips = json.loads(out)
    assert len(trips) == 2                       # Tuesday: to work and back
    for t in trips:
        assert {"start_ts", "end_ts", "distance_m", "co2_g", "purpose", "legs"} <= t.keys()
        assert datetime.fromtimestamp(t["start_ts"], PARIS).date().isoformat() == "2026-03-03"
        assert t["legs"] and all({"start_ts", "end_ts", "distance_m", "mode", "co2_g"} <= g.keys()
                                 for g in t["legs"])
        assert t["purpose"] == "commute"


def test_trips_csv_has_one_row_per_leg(box, capsys):
    _filled(box, capsys)
    _, out, _ = _run(capsys, box, "trips", "--member", "bob", "--format", "json")
    legs = sum(len(t["legs"]) for t in json.loads(out))
    code, out, _ = _run(capsys, box, "trips", "--member", "bob", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == legs
    assert {"trip_start_ts", "mode", "leg_distance_m", "leg_co2_g", "purpose"} <= rows[0].keys()


def test_correct_from_the_command_line_then_see_it_in_trips(box, capsys):
    _filled(box, capsys)
    _, out, _ = _run(capsys, box, "trips", "--member", "bob", "--from", "2026-03-06",
                     "--to", "2026-03-06", "--format", "json")
    friday = json.loads(out)[0]
    when = datetime.fromtimestamp(friday["legs"][0]["start_ts"] + 120, PARIS).strftime("%Y-%m-%d %H:%M")
    code, out, err = _run(capsys, box, "correct", "--member", "bob", "--leg", when, "--mode", "carpool")
    assert code == 0, err
    assert out.startswith(f"leg of {when[:10]} ") and " -> carpool; kept across rebuilds" in out
    _, out, _ = _run(capsys, box, "trips", "--member", "bob", "--from", "2026-03-06",
                     "--to", "2026-03-06")
    assert "carpool* " in out and out.rstrip().endswith("(* corrected by you)")
    _, out, _ = _run(capsys, box, "trips", "--member", "bob", "--from", "2026-03-06",
                     "--to", "2026-03-06", "--format", "json")
    leg = json.loads(out)[0]["legs"][0]
    assert leg["mode"] == "carpool" and leg["corrected"] is True
    assert leg["co2_g"] < friday["legs"][0]["co2_g"]        # shared between two
    code, _, err = _run(capsys, box, "correct", "--member", "bob", "--leg", "2020-01-01 08:00",
                        "--mode", "bus")
    assert code == 1 and "no leg" in err


def test_vehicle_and_place_commands(box, capsys):
    _filled(box, capsys)
    code, out, _ = _run(capsys, box, "vehicle", "--member", "bob", "--fuel", "electric",
                        "--size", "small", "--occupancy", "1", "--json")
    assert code == 0 and json.loads(out)["car_fuel"] == "electric"
    code, out, _ = _run(capsys, box, "vehicle", "--member", "bob", "--json")
    assert json.loads(out)["car_size"] == "small"
    code, out, _ = _run(capsys, box, "place", "name", "--member", "bob", "46.1512", "-1.1365",
                        "Maison", "--label", "home")
    assert code == 0
    _, out, _ = _run(capsys, box, "place", "list", "--member", "bob", "--json")
    places = json.loads(out)
    assert places[0]["name"] == "Maison" and places[0]["label"] == "home"
    assert sum(p["label"] == "home" for p in places) == 1


def test_commands_speak_in_sentences_and_tables_without_json(box, capsys):
    """Without --json a person reads the answer: no JSON, no dict, no footnote for nothing."""
    _filled(box, capsys)
    _, out, _ = _run(capsys, box, "vehicle", "--member", "bob", "--fuel", "electric")
    assert "car fuel" in out and "electric" in out and "{" not in out
    _, out, _ = _run(capsys, box, "place", "name", "--member", "bob", "46.1512", "-1.1365",
                     "Maison", "--label", "home")
    assert out.startswith("the place at 46.1512, -1.1365 is now 'Maison' and home")
    _, out, _ = _run(capsys, box, "place", "list", "--member", "bob")
    assert "Maison / home" in out.splitlines()[1] and "{" not in out
    _, out, _ = _run(capsys, box, "trips", "--member", "bob", "--from", "2026-03-03",
                     "--to", "2026-03-03")
    assert "Maison → " in out and "corrected by you" not in out
    _, out, _ = _run(capsys, box, "trips", "--member", "bob", "--json")
    first = json.loads(out)[0]
    assert first["from"] == "Maison"       # the member's own name for it
    when = datetime.fromtimestamp(first["start_ts"] + 60, PARIS).strftime("%Y-%m-%d %H:%M")
    _, out, _ = _run(capsys, box, "correct", "--member", "bob", "--trip", when, "--purpose",
                     "work")
    assert out.startswith(f"trip of {when[:10]} ") and "purpose commute -> work" in out


def test_a_member_says_which_train_they_take_and_a_rebuild_says_what_it_moved(box, capsys):
    import sqlite3
    _filled(box, capsys)
    code, out, _ = _run(capsys, box, "vehicle", "--member", "bob", "--train-type", "intercites",
                         "--json")
    assert code == 0 and json.loads(out)["train_type"] == "intercites"
    try:
        _run(capsys, box, "vehicle", "--member", "bob", "--train-type", "steam")
    except SystemExit as exc:      # argparse refuses it, with the accepted kinds
        assert exc.code == 2
    else:
        raise AssertionError("an unknown train type was accepted")
    # legs priced with the first table are moved to the current one, and the rebuild says so
    db = sqlite3.connect(box.store.path)
    with db:
        db.execute("UPDATE legs SET factor_version = '2026-07'")
    code, out, _ = _run(capsys, box, "rebuild", "--member", "bob")
    assert code == 0 and "now priced with factor table 2026-12" in out and "from 2026-07" in out
    assert {r[0] for r in db.execute("SELECT DISTINCT factor_version FROM legs")} == {"2026-12"}
    db.close()
