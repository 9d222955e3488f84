"""Group commit for intake: summaries that arrive while a commit is in flight are written
together by the next one, in one statement and one fsync. Each sender still gets its answer
only after its row is committed; at low load a batch is a single row and nothing waits."""
import asyncio

MAX_BATCH = 500   # 22 values a row: well under SQLite's and PostgreSQL's variable limits


class Batcher:
    def __init__(self, store):
        self.store = store
        self._pending = []          # (row, future)
        self._wakeup = asyncio.Event()
        self._task = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def put(self, row: tuple) -> bool:
        """Whether this contribution was written (False: a newer revision is stored)."""
        if self._task is None:
            self.start()
        future = asyncio.get_running_loop().create_future()
        self._pending.append((row, future))
        self._wakeup.set()
        return await future

    def _take(self) -> list:
        """The next batch: at most one row per key (a second copy waits for the next batch,
        where the database judges it against the first)."""
        batch, keys, rest = [], set(), []
        for row, future in self._pending:
            key = row[:3]
            if key in keys or len(batch) >= MAX_BATCH:
                rest.append((row, future))
            else:
                keys.add(key)
                batch.append((row, future))
        self._pending = rest
        return batch

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._pending:
                batch = self._take()
                try:
                    written = await self.store.put_contributions([row for row, _f in batch])
                except Exception as exc:       # every sender of the batch hears of it
                    for _row, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for row, future in batch:
                    if not future.done():
                        future.set_result(row[:3] in written)
