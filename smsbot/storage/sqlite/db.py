"""The database connection: WAL, durable commits, migrations, one writer at a time."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import aiosqlite

from smsbot.storage.ports import DatabaseOpenError, StorageUnavailable
from smsbot.storage.sqlite import counts, threads
from smsbot.storage.sqlite.schema import MIGRATIONS

T = TypeVar("T")

PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 5000",
    "PRAGMA secure_delete = ON",
)

__all__ = [
    "Database",
    "DatabaseError",
    "DatabaseOpenError",
    "connect",
    "from_ts",
    "open_database",
    "prepare_database_file",
    "ts",
]


# SQLite's primary result codes that mean "storage cannot take writes now", not "this write is
# wrong": the work can be tried again once the operator has freed space, fixed permissions or
# stopped the other program.
UNAVAILABLE = {
    sqlite3.SQLITE_FULL: "disk_full",
    sqlite3.SQLITE_READONLY: "read_only",
    sqlite3.SQLITE_IOERR: "io_error",
    sqlite3.SQLITE_BUSY: "locked",
    sqlite3.SQLITE_LOCKED: "locked",
    sqlite3.SQLITE_CANTOPEN: "cannot_open",
}
FAILURE_MEMORY = 5.0  # seconds a failed write keeps the store "failing" without a success


def unavailable_cause(error: BaseException) -> str | None:
    """The `StorageUnavailable` cause an SQLite error (or a failed batch's) stands for."""
    found: BaseException | None = error
    while found is not None and not isinstance(found, sqlite3.Error):
        found = found.__cause__
    code = getattr(found, "sqlite_errorcode", None)
    return None if code is None else UNAVAILABLE.get(code & 0xFF)


def connect(path: Path) -> sqlite3.Connection:
    """A plain connection as smsbot uses one: rows by name, its pragmas, autocommit."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    counts.watch(conn)
    for pragma in PRAGMAS:
        conn.execute(pragma)
    return conn


def ts(moment: datetime) -> str:
    """A UTC timestamp as stored: ISO 8601, milliseconds, sortable as text."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def from_ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


class DatabaseError(Exception):
    """A write could not be made durable (its batch failed to commit); nothing was kept."""


@dataclass
class _Batch:
    """Units of work sharing one physical transaction, made durable by one COMMIT."""

    committed: asyncio.Future[None]
    units: int = 0
    flusher: asyncio.Task[None] | None = field(default=None, repr=False)


class Database:
    """One aiosqlite connection. Writes go through `transaction()`, serialised by a lock.

    Group commit: each `transaction()` block is a SAVEPOINT inside a shared BEGIN IMMEDIATE.
    The first block of a batch starts a flusher task that queues for the lock; every block
    already waiting for the lock at that moment joins the batch, then the flusher COMMITs
    once (one fsync for all of them). A block returns only after that COMMIT, so a caller
    that answers 2xx after `transaction()` still answers after its writes are durable. A
    failing block rolls back to its savepoint and leaves the others in the batch intact; an
    error that aborts the whole transaction fails every block of the batch (DatabaseError).
    Reads outside `transaction()` may see a batch's writes a few milliseconds before COMMIT.
    """

    def __init__(self, conn: aiosqlite.Connection, path: Path, *, max_batch: int = 256) -> None:
        self.conn = conn
        self.path = path
        self.max_batch = max_batch
        self.commits = 0  # physical COMMITs, for the benchmark and tests
        self._write_lock = asyncio.Lock()
        self._batch: _Batch | None = None
        self._reader_pool: threads.Readers | None = None
        self._failure: tuple[float, str] | None = None  # (monotonic time, cause)

    def write_failure(self) -> str | None:
        """The cause of the last failed write, if within FAILURE_MEMORY and none succeeded
        since (readiness: not ready while writes fail)."""
        if self._failure is None:
            return None
        at, cause = self._failure
        return cause if time.monotonic() - at < FAILURE_MEMORY else None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A unit of writes; when the block returns, its writes are durable.

        Raises StorageUnavailable when storage cannot take writes (disk full, read-only, I/O
        error, locked by another program); nothing of the unit is kept then."""
        try:
            async with self._unit() as conn:
                yield conn
        except (sqlite3.Error, DatabaseError) as error:
            cause = unavailable_cause(error)
            if cause is None:
                raise
            self._failure = (time.monotonic(), cause)
            raise StorageUnavailable(cause, f"{self.path}: {error}") from error
        self._failure = None

    @asynccontextmanager
    async def _unit(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._write_lock:
            batch = await self._join_batch()
            await self.conn.execute("SAVEPOINT unit")
            try:
                yield self.conn
            except BaseException:
                await self._undo_unit(batch)
                raise
            await self.conn.execute("RELEASE unit")
            batch.units += 1
        await asyncio.shield(batch.committed)

    async def _join_batch(self) -> _Batch:
        batch = self._batch
        if batch is not None and batch.units < self.max_batch:
            return batch
        if batch is not None:  # full: commit it now, under the lock we hold
            await self._commit(batch)
        await self.conn.execute("BEGIN IMMEDIATE")
        batch = _Batch(asyncio.get_running_loop().create_future())
        batch.flusher = asyncio.create_task(self._flush(batch))
        self._batch = batch
        return batch

    async def _undo_unit(self, batch: _Batch) -> None:
        try:
            await self.conn.execute("ROLLBACK TO unit")
            await self.conn.execute("RELEASE unit")
        except Exception as error:  # the savepoint is gone: give the whole batch up
            self._fail(batch, error)
            await self._abandon()
            return
        if not self.conn.in_transaction:  # SQLite aborted the whole transaction itself
            self._fail(batch, None)

    async def _flush(self, batch: _Batch) -> None:
        async with self._write_lock:
            if self._batch is batch:
                await self._commit(batch)

    async def _commit(self, batch: _Batch) -> None:
        self._batch = None
        try:
            await self.conn.commit()
        except Exception as error:  # every unit of the batch hears of it
            self._fail(batch, error)
            await self._abandon()
            return
        self.commits += 1
        if not batch.committed.done():
            batch.committed.set_result(None)

    def _fail(self, batch: _Batch, error: BaseException | None) -> None:
        if self._batch is batch:
            self._batch = None
        if batch.committed.done():
            return
        failure = DatabaseError(f"{self.path}: a batch of {batch.units} write(s) was rolled back")
        failure.__cause__ = error
        batch.committed.set_exception(failure)
        batch.committed.exception()  # retrieved: a batch nobody else waits on logs nothing

    async def _abandon(self) -> None:
        if self.conn.in_transaction:
            await self.conn.rollback()

    async def flush(self) -> None:
        """Wait until every write so far is committed."""
        batch = self._batch
        if batch is not None:
            await asyncio.shield(batch.committed)

    async def schema_version(self) -> int:
        async with self.conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    # --- units of work as plain functions (the storage boundary's API) -------------------

    async def write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` on the writing connection, in its thread, as one unit of the group
        commit; returns once its writes are durable. The unit's SAVEPOINT, `work` and its
        RELEASE cross to the thread together: one hand-off (a batch's BEGIN and COMMIT are
        shared by its units).

        Raises StorageUnavailable like `transaction()`; what `work` raises, with nothing of
        it kept."""
        try:
            result = await self._write_unit(work)
        except (sqlite3.Error, DatabaseError) as error:
            cause = unavailable_cause(error)
            if cause is None:
                raise
            self._failure = (time.monotonic(), cause)
            raise StorageUnavailable(cause, f"{self.path}: {error}") from error
        self._failure = None
        return result

    async def _write_unit(self, work: Callable[[sqlite3.Connection], T]) -> T:
        async with self._write_lock:
            batch = await self._join_batch()
            try:
                # aiosqlite's own thread runs it (until the writer thread replaces aiosqlite)
                run = self.conn._execute
                result: T = await run(_in_savepoint, work, self.conn._conn)  # type: ignore[no-untyped-call]
            except BaseException:
                if not self.conn.in_transaction:  # the batch is lost with this unit
                    self._fail(batch, None)
                raise
            batch.units += 1
        await asyncio.shield(batch.committed)
        return result

    async def peek(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` (reads only) on the writing connection, in its thread, between units:
        one hand-off, no transaction of its own, so it may see the open batch's writes a
        moment before their COMMIT (as every read on this connection may)."""
        run = self.conn._execute
        result: T = await run(work, self.conn._conn)  # type: ignore[no-untyped-call]
        return result

    async def read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` on a reader connection (one snapshot); never waits for writers."""
        return await self._readers().run(work)

    def stream(
        self, rows: Callable[[sqlite3.Connection], Iterator[T]], *, chunk: int = 1000
    ) -> AsyncIterator[list[T]]:
        """A long read in chunks of rows, on a connection of its own (exports)."""
        return threads.stream(lambda: connect(self.path), rows, chunk=chunk)

    def _readers(self) -> threads.Readers:
        if self._reader_pool is None:
            self._reader_pool = threads.Readers(lambda: connect(self.path), name=self.path.name)
        return self._reader_pool

    async def close(self) -> None:
        batch = self._batch
        if batch is not None and batch.flusher is not None:
            await batch.flusher
        if self._reader_pool is not None:
            await self._reader_pool.close()
        await self.conn.close()


def _in_savepoint(work: Callable[[sqlite3.Connection], T], conn: sqlite3.Connection) -> T:
    """`work` as one unit inside the batch's transaction: all of it kept, or none of it."""
    conn.execute("SAVEPOINT unit")
    try:
        result = work(conn)
    except BaseException:
        try:
            conn.execute("ROLLBACK TO unit")
            conn.execute("RELEASE unit")
        except sqlite3.Error:  # the savepoint is gone: give the whole batch up
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        raise
    conn.execute("RELEASE unit")
    return result


async def open_database(path: Path | str) -> Database:
    """Open (creating if needed) and migrate the database at `path`.

    Raises DatabaseOpenError (one line, with the path) when the folder or the file cannot be
    created or written, the file is not an SQLite database, or its schema is newer than this
    smsbot; nothing is left open then.
    """
    db_path = Path(path)
    if str(db_path) != ":memory:":
        prepare_database_file(db_path)
    try:
        conn = await aiosqlite.connect(db_path, isolation_level=None)
    except sqlite3.Error as error:
        raise DatabaseOpenError(_explain(db_path, error)) from error
    try:
        return await _ready(conn, db_path)
    except BaseException as error:
        await conn.close()
        if isinstance(error, sqlite3.Error):
            raise DatabaseOpenError(_explain(db_path, error)) from error
        raise


async def _ready(conn: aiosqlite.Connection, path: Path) -> Database:
    conn.row_factory = aiosqlite.Row
    if counts.ENABLED:  # the trace callback is set in the connection's own thread
        await conn._execute(counts.watch, conn._conn)  # type: ignore[no-untyped-call]
        counts.watch_handoffs(conn)
    for pragma in PRAGMAS:
        await conn.execute(pragma)
    db = Database(conn, path)
    await _migrate(db)
    return db


def prepare_database_file(path: Path) -> None:
    """Create the database's folder and file if missing, and check that both can be written
    (SQLite keeps its -wal and -shm files beside the database), so that a problem is named
    here, with its path, instead of SQLite's "unable to open database file"."""
    path = path.absolute()
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        message = f"cannot create the database folder {folder}: {_why(error)}"
        raise DatabaseOpenError(message) from None
    if path.is_dir():
        raise DatabaseOpenError(f"the database path {path} is a folder, not a file")
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o644))
        with tempfile.TemporaryFile(dir=folder, prefix=".smsbot-probe-"):
            pass
    except OSError as error:
        raise DatabaseOpenError(f"cannot write the database {path}: {_why(error)}") from None


def _why(error: OSError) -> str:
    """An OS error in words: which path is in the way, or the system's reason."""
    if isinstance(error, FileExistsError | NotADirectoryError) and error.filename:
        return f"{error.filename} is a file, not a folder"
    return (error.strerror or str(error)).lower()


def _explain(path: Path, error: sqlite3.Error) -> str:
    text = str(error)
    if "file is not a database" in text:
        return f"{path} is not an SQLite database (is the path right?)"
    if "malformed" in text:
        return f"{path} is damaged ({text}); restore it from a backup"
    return f"the database {path} cannot be opened: {text}"


async def _migrate(db: Database) -> None:
    current = await db.schema_version()
    if current > len(MIGRATIONS):
        raise DatabaseOpenError(
            f"the database {db.path} has schema {current}, newer than this smsbot's "
            f"({len(MIGRATIONS)}): run a newer smsbot, or use another database"
        )
    for number, script in enumerate(MIGRATIONS[current:], start=current + 1):
        async with db.transaction() as conn:
            for statement in _statements(script):
                await conn.execute(statement)
            await conn.execute(f"PRAGMA user_version = {number}")


def _statements(script: str) -> list[str]:
    """Split a migration into statements (the schema has no semicolons inside strings; a
    trigger's body holds several: its pieces are joined until the statement is complete)."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    statements, pending = [], ""
    for piece in "\n".join(lines).split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip().removesuffix(";").strip())
            pending = ""
    return [s for s in statements if s]
