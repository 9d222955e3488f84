"""Members' keys on the box: one Ed25519 key pair per member per aggregator, each in its own
0600 file under a random name in a 0700 folder, never shared, deleted once revoked; files no
link refers to any more are forgotten."""
from __future__ import annotations

import os
import stat
import time

from cryptography.hazmat.primitives import serialization

from gateway.outbox import Outbox, keys
from gateway.queries import link as read

from link_boxes import Clock, Member, make_box
from link_city import City


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_each_member_has_their_own_key_per_aggregator_stored_tightly(tmp_path, city):
    other = await City(tmp_path / "other-city").start()        # a second aggregator
    box = make_box(tmp_path / "box", "maison-dupont", [Member("alice"), Member("bob", "bob")])
    store = box.store()
    outbox = Outbox(store, box.config, clock=Clock("2026-04-10 12:00"))
    old_umask = os.umask(0o022)          # a permissive umask must not widen the files
    try:
        for agg in (city, other):
            for name, token in zip(("alice", "bob"), await agg.tokens(2)):
                await outbox.enrol(box.ids[name], agg.url, token)
    finally:
        os.umask(old_umask)
    links = read.links(store.conn)
    folder = box.data_dir / "keys"
    files = sorted(folder.glob("*.pem"))
    assert _mode(folder) == 0o700 and len(files) == 4
    assert all(_mode(f) == 0o600 for f in files)
    assert {f.name for f in files} == {l["key_file"] for l in links}
    for f in files:                      # the name says nothing: 128 random bits
        assert len(f.stem) == 32 and all(c in "0123456789abcdef" for c in f.stem)
    publics = set()
    for l in links:
        key = keys.load_key(box.data_dir, l["key_file"])
        assert keys.public_b64(key) == l["public_key"]
        publics.add(l["public_key"])
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        assert (folder / l["key_file"]).read_bytes() == pem
    assert len(publics) == 4 and len({l["pseudonym"] for l in links}) == 4

    folder.chmod(0o755)                  # someone widened it: the next use tightens it
    keys.load_key(box.data_dir, links[0]["key_file"])
    assert _mode(folder) == 0o700

    alice_here = next(l for l in links if l["member_id"] == box.ids["alice"] and l["aggregator"] == city.url)
    await outbox.revoke(box.ids["alice"], aggregator=city.url)
    assert not (folder / alice_here["key_file"]).exists()    # it can sign nothing any more
    await outbox.enrol(box.ids["alice"], city.url, (await city.tokens(1))[0])
    again = read.links(store.conn, box.ids["alice"])
    fresh = next(l for l in again if l["aggregator"] == city.url and l["state"] == "active")
    assert fresh["public_key"] not in publics and fresh["pseudonym"] != alice_here["pseudonym"]
    await outbox.close()
    store.close()
    await other.stop()


def test_key_files_no_link_refers_to_are_forgotten_once_old(tmp_path):
    kept, _ = keys.new_key(tmp_path)
    orphan, _ = keys.new_key(tmp_path)
    young, _ = keys.new_key(tmp_path)
    old = time.time() - 2 * 86400
    for name in (kept, orphan):
        os.utime(tmp_path / "keys" / name, (old, old))
    assert keys.forget_unused(tmp_path, {kept}) == [orphan]   # young: an enrolment in progress
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == sorted([kept, young])
