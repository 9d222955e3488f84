"""Enrolment and intake over real HTTP on loopback, on SQLite and PostgreSQL: what is taken,
what is refused and why, and that each refusal is counted."""
import json

from carbon import summary_wire as wire
from box_client import Member, full_body


async def _rejected(aggregator) -> dict:
    _s, _t, body = await aggregator.get("/status")
    return json.loads(body)["counters"]["rejected"]


async def test_members_enrol_send_and_get_a_signed_receipt(aggregator):
    alice, bob = await aggregator.members(2)
    assert alice.pseudonym != bob.pseudonym
    envelope = alice.summary()
    status, answer = await alice.send(envelope)
    assert status == 200 and answer["receipt"]["status"] == "stored"
    assert alice.receipt_is_genuine(answer["receipt"], envelope)
    stored = await aggregator.store.stored_figures(alice.pseudonym)
    assert [(s, m, rev, deleted) for s, m, rev, deleted, *_ in stored] == [
        ("carbon-monthly", "2026-07", 1, 0)]


async def test_a_token_enrols_one_key_only(aggregator):
    [token] = await aggregator.tokens(1)
    first, second = Member(aggregator.url, aggregator.session), Member(aggregator.url, aggregator.session)
    assert (await first.enrol(token))[0] == 200
    status, answer = await second.enrol(token)
    assert (status, answer["error"]["code"]) == (409, "token_used")
    status, answer = await second.enrol("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF")
    assert (status, answer["error"]["code"]) == (403, "token_unknown")


async def test_an_enrolment_not_signed_by_its_key_is_refused(aggregator):
    [token] = await aggregator.tokens(1)
    victim, attacker = Member(aggregator.url, aggregator.session), Member(aggregator.url, aggregator.session)
    # The attacker tries to register someone else's public key under a token.
    request = attacker.sign(wire.enrol_request(token, victim.public))
    status, answer = await attacker.post("/enrol", request)
    assert (status, answer["error"]["code"]) == (401, "bad_signature")
    assert (await victim.enrol(token))[0] == 200, "a refused attempt must not spend the token"


async def test_forged_tampered_unenrolled_and_revoked_are_refused_with_their_reason(aggregator):
    alice, mallory = await aggregator.members(2)
    stranger = Member(aggregator.url, aggregator.session)        # never enrolled

    forged = alice.summary()
    forged["sig"] = mallory.summary()["sig"]                       # another key's signature
    assert (await alice.send(forged))[1]["error"]["code"] == "bad_signature"

    tampered = alice.summary()
    tampered["body"]["co2e_g"]["car"] = 1                          # after signing
    status, answer = await alice.send(tampered)
    assert (status, answer["error"]["code"]) == (401, "bad_signature")

    status, answer = await stranger.send(stranger.summary())
    assert (status, answer["error"]["code"]) == (404, "unknown_key")

    status, answer = await mallory.revoke()
    assert status == 200 and answer["receipt"]["status"] == "revoked"
    status, answer = await mallory.send(mallory.summary())
    assert (status, answer["error"]["code"]) == (403, "revoked_key")

    assert await _rejected(aggregator) == {"bad_signature": 2, "unknown_key": 1, "revoked_key": 1}
    assert await aggregator.store.stored_figures(alice.pseudonym) == []


async def test_replay_dedup_replacement_and_backwards_revision(aggregator):
    [alice] = await aggregator.members(1)
    first = alice.summary(revision=1, km_car=100)
    assert (await alice.send(first))[0] == 200

    status, answer = await alice.send(first)                       # the same bytes again
    assert (status, answer["error"]["code"]) == (409, "replay")
    assert answer["receipt"]["digest"] == wire.digest(first), "a replay answers with the receipt"

    status, answer = await alice.send(alice.summary(revision=1, km_car=5))
    assert (status, answer["error"]["code"]) == (409, "revision_conflict")

    correction = alice.summary(revision=2, km_car=80)
    status, answer = await alice.send(correction)
    assert status == 200 and answer["receipt"]["status"] == "stored" and answer["receipt"]["revision"] == 2

    status, answer = await alice.send(first)                       # the old copy, replayed
    assert (status, answer["error"]["code"]) == (409, "revision_backwards")

    rows = await aggregator.store.stored_figures(alice.pseudonym)
    assert len(rows) == 1, "one row per pseudonym + study + month"
    columns = ["study", "month", "revision", "deleted", "commune", "trips", "bike_days", "avoided_g",
               *[f"m_{f}" for f in wire.FAMILIES], *[f"g_{f}" for f in wire.FAMILIES]]
    row = dict(zip(columns, rows[0]))
    assert (row["revision"], row["m_car"]) == (2, 80_000)


async def test_malformed_oversized_and_off_format_bodies_are_refused(aggregator):
    [alice] = await aggregator.members(1)
    cases = {
        b"{not json": "malformed",
        b"[1, 2]": "malformed",
        b"\xff\xfe": "malformed",
        b'{"v": 1, "v": 1}': "malformed",
        b"[" * 3000: "malformed",
        b"{" + b'"x": "' + b"a" * 5000 + b'"}': "too_large",
    }
    for raw, code in cases.items():
        status, answer = await alice.post("/summaries", raw)
        assert answer["error"]["code"] == code, raw[:30]
    status, answer = await alice.post("/summaries", b" " * 100_000)
    assert (status, answer["error"]["code"]) == (413, "too_large")

    extra = alice.summary(body={**full_body(), "home_lat": 46})
    assert (await alice.send(extra))[1]["error"] == {
        "code": "unknown_field", "message": "body: not part of the wire format: home_lat", "where": "body"}
    floats = wire.envelope(alice.pseudonym, "carbon-monthly", "2026-07", 1, full_body())
    raw = wire.canonical(alice.sign(floats)).replace(b'"trips":30', b'"trips":30.5')
    assert (await alice.post("/summaries", raw))[1]["error"]["code"] == "bad_value"
    negative = full_body()
    negative["distance_m"]["car"] = -5
    assert (await alice.send(alice.summary(body=negative)))[1]["error"]["where"] == "body.distance_m.car"
    assert (await alice.send(alice.summary(month="2026-13")))[1]["error"]["code"] == "bad_value"
    assert (await alice.send(alice.summary(month="2026-09")))[1]["error"]["code"] == "month_not_over"
    assert (await alice.send(alice.summary(study="no-such-study")))[1]["error"]["code"] == "unknown_study"
    assert await aggregator.store.stored_figures(alice.pseudonym) == []
    rejected = await _rejected(aggregator)
    assert rejected["malformed"] == 5 and rejected["too_large"] == 2


async def test_fields_not_asked_by_a_study_are_refused(aggregator):
    await aggregator.store.put_study({
        "id": "bike-study", "title": "Bike days", "purpose": "How many days people bike to work.",
        "fields": ["bike_days"], "period": {"from": "2026-01", "to": "2026-12"}, "k": 10,
        "runs_it": "Ville de La Rochelle"})
    [alice] = await aggregator.members(1)
    status, answer = await alice.send(alice.summary(study="bike-study"))
    assert (status, answer["error"]["code"]) == (400, "field_not_asked")
    narrow = wire.body_for_study(full_body(), ["bike_days"])
    assert narrow == {"factor_version": "2026-07", "bike_days": 5}
    assert (await alice.send(alice.summary(study="bike-study", body=narrow)))[0] == 200
    status, answer = await alice.send(alice.summary(study="bike-study", month="2025-12", body=narrow))
    assert answer["error"]["code"] == "outside_study"


async def test_deletion_removes_stored_figures_at_once_and_cannot_be_replayed(aggregator):
    [alice] = await aggregator.members(1)
    for month in ("2026-07", "2026-08"):
        assert (await alice.send(alice.summary(month=month)))[0] == 200
    old = alice.summary(month="2026-07")
    nonce_request = alice.sign(wire.delete_request(alice.pseudonym, wire.b64(b"n" * 16), "*", ["2026-07"]))
    status, answer = await alice.post("/delete", nonce_request)
    assert status == 200 and answer["receipt"]["count"] == 1
    rows = {r[1]: r for r in await aggregator.store.stored_figures(alice.pseudonym)}
    assert rows["2026-07"][3] == 1 and all(v is None for v in rows["2026-07"][4:])
    assert rows["2026-08"][3] == 0
    assert (await alice.post("/delete", nonce_request))[1]["error"]["code"] == "replay"
    # The deleted month's signed copy, replayed, does not come back.
    assert (await alice.send(old))[1]["error"]["code"] == "replay"
    # A new revision may contribute again.
    assert (await alice.send(alice.summary(month="2026-07", revision=2)))[0] == 200


async def test_admin_revocation_and_own_revocation_with_deletion(aggregator):
    alice, bob = await aggregator.members(2)
    assert (await alice.send(alice.summary()))[0] == 200
    assert (await bob.send(bob.summary()))[0] == 200
    status, answer = await bob.revoke(delete=True)
    assert status == 200 and answer["receipt"]["count"] == 1
    assert all(r[3] == 1 for r in await aggregator.store.stored_figures(bob.pseudonym))
    await aggregator.store.revoke(alice.pseudonym)     # what `key revoke` does
    assert (await alice.send(alice.summary(month="2026-08")))[1]["error"]["code"] == "revoked_key"
    assert (await alice.delete())[1]["error"]["code"] == "revoked_key"


async def test_storage_failure_answers_unavailable_and_stores_nothing(aggregator):
    [alice] = await aggregator.members(1)
    await aggregator.store.db.close()            # the database goes away under the server
    status, answer = await alice.send(alice.summary())
    assert (status, answer["error"]["code"]) == (503, "unavailable")
    assert (await _rejected(aggregator)) == {"unavailable": 1}
    status, _t, _b = await aggregator.get("/status")
    assert status == 200, "the server itself keeps answering"
