"""SQLite under the aggregator's queries. Writes go through one connection on one worker
thread, so a commit's fsync never stalls the event loop (a lock keeps a transaction's statements
together); plain reads use a second connection on the loop itself: in WAL mode they see only
committed rows and never wait for the writer, and handing a 20 us lookup to a thread would cost
more than the lookup."""
import asyncio
import contextlib
import sqlite3
from concurrent.futures import ThreadPoolExecutor


class SqliteBackend:
    name = "sqlite"

    def __init__(self, path):
        self.path = str(path)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aggregator-sqlite")
        self._lock = asyncio.Lock()
        self._conn = None

    async def open(self):
        def connect():
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")    # a receipt means the row survives a power cut
            conn.execute("PRAGMA busy_timeout=10000")  # the CLI may write while the server runs
            return conn
        self._conn = await self._run(connect)
        self._reader = sqlite3.connect(self.path, isolation_level=None)
        self._reader.execute("PRAGMA busy_timeout=10000")
        return self

    async def _run(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def _execute(self, sql, args):
        return self._conn.execute(sql, args).rowcount

    async def execute(self, sql, args=()):
        async with self._lock:
            return await self._run(self._execute, sql, tuple(args))

    async def executemany(self, sql, rows):
        async with self._lock:
            await self._run(lambda: self._conn.executemany(sql, rows))

    async def fetchone(self, sql, args=()):
        return self._reader.execute(sql, tuple(args)).fetchone()

    async def fetchall(self, sql, args=()):
        if sql.lstrip()[:6].upper() == "SELECT":
            return self._reader.execute(sql, tuple(args)).fetchall()
        async with self._lock:    # a write that returns rows (INSERT ... RETURNING)
            return await self._run(lambda: self._conn.execute(sql, tuple(args)).fetchall())

    @contextlib.asynccontextmanager
    async def transaction(self):
        async with self._lock:
            await self._run(self._conn.execute, "BEGIN IMMEDIATE")
            tx = _SqliteTx(self)
            try:
                yield tx
            except BaseException:
                await self._run(self._conn.execute, "ROLLBACK")
                raise
            await self._run(self._conn.execute, "COMMIT")

    async def close(self):
        if getattr(self, "_reader", None) is not None:
            self._reader.close()
            self._reader = None
        if self._conn is not None:
            await self._run(self._conn.close)
            self._conn = None
        self._pool.shutdown(wait=True)


class _SqliteTx:
    """The same four calls inside a transaction (the backend's lock is already held)."""

    def __init__(self, backend):
        self._b = backend

    async def execute(self, sql, args=()):
        return await self._b._run(self._b._execute, sql, tuple(args))

    async def executemany(self, sql, rows):
        await self._b._run(lambda: self._b._conn.executemany(sql, rows))

    async def fetchone(self, sql, args=()):
        return await self._b._run(lambda: self._b._conn.execute(sql, tuple(args)).fetchone())

    async def fetchall(self, sql, args=()):
        return await self._b._run(lambda: self._b._conn.execute(sql, tuple(args)).fetchall())
