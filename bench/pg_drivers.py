"""asyncpg against psycopg 3 on the webhook's unit of work, on a real PostgreSQL.

    python -m bench.pg_drivers [DSN]      # default postgresql://postgres@127.0.0.1:5432/postgres

Issue 14 asks for the PostgreSQL store's driver to be chosen by measurement on the hot path.
This runs the necessary-work app's unit (bench/necessary.py) against PostgreSQL: for an inbound
SMS, find the citizen's active conversation (by phone, locked), insert the inbound message (its
provider id unique, so a retried webhook has no second effect), insert the next outgoing
message as `sending`, and move the conversation on; committed durably (`synchronous_commit`
on) before the unit counts as done. 64 units in flight, as in `make bench`, over a pool of
connections, on a database holding a history (200 000 conversations, 1 000 000 messages).

Each driver runs the unit in three shapes:
- `statements`: BEGIN, four statements, COMMIT, each its own round trip;
- `pipeline`: the lookup, then the other statements and the COMMIT sent without waiting for
  each answer (psycopg's pipeline mode; asyncpg has no pipeline mode);
- `one statement`: the whole unit as one statement of data-modifying CTEs, one round trip.

Every variant runs `PG_DRIVERS_ROUNDS` times (3), in alternating order; it prints the
medians of units/s, the client's CPU per unit (the process's CPU time over the phase, so the
driver's own cost), and p50/p99 latency, and writes them to bench/pg_drivers.json. The
throughput also depends on the server's fsync and on what else the machine runs; the CPU per
unit and the round trips are the driver's. Needs `pip install asyncpg 'psycopg[binary]'
psycopg-pool` (either may be missing: its rows are skipped).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "smsbot_bench_drivers"
IN_FLIGHT = 64
POOL = 16
UNITS = int(os.environ.get("PG_DRIVERS_UNITS", "20000"))
HISTORY_CONVERSATIONS = 200_000
HISTORY_MESSAGES = 1_000_000
ROUNDS = int(os.environ.get("PG_DRIVERS_ROUNDS", "3"))
RESULTS = Path(__file__).with_name("pg_drivers.json")

SCHEMA = f"""
CREATE TABLE conversations (
    id BIGSERIAL PRIMARY KEY, phone TEXT NOT NULL, state TEXT NOT NULL,
    step TEXT NOT NULL, version INTEGER NOT NULL DEFAULT 0, updated_at TIMESTAMPTZ NOT NULL);
CREATE INDEX conversations_active ON conversations (phone) WHERE state = 'active';
CREATE TABLE messages (
    id BIGSERIAL PRIMARY KEY, conversation_id BIGINT NOT NULL, direction TEXT NOT NULL,
    provider_id TEXT UNIQUE, body TEXT NOT NULL, status TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL);
CREATE INDEX messages_conversation ON messages (conversation_id);
INSERT INTO conversations (phone, state, step, updated_at)
    SELECT '+4670' || lpad(g::text, 7, '0'), 'ended', 'done', now() - g * interval '1 minute'
    FROM generate_series(1, {HISTORY_CONVERSATIONS}) g;
INSERT INTO messages (conversation_id, direction, provider_id, body, status, created_at)
    SELECT 1 + g % {HISTORY_CONVERSATIONS}, CASE WHEN g % 2 = 0 THEN 'in' ELSE 'out' END,
           'h' || g, 'Tack för ditt svar!', 'delivered', now() - g * interval '1 second'
    FROM generate_series(1, {HISTORY_MESSAGES}) g;
"""

SELECT = "SELECT id, version FROM conversations WHERE phone = $1 AND state = 'active' FOR UPDATE"
INSERT_IN = (
    "INSERT INTO messages (conversation_id, direction, provider_id, body, status, created_at)"
    " VALUES ($1, 'in', $2, $3, 'received', now()) ON CONFLICT (provider_id) DO NOTHING"
)
INSERT_OUT = (
    "INSERT INTO messages (conversation_id, direction, body, status, created_at)"
    " VALUES ($1, 'out', $2, 'sending', now()) RETURNING id"
)
UPDATE = (
    "UPDATE conversations SET step = $1, version = version + 1, updated_at = now() WHERE id = $2"
)
ONE = """
WITH c AS (
    SELECT id FROM conversations WHERE phone = $1 AND state = 'active' FOR UPDATE),
i AS (
    INSERT INTO messages (conversation_id, direction, provider_id, body, status, created_at)
    SELECT id, 'in', $2, $3, 'received', now() FROM c
    ON CONFLICT (provider_id) DO NOTHING RETURNING conversation_id),
o AS (
    INSERT INTO messages (conversation_id, direction, body, status, created_at)
    SELECT conversation_id, 'out', $4, 'sending', now() FROM i RETURNING id),
u AS (
    UPDATE conversations SET step = $5, version = version + 1, updated_at = now()
    WHERE id IN (SELECT conversation_id FROM i))
SELECT id FROM o
"""
NEXT_TEXT = "Hur lätt var det att få hjälp idag? Svara 1-7."

Unit = Callable[[Any, str, str], Awaitable[None]]


def _psycopg_sql(sql: str) -> str:
    """psycopg's placeholders: $1 -> %s in order (each appears once, in order, in ours)."""
    for number in range(9, 0, -1):
        sql = sql.replace(f"${number}", "%s")
    return sql


async def prepare(dsn: str) -> str:
    """A fresh database with the history; its DSN."""
    import asyncpg  # type: ignore[import-not-found,import-untyped,unused-ignore]

    admin = await asyncpg.connect(dsn)
    await admin.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
    await admin.execute(f"CREATE DATABASE {DATABASE}")
    await admin.close()
    bench_dsn = dsn.rsplit("/", 1)[0] + "/" + DATABASE
    conn = await asyncpg.connect(bench_dsn)
    await conn.execute(SCHEMA)
    await conn.execute("ANALYZE")
    await conn.close()
    return bench_dsn


async def activate(dsn: str, phones: list[str]) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    await conn.execute("UPDATE conversations SET state = 'ended' WHERE state = 'active'")
    await conn.executemany(
        "INSERT INTO conversations (phone, state, step, updated_at)"
        " VALUES ($1, 'active', 'q1', now())",
        [(phone,) for phone in phones],
    )
    await conn.close()


# --- asyncpg ---------------------------------------------------------------------------


async def asyncpg_statements(conn: Any, phone: str, provider_id: str) -> None:
    async with conn.transaction():
        row = await conn.fetchrow(SELECT, phone)
        await conn.execute(INSERT_IN, row["id"], provider_id, "4")
        await conn.fetchval(INSERT_OUT, row["id"], NEXT_TEXT)
        await conn.execute(UPDATE, "q2", row["id"])


async def asyncpg_one(conn: Any, phone: str, provider_id: str) -> None:
    await conn.fetchval(ONE, phone, provider_id, "4", NEXT_TEXT, "q2")


async def run_asyncpg(dsn: str, unit: Unit, phones: list[str]) -> dict[str, Any]:
    import asyncpg

    pool = await asyncpg.create_pool(dsn, min_size=POOL, max_size=POOL)
    try:

        async def one(phone: str, provider_id: str) -> None:
            async with pool.acquire() as conn:
                await unit(conn, phone, provider_id)

        return await drive(one, phones)
    finally:
        await pool.close()


# --- psycopg 3 -------------------------------------------------------------------------


async def psycopg_statements(conn: Any, phone: str, provider_id: str) -> None:
    async with conn.transaction():
        cur = await conn.execute(_psycopg_sql(SELECT), (phone,))
        (conversation_id, _version) = await cur.fetchone()
        await conn.execute(_psycopg_sql(INSERT_IN), (conversation_id, provider_id, "4"))
        await conn.execute(_psycopg_sql(INSERT_OUT), (conversation_id, NEXT_TEXT))
        await conn.execute(_psycopg_sql(UPDATE), ("q2", conversation_id))


async def psycopg_pipeline(conn: Any, phone: str, provider_id: str) -> None:
    """The lookup must come back first (its id feeds the rest); then three statements and the
    COMMIT go out in one pipeline."""
    async with conn.transaction():
        cur = await conn.execute(_psycopg_sql(SELECT), (phone,))
        (conversation_id, _version) = await cur.fetchone()
        async with conn.pipeline():
            await conn.execute(_psycopg_sql(INSERT_IN), (conversation_id, provider_id, "4"))
            await conn.execute(_psycopg_sql(INSERT_OUT), (conversation_id, NEXT_TEXT))
            await conn.execute(_psycopg_sql(UPDATE), ("q2", conversation_id))


async def psycopg_one(conn: Any, phone: str, provider_id: str) -> None:
    cur = await conn.execute(_psycopg_sql(ONE), (phone, provider_id, "4", NEXT_TEXT, "q2"))
    await cur.fetchone()


async def run_psycopg(dsn: str, unit: Unit, phones: list[str]) -> dict[str, Any]:
    from psycopg_pool import AsyncConnectionPool  # type: ignore[import-not-found,unused-ignore]

    pool = AsyncConnectionPool(
        dsn, min_size=POOL, max_size=POOL, open=False, kwargs={"autocommit": True}
    )
    await pool.open(wait=True)
    try:

        async def one(phone: str, provider_id: str) -> None:
            async with pool.connection() as conn:
                await unit(conn, phone, provider_id)

        return await drive(one, phones)
    finally:
        await pool.close()


# --- the load --------------------------------------------------------------------------


async def drive(one: Callable[[str, str], Awaitable[None]], phones: list[str]) -> dict[str, Any]:
    """UNITS units, IN_FLIGHT at a time, each citizen (phone) in one task so that no two units
    of one conversation overlap (as the gateway's per-number order makes it)."""
    latencies: list[float] = []
    per_task = UNITS // IN_FLIGHT

    async def citizen(index: int) -> None:
        phone = phones[index]
        for turn in range(per_task):
            started = time.perf_counter()
            await one(phone, f"{phone}-{turn}-{time.monotonic_ns()}")
            latencies.append(time.perf_counter() - started)

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(citizen(i) for i in range(IN_FLIGHT)))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    latencies.sort()
    done = len(latencies)
    return {
        "units": done,
        "units_per_s": round(done / wall),
        "client_cpu_ms_per_unit": round(cpu / done * 1000, 3),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[int(done * 0.99) - 1] * 1000, 1),
    }


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure's median over the rounds."""
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


VARIANTS: list[tuple[str, str, str, Unit]] = [
    ("asyncpg", "statements", "asyncpg", asyncpg_statements),
    ("asyncpg", "one statement", "asyncpg", asyncpg_one),
    ("psycopg 3", "statements", "psycopg", psycopg_statements),
    ("psycopg 3", "pipeline", "psycopg", psycopg_pipeline),
    ("psycopg 3", "one statement", "psycopg", psycopg_one),
]


async def main(dsn: str) -> None:
    if importlib.util.find_spec("asyncpg") is None:
        sys.exit("bench.pg_drivers needs asyncpg to build its database: pip install asyncpg")
    print(f"building {DATABASE} ({HISTORY_MESSAGES:,} messages of history)...", flush=True)
    bench_dsn = await prepare(dsn)
    phones = [f"+46731{index:06d}" for index in range(IN_FLIGHT)]
    load = os.getloadavg()[0]
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for round_number in range(ROUNDS):  # alternate the order, so no variant always goes first
        variants = VARIANTS if round_number % 2 == 0 else VARIANTS[::-1]
        for driver, shape, module, unit in variants:
            if importlib.util.find_spec(module) is None:
                continue
            await activate(bench_dsn, phones)
            runner = run_asyncpg if module == "asyncpg" else run_psycopg
            runs.setdefault((driver, shape), []).append(await runner(bench_dsn, unit, phones))
    rows = [{"driver": d, "shape": s, **_median(figures)} for (d, s), figures in runs.items()]
    rows.sort(key=lambda row: (row["driver"], row["shape"]))
    for row in rows:
        print(
            f"{row['driver']:10} {row['shape']:14} {row['units_per_s']:6} units/s  "
            f"{row['client_cpu_ms_per_unit']:6.3f} ms CPU/unit  "
            f"p50 {row['p50_ms']:5.1f} ms  p99 {row['p99_ms']:5.1f} ms"
        )
    figures = {"load_average_before": load, "rounds": ROUNDS, "rows": rows}
    RESULTS.write_text(json.dumps(figures, indent=1) + "\n")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else DSN))
