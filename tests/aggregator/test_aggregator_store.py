"""The store on both engines: migrations recorded and idempotent, the same queries answering."""
from aggregator.store import open_store
from aggregator.store.schema import SCHEMA_VERSION


async def test_migrations_are_recorded_and_run_once(tmp_path, dsn):
    store = await open_store(tmp_path / "city", dsn)
    try:
        assert await store.schema_version() == SCHEMA_VERSION
        await store.add_contributors([("c" + "a" * 24, "key-a")])
    finally:
        await store.close()
    again = await open_store(tmp_path / "city", dsn)     # opening again migrates nothing
    try:
        assert await again.migrate() == SCHEMA_VERSION
        assert await again.contributor("c" + "a" * 24) == ("key-a", 0)
        assert await again.public_keys() == {"c" + "a" * 24: "key-a"}
    finally:
        await again.close()


async def test_a_revoked_contributor_cannot_be_written_even_by_a_direct_batch(tmp_path, dsn):
    store = await open_store(tmp_path / "city", dsn)
    try:
        p = "c" + "b" * 24
        await store.add_contributors([(p, "key-b")])
        row = (p, "carbon-monthly", "2026-07", 1, "d" * 64, "{}") + (None,) * 16
        assert await store.put_contributions([row]) == {(p, "carbon-monthly", "2026-07")}
        await store.revoke(p)
        newer = (p, "carbon-monthly", "2026-07", 2, "e" * 64, "{}") + (None,) * 16
        assert await store.put_contributions([newer]) == set()
        unknown = ("c" + "z" * 24,) + newer[1:]
        assert await store.put_contributions([unknown]) == set()
    finally:
        await store.close()
