"""The outbox's rules, each as a member would notice it: nothing goes for a study not joined;
a study gets only the fields it asked for; a month goes once over and past its grace days, not
before, and not at all when the box never saw the member that month; a study that starts
asking for more than the member agreed to gets nothing until they join again; members of one
box leave at independent random moments; retries back off within their bounds."""
from __future__ import annotations

import random

from carbon import summary_wire as wire
from gateway.config import LinkSection
from gateway.outbox import Outbox
from gateway.outbox.sender import backoff
from gateway.queries import link as read

from link_boxes import Clock, Member, make_box

BIKE = {"id": "velo-2026", "title": "Vélo au travail", "k": 5,
        "purpose": "Count the days people bike to work, to size the forfait mobilités durables.",
        "fields": ["bike_days", "commune"], "period": {"from": "2026-01", "to": "2026-12"},
        "runs_it": "Ville de La Rochelle, service mobilité"}


async def _household(tmp_path, city, proxy, clock, members=("alice",)):
    box = make_box(tmp_path / "box", "maison-dupont",
                   [Member(n, "alice" if i == 0 else "bob") for i, n in enumerate(members)])
    store = box.store()
    outbox = Outbox(store, box.config, clock=clock, rng=random.Random(7))
    await city.store.put_study(BIKE)
    await city.state.studies.reload()
    for name, token in zip(members, await city.tokens(len(members))):
        await outbox.enrol(box.ids[name], proxy.url, token)
    return box, store, outbox


def _bodies(proxy) -> list:
    return [wire.parse(c.body) for c in proxy.posts("/summaries")]


async def test_only_joined_studies_get_anything_and_only_what_they_ask(tmp_path, city, proxy):
    clock = Clock("2026-04-10 12:00")
    box, store, outbox = await _household(tmp_path, city, proxy, clock)
    mid = box.ids["alice"]
    await outbox.join(mid, "velo-2026", commune=True)
    await outbox.send_due()
    (sent,) = _bodies(proxy)
    assert sent["study"] == "velo-2026" and sent["month"] == "2026-03"
    assert set(sent["body"]) == {"bike_days", "commune", "factor_version"}
    assert sent["body"]["bike_days"] > 0 and sent["body"]["commune"] == "17300"
    preview = await outbox.preview(mid, "2026-03", study_id=wire.STANDING_STUDY_ID)
    (standing,) = preview["studies"]
    assert standing["joined"] is False and standing["sent"]   # shown, would go only if joined
    assert "commune" not in standing["message"]["body"]       # not ticked for it
    await outbox.close()
    store.close()


async def test_a_month_goes_after_its_grace_days_and_only_if_the_box_saw_it(tmp_path, city, proxy):
    clock = Clock("2026-04-03 12:00")                          # March over, grace (5 days) not
    box, store, outbox = await _household(tmp_path, city, proxy, clock)
    mid = box.ids["alice"]
    joined = await outbox.join(mid, from_month="2026-02")
    assert joined["preview"] == {**joined["preview"], "sent": False,
                                 "why": "the box has no positions of that month"}
    (march,) = (await outbox.preview(mid, "2026-03"))["studies"]
    assert march["state"] == "due after 2026-04-06 (grace period)"
    (april,) = (await outbox.preview(mid, "2026-04"))["studies"]
    assert april["sent"] is False and april["why"] == "the month is not over"
    assert await outbox.send_due() == {"queued": [], "sent": []}
    clock.set("2026-04-06 00:00")
    done = await outbox.send_due()
    assert [(q["month"], q["what"]) for q in done["queued"]] == [("2026-03", "queued")]
    assert [b["month"] for b in _bodies(proxy)] == ["2026-03"]          # February: nothing
    await outbox.close()
    store.close()


async def test_a_study_asking_for_more_than_agreed_gets_nothing_until_joined_again(tmp_path, city, proxy):
    clock = Clock("2026-04-10 12:00")
    box, store, outbox = await _household(tmp_path, city, proxy, clock)
    mid = box.ids["alice"]
    await outbox.join(mid, "velo-2026")
    await outbox.send_due()
    await city.store.put_study({**BIKE, "fields": BIKE["fields"] + ["trips"]})   # the city widens it
    await city.state.studies.reload()
    await outbox.refresh_studies(proxy.url)
    clock.set("2026-05-10 12:00")
    assert (await outbox.send_due())["sent"] == []
    (april,) = (await outbox.preview(mid, "2026-04"))["studies"]
    assert april["why"] == "the study now also asks for trips: join again to agree to it"
    await outbox.join(mid, "velo-2026", from_month="2026-04")
    await outbox.send_due()
    assert [(b["month"], sorted(b["body"])) for b in _bodies(proxy)] == [
        ("2026-03", ["bike_days", "factor_version"]),
        ("2026-04", ["bike_days", "factor_version", "trips"])]
    log = read.decisions(store.conn, mid)
    assert [d["action"] for d in log] == ["enrol", "join", "join"]
    assert log[-1]["detail"]["fields"] == ["bike_days", "commune", "trips"]
    assert log[-1]["detail"]["previewed"]["wire"] == wire.canonical(
        _bodies(proxy)[-1]).decode()                            # what was shown is what went
    await outbox.close()
    store.close()


async def test_members_of_one_box_leave_at_independent_moments(tmp_path, city, proxy):
    clock = Clock("2026-04-10 12:00")
    box, store, outbox = await _household(tmp_path, city, proxy, clock, ("alice", "bob"))
    box.config.link.jitter_s = 6 * 3600
    for name in ("alice", "bob"):
        await outbox.join(box.ids[name])
    now = clock()
    done = await outbox.send_due(spread=True)
    assert done["sent"] == []                                  # nobody due at once
    dues = [q["due_at"] for q in done["queued"]]
    assert len(set(dues)) == 2 and all(now <= d <= now + 6 * 3600 for d in dues)
    assert abs(dues[0] - dues[1]) > 60
    await outbox.close()
    store.close()


def test_retries_back_off_exponentially_within_bounds():
    section, rng = LinkSection(backoff_min_s=60, backoff_max_s=3600), random.Random(1)
    for attempts, base in ((1, 60), (2, 120), (3, 240), (6, 1920), (7, 3600), (40, 3600)):
        delays = [backoff(attempts, section, rng) for _ in range(200)]
        assert all(base / 2 <= d <= base for d in delays)
        assert max(delays) - min(delays) > base / 4           # spread, not one value


async def test_a_key_the_city_revoked_stops_the_link(tmp_path, city, proxy):
    clock = Clock("2026-04-10 12:00")
    box, store, outbox = await _household(tmp_path, city, proxy, clock)
    mid = box.ids["alice"]
    await outbox.join(mid, from_month="2026-03")
    pseudonym = read.links(store.conn, mid)[0]["pseudonym"]
    await city.store.revoke(pseudonym)                         # the city's `key revoke`
    done = await outbox.send_due()
    assert [s["outcome"] for s in done["sent"]] == ["revoked"]
    (status,) = read.status(store.conn, mid)
    assert status["state"] == "revoked" and status["pending"] == []
    assert "revoked_key" in status["refused"][0]["last_error"]
    clock.set("2026-05-10 12:00")
    assert await outbox.send_due() == {"queued": [], "sent": []}
    await outbox.close()
    store.close()


async def test_a_box_restored_from_an_older_backup_replaces_instead_of_conflicting(tmp_path, city, proxy):
    """The SD card is restored from a backup taken before March was sent, and a trip of
    March was corrected since: the box signs March again at revision 1 with other figures;
    the city says so (revision_conflict) and the box sends revision 2 instead."""
    import sqlite3
    from gateway.trips import decisions
    from gateway.queries.trips import trip_list
    clock = Clock("2026-04-10 12:00")
    box, store, outbox = await _household(tmp_path, city, proxy, clock)
    mid = box.ids["alice"]
    await outbox.join(mid)
    backup = sqlite3.connect(tmp_path / "backup.db")
    store.conn.backup(backup)
    await outbox.send_due()                                    # March, revision 1
    await outbox.close()
    store.close()
    restored = sqlite3.connect(box.config.db_path)
    backup.backup(restored)                                    # the card as it was before
    restored.close()
    backup.close()
    store = box.store()
    outbox = Outbox(store, box.config, clock=clock)
    leg = next(g for t in trip_list(store.conn, mid, None, None) for g in t["legs"]
               if g["mode"] == "bike")
    decisions.correct_leg(store, mid, leg["start_ts"] + 1, "car")
    first = await outbox.send_due()
    assert [(s["revision"], s["outcome"]) for s in first["sent"]] == [(1, "conflict")]
    second = await outbox.send_due()
    assert [(s["revision"], s["outcome"]) for s in second["sent"]] == [(2, "done")]
    stored = await city.store.stored_figures(read.links(store.conn, mid)[0]["pseudonym"])
    assert [(r[1], r[2]) for r in stored] == [("2026-03", 2)]
    await outbox.close()
    store.close()
