"""Group commit for intake. Rows that arrive while the database is busy with the previous
batch go together in the next one: one statement, one commit and one fsync for many
summaries. Each sender gets its own answer, only after its row is committed; at low load a
batch is a single row and nothing waits."""
import asyncio

MAX_BATCH = 256   # one statement a batch (store.queries.PUT_ROWS), one round trip, one commit


class Coalescer:
    """Calls `flush(items) -> results` (one result per item, in order) on batches of items.
    With `unique`, two items with the same unique(item) never share a batch (the second waits
    for the next one, where the database judges it against the first)."""

    def __init__(self, flush, unique=None, max_batch: int = MAX_BATCH):
        self.flush, self.unique, self.max_batch = flush, unique, max_batch
        self._pending = []          # (item, future)
        self._wakeup = asyncio.Event()
        self._task = None

    async def submit(self, item):
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
        future = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        self._wakeup.set()
        return await future

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    def _take(self) -> list:
        batch, seen, rest = [], set(), []
        for item, future in self._pending:
            key = self.unique(item) if self.unique else None
            if len(batch) >= self.max_batch or (key is not None and key in seen):
                rest.append((item, future))
            else:
                seen.add(key)
                batch.append((item, future))
        self._pending = rest
        return batch

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._pending:
                batch = self._take()
                try:
                    results = await self.flush([item for item, _f in batch])
                except Exception as exc:       # every sender of the batch hears of it
                    for _item, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_item, future), result in zip(batch, results):
                    if not future.done():
                        future.set_result(result)


def contribution_writer(store) -> Coalescer:
    """Writes contribution rows; each answer says whether that row was written."""
    async def flush(rows):
        written = await store.put_contributions(rows)
        return [row[:3] in written for row in rows]
    return Coalescer(flush, unique=lambda row: row[:3])

