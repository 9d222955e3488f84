"""The city link end to end, on SQLite and PostgreSQL: households on several boxes enrol, opt in
and send their month; the aggregator publishes only cells of at least k contributors; the boxes
compare themselves with it; a member who stops is not sent again and their deletion clears what
the city holds at once, while the published figures move only as the release rule allows (not
after one change; after k, four of them the boxes' replacements of corrected months); a member
revokes; everything that crossed the wire is checked for anything that could place, date, name
or link a member.

Boxes: maison-dupont (alice, bob) and maison-martin (carol, in Périgny) are the two households
under study; four more boxes bring La Rochelle to k=5 contributors and four members who do not
tick their commune, so the release has a small cell (Périgny, 1) to hide."""
from __future__ import annotations

from carbon import summary_wire as wire
from gateway.outbox import Outbox
from gateway.outbox.keys import receipt_problem
from gateway.queries import link as read
from gateway.queries.trips import trip_list
from gateway.trips import decisions

from link_boxes import Member, local_ts, make_box
from link_city import K, CaptureProxy, City
from link_wire import check_capture

MARCH, APRIL = "2026-03", "2026-04"
BOXES = [  # hostname, commune of home, members (name, simulated profile, seed), tick commune
    ("maison-dupont", "17300", [("alice", "alice", 1), ("bob", "bob", 1)], True),
    ("maison-martin", "17274", [("carol", "alice", 2)], True),
    ("maison-durand", "17300", [("dave", "alice", 3), ("erin", "bob", 3)], True),
    ("maison-petit", "17300", [("frank", "bob", 4)], True),
    ("maison-moreau", "17300", [("gina", "alice", 5), ("hugo", "bob", 5)], False),
    ("maison-leroy", "17300", [("ivan", "alice", 6), ("jade", "bob", 6)], False),
]


class Household:
    """One box: its data dir, an outbox on a clock the test moves, its members' ids."""

    def __init__(self, tmp_path, hostname, commune, members, tick, clock):
        self.box = make_box(tmp_path / hostname, hostname,
                            [Member(n, p, s, device=f"{n}-pixel") for n, p, s in members], commune)
        self.store = self.box.store()
        self.outbox = Outbox(self.store, self.box.config, clock=clock)
        self.tick, self.hostname = tick, hostname

    def names(self) -> set:
        return ({self.hostname} | {m.name for m in self.box.members}
                | {m.device for m in self.box.members} | {m.name.title() for m in self.box.members})

    def link(self, name: str) -> dict:
        return read.links(self.store.conn, self.box.ids[name])[0]

    async def close(self):
        await self.outbox.close()
        self.store.close()


async def _enrol_and_join(households, proxy, city) -> dict:
    """Every member enrols with a token of their own and joins the standing study; the
    preview of March each saw, by member."""
    tokens = iter(await city.tokens(sum(len(h.box.members) for h in households)))
    previews = {}
    for h in households:
        for m in h.box.members:
            mid = h.box.ids[m.name]
            await h.outbox.enrol(mid, proxy.url, next(tokens))
            joined = await h.outbox.join(mid, commune=h.tick)
            assert joined["from_month"] == MARCH and joined["preview"]["sent"], joined
            previews[m.name] = (await h.outbox.preview(mid, MARCH))["studies"][0]
    return previews


def _cells(doc: dict) -> dict:
    table = next(t for t in doc["studies"] if t["study"] == wire.STANDING_STUDY_ID)
    return {c["commune"]: c for c in table["cells"]}


async def test_boxes_enrol_send_and_the_city_publishes_only_above_k(tmp_path, city_dsn):
    city = await City(tmp_path / "city", city_dsn).start()
    proxy = await CaptureProxy(city.url).start()
    now = [local_ts("2026-04-10 12:00")]          # March is over and its grace has passed
    households = [Household(tmp_path, *spec, clock=lambda: now[0]) for spec in BOXES]
    try:
        previews = await _enrol_and_join(households, proxy, city)
        for h in households:
            done = await h.outbox.send_due()
            assert {(s["month"], s["outcome"]) for s in done["sent"]} == {(MARCH, "done")}

        # Every member's ledger: March, revision 1, with a receipt genuinely the city's over
        # exactly what the preview showed; the city holds one contribution each.
        sent = {c.body.decode(): c for c in proxy.posts("/summaries")}
        for h in households:
            for m in h.box.members:
                (row,) = read.ledger(h.store.conn, h.box.ids[m.name])
                assert (row["month"], row["revision"], row["status"]) == (MARCH, 1, "stored")
                assert wire.canonical(row["message"]).decode() == previews[m.name]["wire"]
                assert previews[m.name]["wire"] in sent          # byte for byte on the wire
                assert receipt_problem(row["receipt"], row["message"],
                                       h.link(m.name)["aggregator_key"]) is None
        rows = await city.store.month_rows(wire.STANDING_STUDY_ID, MARCH)
        assert len(rows) == 10 and len({r[0] for r in rows}) == 10

        # Publication: La Rochelle (5) and everyone (10); Périgny (1) is hidden, and with it
        # the members without a commune (4), so that no margin gives Périgny's one member.
        (outcome,) = [o for o in await city.publish() if o["month"] == MARCH]
        assert outcome["released"] == 1, outcome
        cells = _cells(await city.published(MARCH))
        shown = {c for c, cell in cells.items() if not cell["suppressed"]}
        assert shown == {"17300", "all"}
        assert all(cells[c]["contributors"] >= K for c in shown)
        assert cells["17300"]["contributors"] == 5 and cells["all"]["contributors"] == 10
        assert set(cells["17274"]) == {"commune", "name", "suppressed"}   # not even a count
        la_rochelle = [previews[n]["message"]["body"] for n in ("alice", "bob", "dave", "erin", "frank")]
        assert cells["17300"]["trips"] == sum(b["trips"] for b in la_rochelle)
        assert cells["17300"]["bike_days"] == sum(b["bike_days"] for b in la_rochelle)
        before = await city.published(MARCH)

        for h in households:   # households like yours: only whole published months fetched
            compared = await h.outbox.compare(h.box.ids[h.box.members[0].name])
            march = next(m for m in compared["months"] if m["month"] == MARCH)
            assert march["release"] == 1 and march["all"]["contributors"] == 10
            assert (march["commune"] or {}).get("contributors") == (5 if h.box.commune == "17300" else None)
            assert march["mine"]["trips"] > 0     # the member's own side, computed on the box

        await _alice_stops(households[0], city, now, before)
        await _four_corrections_allow_a_new_release(households, city)
        await _jade_revokes(households[-1], city)
        fixes = [f for h in households for fs in h.box.fixes.values() for f in fs]
        names = set().union(*(h.names() for h in households))
        contributors = check_capture(proxy.seen, names, fixes)
        assert len(contributors) == 10
    finally:
        for h in households:
            await h.close()
        await proxy.stop()
        await city.stop()


async def _alice_stops(dupont, city, now, before):
    """alice leaves with a deletion: the city clears her March at once; April is not sent for
    her while bob's is; the published March stays as it was (1 change < k)."""
    alice, bob = dupont.box.ids["alice"], dupont.box.ids["bob"]
    pseudonym = dupont.link("alice")["pseudonym"]
    left = await dupont.outbox.leave(alice, delete=True)
    assert left["left"] == [wire.STANDING_STUDY_ID]
    assert left["deletion"] == {"sent": True, "status": "deleted", "count": 1}
    (stored,) = [tuple(r) for r in await city.store.stored_figures(pseudonym)]
    assert stored[:4] == (wire.STANDING_STUDY_ID, MARCH, 1, 1)         # deleted at once
    assert all(v is None for v in stored[4:])                           # no figure kept

    now[0] = local_ts("2026-05-10 12:00")                               # April settles
    done = await dupont.outbox.send_due()
    assert [(s["member_id"], s["month"]) for s in done["sent"]] == [(bob, APRIL)]
    assert [g["kind"] for g in read.ledger(dupont.store.conn, alice)] == ["summary", "delete"]
    assert [tuple(r) for r in await city.store.stored_figures(pseudonym)] == [stored]  # not back

    (outcome,) = [o for o in await city.publish() if o["month"] == MARCH]
    assert outcome["released"] is None and "fewer than k=5" in outcome["reason"], outcome
    assert await city.published(MARCH) == before


async def _four_corrections_allow_a_new_release(households, city):
    """bob, dave, erin and frank correct a March trip: their boxes send replacements (revision
    2). With alice gone that is 5 changes in La Rochelle, k: a second release may go. La
    Rochelle is down to 4, so it is hidden now; everyone (9) is published."""
    by_name = {m.name: h for h in households for m in h.box.members}
    for name in ("bob", "dave", "erin", "frank"):
        h = by_name[name]
        mid = h.box.ids[name]
        leg = next(g for t in trip_list(h.store.conn, mid, None, int(local_ts("2026-04-01 00:00")))
                   for g in t["legs"] if g["distance_m"] > 500)
        decisions.correct_leg(h.store, mid, leg["start_ts"] + 1, "bus" if leg["mode"] != "bus" else "walk")
        done = await h.outbox.send_due()
        assert (MARCH, 2, "done") in {(s["month"], s["revision"], s["outcome"]) for s in done["sent"]}
    (outcome,) = [o for o in await city.publish() if o["month"] == MARCH]
    assert outcome["released"] == 2, outcome
    cells = _cells(await city.published(MARCH))
    assert {c for c, cell in cells.items() if not cell["suppressed"]} == {"all"}
    assert cells["all"]["contributors"] == 9


async def _jade_revokes(leroy, city):
    """jade ends her link with deletion: revoked at the city, her key gone from the box."""
    jade = leroy.box.ids["jade"]
    link = leroy.link("jade")
    done = await leroy.outbox.revoke(jade, delete=True)
    assert done["revocation"]["sent"] and done["revocation"]["status"] == "revoked"
    assert not (leroy.box.data_dir / "keys" / link["key_file"]).exists()
    assert read.links(leroy.store.conn, jade)[0]["state"] == "revoked"
    assert (await city.store.contributor(link["pseudonym"]))[1] == 1    # revoked flag
