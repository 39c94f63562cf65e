"""Small units of work that go to the store together: one unit for all that came meanwhile.

The sender records each send's result ("sent", "retry at", "failed") as it comes. While one
batch is on its way to the disk, the next results wait, and then go in one unit (one hand-off
to the database, one SAVEPOINT) instead of one each. Each caller returns once its result is
durable, as with `Store.unit`. If a batch fails, its results are tried one by one, so one
result's error is its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from smsbot.storage.ports import Store, Tx

__all__ = ["Batched"]

Work = Callable[[Tx], Awaitable[None]]


class Batched:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._waiting: list[tuple[Work, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def run(self, work: Work) -> None:
        """`work` in the next batch; returns once it is durable (raises what it raised)."""
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((work, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        await asyncio.shield(future)  # a cancelled caller does not take the others with it

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                await self.store.unit(_together([work for work, _ in batch]))
            except Exception:
                await self._one_by_one(batch)
                continue
            for _, future in batch:
                _settle(future, None)

    async def _one_by_one(self, batch: list[tuple[Work, asyncio.Future[None]]]) -> None:
        for work, future in batch:
            try:
                await self.store.unit(work)
            except Exception as error:
                _settle(future, error)
            else:
                _settle(future, None)


def _together(works: list[Work]) -> Work:
    async def all_of(tx: Tx) -> None:
        for work in works:
            await work(tx)

    return all_of


def _settle(future: asyncio.Future[None], error: Exception | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
