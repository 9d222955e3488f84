"""The city link's records are the member's data: their archive carries the ledger and their
decisions; a restore into another box never brings the link (its key stays behind); erasing a
period of positions keeps the record of what was shared; erasing everything ends the link."""
from __future__ import annotations

import json
import os
import time
import zipfile

from gateway.outbox import Outbox, keys, links
from gateway.portability import archive, erasure
from gateway.portability.importing import Importer, prepare_member
from gateway.queries import link as read
from gateway.store import Store

from link_boxes import Clock, Member, local_ts, make_box


async def test_archive_restore_and_erasure_of_a_linked_member(tmp_path, city, proxy):
    box = make_box(tmp_path / "box", "maison-dupont", [Member("alice")])
    store = box.store()
    outbox = Outbox(store, box.config, clock=Clock("2026-04-10 12:00"))
    mid = box.ids["alice"]
    await outbox.enrol(mid, proxy.url, (await city.tokens(1))[0])
    await outbox.join(mid, commune=True)
    await outbox.send_due()
    (sent,) = read.ledger(store.conn, mid)

    path = tmp_path / "alice.zip"
    manifest = archive.write_archive(store, mid, path)
    assert manifest["counts"]["ledger"] == 1 and manifest["counts"]["consent_log"] == 2
    with zipfile.ZipFile(path) as zf:
        (row,) = [json.loads(l) for l in zf.read("tables/ledger.jsonl").decode().splitlines()]
    assert json.loads(row["receipt"]) == sent["receipt"]          # their copy of the receipt

    other = Store(tmp_path / "other" / "selfdata.db").open()
    assert prepare_member(other, "alice", [path]) is True
    report = Importer(other, "alice", run_pipeline=False).run([path])
    assert not set(report.restored) & {"links", "consents", "consent_log", "outbox", "ledger"}
    assert read.links(other.conn) == []                           # a new box enrols again
    other.close()

    # erasing a week of positions recomputes trips but keeps the record of what was shared
    erasure.erase_range(store, mid, int(local_ts("2026-03-23 00:00")), int(local_ts("2026-03-30 00:00")))
    assert read.ledger(store.conn, mid) == [sent] and len(read.decisions(store.conn, mid)) == 2

    key_file = read.links(store.conn, mid)[0]["key_file"]
    erasure.erase_all(store, mid)                                 # `selfdata delete --all`
    assert read.links(store.conn, mid) == [] and read.ledger(store.conn, mid) == []
    assert await outbox.send_due() == {"queued": [], "sent": []}  # nothing goes for her now
    key_path = box.data_dir / "keys" / key_file
    os.utime(key_path, (time.time() - 2 * 86400,) * 2)
    in_use = links.key_files(store.conn)
    assert keys.forget_unused(box.data_dir, in_use) == [key_file]  # the service's daily clean-up
    await outbox.close()
    store.close()


async def test_doctor_says_when_the_city_link_needs_attention(tmp_path, city, proxy):
    from gateway import doctor
    box = make_box(tmp_path / "box", "maison-dupont", [Member("alice")])
    store = box.store()
    clock = Clock("2026-04-10 12:00")
    outbox = Outbox(store, box.config, clock=clock)
    mid = box.ids["alice"]
    assert doctor.check_city_link(box.config).summary == "no member sends anything to the city"
    await outbox.enrol(mid, proxy.url, (await city.tokens(1))[0])
    await outbox.join(mid)
    assert doctor.check_city_link(box.config).status == "ok"
    await city.stop()
    await outbox.send_due()                                  # tried, the city away
    later = clock() + 3 * 86400
    check = doctor.check_city_link(box.config, now=later)
    assert check.status == "warn" and "waited for the city since 2026-04-10" in check.summary
    assert "502" in check.summary and "keeps trying" in check.advice
    (box.data_dir / "keys" / read.links(store.conn, mid)[0]["key_file"]).unlink()
    check = doctor.check_city_link(box.config, now=later)
    assert check.status == "fail" and "the key of alice is missing" in check.summary
    await outbox.close()
    store.close()
    await city.start()
