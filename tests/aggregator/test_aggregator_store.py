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


async def test_one_batch_writes_exactly_the_rows_it_may_whatever_its_size(tmp_path, dsn):
    """A batch is one statement padded to a power of two (and chunks of PUT_ROWS in one
    transaction beyond that): each row is judged on its own, padding writes nothing."""
    from aggregator.store.queries import PUT_ROWS
    store = await open_store(tmp_path / "city", dsn)
    try:
        names = ["c" + format(i, "024b").replace("0", "a").replace("1", "b") for i in range(PUT_ROWS + 9)]
        await store.add_contributors([(p, f"key-{p}") for p in names[:-1]])   # the last: unknown
        await store.revoke(names[1])

        def row(p, rev):
            return (p, "carbon-monthly", "2026-07", rev, "d" * 64, "{}", "17300") + (rev,) * 15

        assert await store.put_contributions([row(names[2], 2)]) == {(names[2], "carbon-monthly", "2026-07")}
        # 5 rows (a statement of 8): one revoked, one unknown, one not newer, two new
        batch = [row(names[0], 1), row(names[1], 1), row(names[-1], 1), row(names[2], 2), row(names[3], 1)]
        assert await store.put_contributions(batch) == {
            (names[0], "carbon-monthly", "2026-07"), (names[3], "carbon-monthly", "2026-07")}
        # more than one statement holds: every enrolled, unrevoked, newer row is written
        big = [row(p, 3) for p in names]
        written = await store.put_contributions(big)
        assert written == {(p, "carbon-monthly", "2026-07") for p in names if p not in (names[1], names[-1])}
        assert len(written) == PUT_ROWS + 7
        assert await store.stored_figures(names[5]) == [("carbon-monthly", "2026-07", 3, 0, "17300") + (3,) * 15]
        assert await store.stored_figures(names[1]) == []
    finally:
        await store.close()
