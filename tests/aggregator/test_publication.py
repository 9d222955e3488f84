"""Publication over loopback on SQLite and PostgreSQL: cells only above k, complementary
suppression that margins cannot undo, and releases that cannot be subtracted from each other."""
import asyncio
import csv
import io
import json

from aggregator import publish
from aggregator.app import _publisher
from aggregator.suppression import NO_COMMUNE, suppress
from attacker import Observer
from carbon import summary_wire as wire
from box_client import full_body

LA_ROCHELLE, PERIGNY, AYTRE, LAGORD = "17300", "17274", "17028", "17200"
MONTH = "2026-07"


async def _send_all(members, commune, revision=1, month=MONTH):
    for i, m in enumerate(members):
        body = full_body(month, commune=commune, km_car=50 + 7 * i + len(m.pseudonym) % 5,
                         km_active=3 + i, bike_days=i % 6)
        status, answer = await m.send(m.summary(month=month, revision=revision, body=body))
        assert status == 200, answer


async def _doc(aggregator, month=MONTH):
    status, _t, body = await aggregator.get(f"/published/{month}.json")
    return status, (json.loads(body) if status == 200 else None)


def _cells(doc) -> dict:
    [table] = [t for t in doc["studies"] if t["study"] == "carbon-monthly"]
    return {c["commune"]: c for c in table["cells"]}


async def _publish(aggregator) -> dict:
    outcomes = await publish.publish_all(aggregator.store, 10, aggregator.state.settings.today())
    return {(o["study"], o["month"]): o for o in outcomes}[("carbon-monthly", MONTH)]


async def _observe(aggregator, observer: Observer, number: int):
    """What an observer gets from release `number`: each published cell's membership."""
    store = aggregator.store
    [(n, _k, suppressed, tables)] = [r for r in await store.releases("carbon-monthly", MONTH) if r[0] == number]
    members = {}
    for atom, p, d in await store.release_members("carbon-monthly", MONTH, number):
        members.setdefault(atom, set()).add((p, d))
    for cell in tables["cells"]:
        if cell["suppressed"]:
            continue
        who = (set().union(*members.values()) if cell["commune"] == "all"
               else members.get(cell["commune"], set()))
        assert cell["contributors"] == len(who)
        observer.publish(who)
    return members


async def test_only_cells_of_at_least_k_are_published_and_margins_do_not_undo_suppression(aggregator):
    rochelais = await aggregator.members(12)
    perignacais = await aggregator.members(11)
    aytresiens = await aggregator.members(3)
    await _send_all(rochelais, LA_ROCHELLE)
    await _send_all(perignacais, PERIGNY)
    await _send_all(aytresiens, AYTRE)
    assert (await _publish(aggregator))["released"] == 1

    status, doc = await _doc(aggregator)
    assert status == 200
    cells = _cells(doc)
    assert cells[LA_ROCHELLE]["contributors"] == 12 and not cells[LA_ROCHELLE]["suppressed"]
    # Aytré (3) is below k; Périgny (11) is suppressed with it, or all minus La Rochelle would
    # give Aytré's figures. Suppressed cells carry no figure at all, not even a count.
    assert cells[AYTRE] == {"commune": AYTRE, "name": "Aytré", "suppressed": True}
    assert cells[PERIGNY] == {"commune": PERIGNY, "name": "Périgny", "suppressed": True}
    assert cells[LAGORD]["suppressed"] and cells[NO_COMMUNE]["suppressed"]
    assert cells["all"]["contributors"] == 26
    expected_km = sum(50 + 7 * i + len(m.pseudonym) % 5 for i, m in enumerate(rochelais))
    assert cells[LA_ROCHELLE]["km"]["car"] == expected_km

    observer = Observer()
    members = await _observe(aggregator, observer, 1)
    targets = {p: {(p, d): 1} for atom in members.values() for p, d in atom}
    targets["Aytré"] = {c: 1 for c in members[AYTRE]}
    targets["Périgny"] = {c: 1 for c in members[PERIGNY]}
    assert observer.exposed(targets) == [], "nothing below k can be computed from one release"


async def test_differences_between_releases_cannot_pick_one_contributor_out(aggregator):
    rochelais = await aggregator.members(12)
    perignacais = await aggregator.members(11)
    aytresiens = await aggregator.members(3)
    await _send_all(rochelais, LA_ROCHELLE)
    await _send_all(perignacais, PERIGNY)
    await _send_all(aytresiens, AYTRE)
    assert (await _publish(aggregator))["released"] == 1
    _s, first = await _doc(aggregator)

    # One La Rochelle contributor deletes, one Périgny contributor corrects, one joins Aytré:
    # each change alone would be readable as the difference between two releases.
    leaver = rochelais[0]
    assert (await leaver.delete())[0] == 200
    assert await aggregator.store.month_rows("carbon-monthly", MONTH) != []
    await _send_all(perignacais[:1], PERIGNY, revision=2)
    [joiner] = await aggregator.members(1)
    await _send_all([joiner], AYTRE)
    outcome = await _publish(aggregator)
    assert outcome["released"] is None and "fewer than k=10" in outcome["reason"]
    _s, still = await _doc(aggregator)
    assert still == first, "the deletion shows only at the next release the rule allows"

    # Enough change in every commune that changed: k or more each.
    await _send_all(await aggregator.members(9), LA_ROCHELLE)
    await _send_all(await aggregator.members(9), AYTRE)
    await _send_all(perignacais[1:10], PERIGNY, revision=2)
    assert (await _publish(aggregator))["released"] == 2
    _s, second = await _doc(aggregator)
    assert _cells(second)[LA_ROCHELLE]["contributors"] == 12 - 1 + 9
    assert _cells(second)["all"]["contributors"] == 26 - 1 + 1 + 18

    observer = Observer()
    before = await _observe(aggregator, observer, 1)
    after = await _observe(aggregator, observer, 2)
    contributions = {c for atom in list(before.values()) + list(after.values()) for c in atom}
    targets = {f"{p}/{d[:6]}": {(p, d): 1} for p, d in contributions}
    old_new = {}
    for p, d in contributions:
        old_new.setdefault(p, []).append(d)
    for p, digests in old_new.items():
        if len(digests) == 2:     # one person's correction, as a difference
            targets[f"correction of {p}"] = {(p, digests[0]): 1, (p, digests[1]): -1}
    targets["the leaver"] = {c: 1 for c in contributions if c[0] == leaver.pseudonym}
    assert observer.exposed(targets) == []


async def test_the_observer_would_succeed_against_naive_releases(aggregator):
    """The check above can fail: releasing every cell >= k each time, without the rule, lets
    the same observer compute one person's figures."""
    rochelais = await aggregator.members(12)
    await _send_all(rochelais, LA_ROCHELLE)
    rows = await aggregator.store.month_rows("carbon-monthly", MONTH)
    observer = Observer()
    observer.publish({(r[0], r[1]) for r in rows})
    assert (await rochelais[0].delete())[0] == 200
    rows = await aggregator.store.month_rows("carbon-monthly", MONTH)
    observer.publish({(r[0], r[1]) for r in rows})       # 11 >= k: naive would publish it
    gone = next((p, d) for p, d in observer.cells[0] if p == rochelais[0].pseudonym)
    assert observer.exposed({"leaver": {gone: 1}}) == ["leaver"]


def test_complementary_suppression_rules():
    k = 10
    assert suppress({"a": 3, "b": 4}, k) is None                      # the whole table < k
    assert suppress({"a": 12, "b": 11, "c": 3}, k) == {"b", "c"}       # smallest complement
    assert suppress({"a": 12, "b": 2, "c": 3, "d": 0}, k) == {"a", "b", "c", "d"}
    assert suppress({"a": 12, "b": 15, "c": 0}, k) == {"c"}            # an empty cell hides nothing
    assert suppress({"a": 12, "b": 15}, k, sticky={"a"}) == {"a"}      # stays suppressed, >= k alone
    assert suppress({"a": 12, "b": 15, "c": 9}, k, sticky={"a"}) == {"a", "c"}


async def test_open_data_csv_ledger_commune_and_page(aggregator):
    # Aytré (3) and Lagord (8) are below k; together (11) they need no other complement.
    await _send_all(await aggregator.members(12), LA_ROCHELLE)
    await _send_all(await aggregator.members(3), AYTRE)
    await _send_all(await aggregator.members(8), LAGORD)
    assert (await _publish(aggregator))["released"] == 1

    status, ctype, text = await aggregator.get(f"/published/{MONTH}.csv")
    assert status == 200 and ctype.startswith("text/csv")
    rows = {r["commune"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows[LA_ROCHELLE]["suppressed"] == "False" and rows[LA_ROCHELLE]["contributors"] == "12"
    assert rows[AYTRE]["suppressed"] == "True" and rows[AYTRE]["contributors"] == ""
    assert rows[LAGORD]["suppressed"] == "True" and rows["all"]["contributors"] == "23"

    status, _t, body = await aggregator.get("/ledger.json")
    [month] = json.loads(body)["ledger"]
    assert month["month"] == MONTH and month["contributors"] == 23 and month["avoided_co2e_kg"] > 0

    status, _t, body = await aggregator.get(f"/communes/{LA_ROCHELLE}.json")
    mine = json.loads(body)["months"][0]
    assert mine["commune"]["contributors"] == 12 and mine["all"]["contributors"] == 23
    status, _t, body = await aggregator.get(f"/communes/{AYTRE}.json")
    assert json.loads(body)["months"][0]["commune"] == {"suppressed": True}
    assert (await aggregator.get("/communes/75056.json"))[0] == 404
    assert (await aggregator.get("/published/2026-08.json"))[0] == 404

    status, ctype, html = await aggregator.get("/?lang=en")
    assert status == 200 and "<svg" in html and "La Rochelle carbon cooperative" in html
    assert "suppressed" in html and "http" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    status, _t, html = await aggregator.get("/?lang=fr")
    assert "Coopérative carbone" in html and "masquée" in html


def test_a_cell_known_from_an_earlier_release_cannot_complement_a_small_one():
    """Release 1 published x (15), a (12) and b (10). Then 12 of x's contributors leave: x (3)
    must be suppressed, and its complement would be b; but b is unchanged and known from
    release 1, so the suppressed group minus b would be x's three contributors."""
    from aggregator.suppression import Release, release_blocked

    def people(prefix, n):
        return {(f"{prefix}{i}", "d") for i in range(n)}
    before = {"x": people("x", 15), "a": people("a", 12), "b": people("b", 10)}
    r1 = Release(1, {"c"}, before)
    now = {"x": set(list(before["x"])[:3]), "a": before["a"], "b": before["b"]}
    hidden = suppress({"x": 3, "a": 12, "b": 10, "c": 0}, 10, r1.suppressed)
    assert hidden == {"x", "b", "c"}
    assert "suppressed group" in release_blocked(now, hidden, 10, [r1])
    observer = Observer()
    for cell in before.values():
        observer.publish(cell)
    observer.publish(set().union(*before.values()))
    observer.publish(now["a"])                       # what a naive release 2 would add
    observer.publish(set().union(*now.values()))
    assert observer.exposed({"x now": {c: 1 for c in now["x"]}}) == ["x now"]


async def test_the_server_publishes_by_itself_once_a_month_has_settled(aggregator):
    """The serve loop's pass: July (over for more than the grace period) is released, August
    (ended three days ago) waits for its late senders."""
    await _send_all(await aggregator.members(10), LA_ROCHELLE)
    august = await aggregator.members(10)
    await _send_all(august, LA_ROCHELLE, month="2026-08")
    state = aggregator.state
    state.settings.publish_every = 0.2
    task = asyncio.create_task(_publisher(state))
    try:
        for _ in range(100):
            if (await _doc(aggregator))[0] == 200:
                break
            await asyncio.sleep(0.1)
        status, doc = await _doc(aggregator)
        assert status == 200 and _cells(doc)["all"]["contributors"] == 10
        assert (await _doc(aggregator, "2026-08"))[0] == 404
    finally:
        task.cancel()


BIKE_STUDY = {"id": "velo-lr", "title": "Vélo", "purpose": "Bike days in the agglomeration.",
              "fields": ["bike_days", "commune"], "period": {"from": "2026-01"}, "k": 10,
              "runs_it": "Ville de La Rochelle"}


async def _send_bike(members, commune):
    for i, m in enumerate(members):
        body = wire.body_for_study(full_body(MONTH, commune=commune, bike_days=i % 6), BIKE_STUDY["fields"])
        status, answer = await m.send(m.summary(month=MONTH, study=BIKE_STUDY["id"], body=body))
        assert status == 200, answer


async def test_two_studies_of_one_month_cannot_be_subtracted_from_each_other(aggregator):
    """Everyone in La Rochelle joins the bike study but one: subtracting the bike study's La
    Rochelle cell from the standing study's would give that one person's bike days."""
    await aggregator.store.put_study(BIKE_STUDY)
    rochelais = await aggregator.members(12)
    perignacais = await aggregator.members(11)
    await _send_all(rochelais, LA_ROCHELLE)
    await _send_all(perignacais, PERIGNY)
    await _send_bike(rochelais[1:], LA_ROCHELLE)
    await _send_bike(perignacais, PERIGNY)
    outcomes = {o["study"]: o for o in await publish.publish_all(aggregator.store, 10, aggregator.state.settings.today())}
    assert outcomes["carbon-monthly"]["released"] == 1
    assert outcomes["velo-lr"]["released"] is None
    assert "compared with study carbon-monthly" in outcomes["velo-lr"]["reason"]

    # Naively released, the same observer (matching contributions by person: the same month's
    # bike days go to both studies) would have the one who stayed out.
    observer = Observer()
    observer.publish({(m.pseudonym, "") for m in rochelais})
    observer.publish({(m.pseudonym, "") for m in rochelais[1:]})
    assert observer.exposed({"outsider": {(rochelais[0].pseudonym, ""): 1}}) == ["outsider"]

    # Ten more Rochelais in the bike study only: now the two tables differ by 11 in La Rochelle.
    newcomers = await aggregator.members(10)
    await _send_bike(newcomers, LA_ROCHELLE)
    outcomes = {o["study"]: o for o in await publish.publish_all(aggregator.store, 10, aggregator.state.settings.today())}
    assert outcomes["velo-lr"]["released"] == 1, outcomes["velo-lr"]
    _s, doc = await _doc(aggregator)
    bike = next(t for t in doc["studies"] if t["study"] == "velo-lr")
    cells = {c["commune"]: c for c in bike["cells"]}
    assert cells[LA_ROCHELLE]["contributors"] == 21 and "km" not in cells[LA_ROCHELLE]
    observer = Observer()
    for t in doc["studies"]:
        members = {}
        for atom, p, _d in await aggregator.store.release_members(t["study"], MONTH, t["release"]):
            members.setdefault(atom, set()).add((p, ""))
        for c in t["cells"]:
            if not c["suppressed"]:
                observer.publish(set().union(*members.values()) if c["commune"] == "all"
                                 else members.get(c["commune"], set()))
    everyone = rochelais + perignacais + newcomers
    assert observer.exposed({m.pseudonym: {(m.pseudonym, ""): 1} for m in everyone}) == []
