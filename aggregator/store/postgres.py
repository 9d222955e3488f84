"""PostgreSQL under the aggregator's queries, through an asyncpg pool. The only translation is
the placeholders: the shared SQL says `?`, PostgreSQL wants `$1, $2...`."""
import contextlib
import functools
import re

_PLACEHOLDER = re.compile(r"\?")


@functools.lru_cache(maxsize=256)
def numbered(sql: str) -> str:
    """`?` -> `$n`, in order (the shared SQL never has a `?` inside a string literal). Cached:
    a batch of summaries is one statement of some 6,000 placeholders, the same few texts again."""
    counter = iter(range(1, 10_000))
    return _PLACEHOLDER.sub(lambda _m: f"${next(counter)}", sql)


def _rowcount(status: str) -> int:
    # asyncpg answers "INSERT 0 1", "UPDATE 3", "DELETE 0"...: the last word is the row count.
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class _Conn:
    """The four calls on one asyncpg connection (the pool's, or a transaction's)."""

    def __init__(self, conn):
        self._c = conn

    async def execute(self, sql, args=()):
        return _rowcount(await self._c.execute(numbered(sql), *args))

    async def executemany(self, sql, rows):
        await self._c.executemany(numbered(sql), rows)

    async def fetchone(self, sql, args=()):
        row = await self._c.fetchrow(numbered(sql), *args)
        return tuple(row) if row is not None else None

    async def fetchall(self, sql, args=()):
        return [tuple(r) for r in await self._c.fetch(numbered(sql), *args)]


class PostgresBackend:
    name = "postgresql"

    def __init__(self, dsn: str, pool_size: int = 10):
        self.dsn, self.pool_size, self._pool = dsn, pool_size, None

    async def open(self):
        import asyncpg   # optional dependency: only a city running PostgreSQL needs it
        self._pool = await asyncpg.create_pool(self.dsn, min_size=1, max_size=self.pool_size)
        return self

    async def execute(self, sql, args=()):
        async with self._pool.acquire() as c:
            return await _Conn(c).execute(sql, args)

    async def executemany(self, sql, rows):
        async with self._pool.acquire() as c:
            await _Conn(c).executemany(sql, rows)

    async def fetchone(self, sql, args=()):
        async with self._pool.acquire() as c:
            return await _Conn(c).fetchone(sql, args)

    async def fetchall(self, sql, args=()):
        async with self._pool.acquire() as c:
            return await _Conn(c).fetchall(sql, args)

    @contextlib.asynccontextmanager
    async def transaction(self):
        async with self._pool.acquire() as c:
            async with c.transaction():
                yield _Conn(c)

    async def close(self):
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
