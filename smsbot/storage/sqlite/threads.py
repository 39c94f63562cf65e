"""SQLite from asyncio: one writer thread with group commit, and a pool of reader threads.

A unit of work is a plain synchronous function of a `sqlite3.Connection`. It crosses to the
database thread once, runs all its reads and writes there, and comes back once: no await per
statement. Writes share COMMITs: every unit queued while the previous COMMIT was on its way to
the disk joins the next batch, each inside a SAVEPOINT of one `BEGIN IMMEDIATE`. A unit's
caller is answered only after its batch's COMMIT returned, so a caller that answers 2xx after
`await writer.run(...)` answers after its writes are durable. A unit that raises loses only its
own writes; an error that aborts the whole transaction (or a failed COMMIT) fails every unit of
the batch with `DatabaseError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from smsbot.storage.sqlite import counts

__all__ = ["DatabaseError", "Readers", "Writer", "stream"]

T = TypeVar("T")
Connect = Callable[[], sqlite3.Connection]


class DatabaseError(Exception):
    """A unit of work could not be made durable (its batch was rolled back); nothing was kept."""


@dataclass
class _Job(Generic[T]):
    work: Callable[[sqlite3.Connection], T]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[T]


@dataclass
class _Done:
    job: _Job[Any]
    value: object = None
    error: BaseException | None = None


_STOP = None


class Writer:
    """The one connection that writes, in its own thread."""

    def __init__(self, connect: Connect, *, name: str, max_batch: int = 256) -> None:
        self.name = name
        self.max_batch = max_batch
        self.commits = 0  # physical COMMITs, for the benchmark and tests
        self.units = 0  # units of work run, for the benchmark and tests
        self._connect = connect
        self._queue: queue.SimpleQueue[_Job[Any] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._main, name=f"writer {name}", daemon=True)
        self._opened = threading.Event()
        self._open_error: BaseException | None = None

    def start(self) -> None:
        """Open the connection in the writer thread; raises what opening raised."""
        self._thread.start()
        self._opened.wait()
        if self._open_error is not None:
            raise self._open_error

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` in the writer thread; returns once its writes are committed."""
        counts.handoff()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Job(work, loop, future))
        return await asyncio.shield(future)  # a cancelled caller does not undo a committed unit

    async def close(self) -> None:
        """Finish what is queued, then close the connection."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            await asyncio.to_thread(self._thread.join)

    # --- the writer thread ---------------------------------------------------------------

    def _main(self) -> None:
        try:
            conn = self._connect()
        except BaseException as error:
            self._open_error = error
            self._opened.set()
            return
        self._opened.set()
        try:
            while (jobs := self._next_batch()) is not None:
                if jobs:
                    _answer(self._batch(conn, jobs))
        finally:
            conn.close()

    def _next_batch(self) -> list[_Job[Any]] | None:
        """The next job and every job already queued behind it; None when stopped."""
        first = self._queue.get()
        if first is _STOP:
            return None
        jobs = [first]
        while len(jobs) < self.max_batch:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is _STOP:
                self._queue.put(_STOP)  # handled after this batch
                break
            jobs.append(job)
        return jobs

    def _batch(self, conn: sqlite3.Connection, jobs: list[_Job[Any]]) -> list[_Done]:
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            return _fail_all(jobs, error, f"{self.name}: could not begin a transaction")
        done = [self._unit(conn, job) for job in jobs]
        self.units += len(jobs)
        if not conn.in_transaction:  # a unit's error made SQLite abort the whole transaction
            return _fail_kept(done, None, f"{self.name}: the transaction was aborted")
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as error:
            _rollback(conn)
            return _fail_kept(done, error, f"{self.name}: a batch of {len(jobs)} was rolled back")
        self.commits += 1
        return done

    def _unit(self, conn: sqlite3.Connection, job: _Job[Any]) -> _Done:
        if not conn.in_transaction:  # an earlier unit aborted the batch: nothing more runs
            return _Done(job, error=DatabaseError(f"{self.name}: the transaction was aborted"))
        conn.execute("SAVEPOINT unit")
        try:
            value = job.work(conn)
        except Exception as error:
            _undo_unit(conn)
            return _Done(job, error=error)
        conn.execute("RELEASE unit")
        return _Done(job, value=value)


def _undo_unit(conn: sqlite3.Connection) -> None:
    if not conn.in_transaction:
        return
    try:
        conn.execute("ROLLBACK TO unit")
        conn.execute("RELEASE unit")
    except sqlite3.Error:
        _rollback(conn)


def _rollback(conn: sqlite3.Connection) -> None:
    with contextlib.suppress(sqlite3.Error):
        if conn.in_transaction:
            conn.execute("ROLLBACK")


def _fail_all(jobs: list[_Job[Any]], cause: BaseException | None, text: str) -> list[_Done]:
    return [_Done(job, error=_database_error(text, cause)) for job in jobs]


def _fail_kept(done: list[_Done], cause: BaseException | None, text: str) -> list[_Done]:
    """Every unit that had succeeded is lost with the batch; failed units keep their error."""
    return [
        d if d.error is not None else _Done(d.job, error=_database_error(text, cause)) for d in done
    ]


def _database_error(text: str, cause: BaseException | None) -> DatabaseError:
    error = DatabaseError(text if cause is None else f"{text}: {cause}")
    error.__cause__ = cause
    return error


def _answer(done: list[_Done]) -> None:
    for item in done:
        with contextlib.suppress(RuntimeError):  # the caller's loop is closed: nobody waits
            item.job.loop.call_soon_threadsafe(_settle, item)


def _settle(item: _Done) -> None:
    future = item.job.future
    if future.done():
        return
    if item.error is not None:
        future.set_exception(item.error)
    else:
        future.set_result(item.value)


class Readers:
    """Reader threads, each with its own connection; every read sees one consistent snapshot."""

    def __init__(self, connect: Connect, *, name: str, workers: int = 2) -> None:
        self._connect = connect
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix=f"reader {name}")

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        counts.handoff()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._read, work)

    def _read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._connection()
        conn.execute("BEGIN")
        try:
            return work(conn)
        finally:
            _rollback(conn)

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    async def close(self) -> None:
        await asyncio.to_thread(self._pool.shutdown, True)
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()


async def stream(
    connect: Connect, rows: Callable[[sqlite3.Connection], Iterator[T]], *, chunk: int = 1000
) -> AsyncIterator[list[T]]:
    """Rows of one long read in chunks, from a connection of its own, in constant memory."""
    conn = await asyncio.to_thread(connect)
    try:
        await asyncio.to_thread(conn.execute, "BEGIN")
        iterator = rows(conn)
        while batch := await asyncio.to_thread(_take, iterator, chunk):
            yield batch
    finally:
        await asyncio.to_thread(_close_read, conn)


def _take(iterator: Iterator[T], count: int) -> list[T]:
    taken: list[T] = []
    for item in iterator:
        taken.append(item)
        if len(taken) == count:
            break
    return taken


def _close_read(conn: sqlite3.Connection) -> None:
    _rollback(conn)
    conn.close()
