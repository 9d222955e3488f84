"""The aggregator's storage: one set of queries (store.queries) over SQLite or PostgreSQL."""
from pathlib import Path

from aggregator.store.queries import Store


async def open_store(data_dir, dsn: str | None = None) -> Store:
    """SQLite in the data dir by default; PostgreSQL when a DSN is given. Migrated on open."""
    if dsn:
        from aggregator.store.postgres import PostgresBackend
        backend = PostgresBackend(dsn)
    else:
        from aggregator.store.sqlite import SqliteBackend
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        backend = SqliteBackend(Path(data_dir) / "aggregator.db")
    store = Store(await backend.open())
    await store.migrate()
    return store


__all__ = ["Store", "open_store"]
