"""The answer profiles' effect (issue 17): report and dashboard times before and after.

    python -m bench.profiles_cost HISTORY.db WORKDIR

HISTORY.db is a cached history (var/bench/). It is upgraded on a copy to the schema before
the profiles (WORKDIR/before.db, kept for the next run), copied and upgraded once more
(WORKDIR/after.db: the profiles migration, timed). `bench.reporting.time_report` then reads
both; "before" reads the raw rows where the profiles would answer.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import smsbot.storage.sqlite.db as database_module
from bench.citizens import flows_without_schedule
from bench.reporting import time_report
from smsbot.storage.sqlite.results import SqliteResults
from smsbot.storage.sqlite.schema import MIGRATIONS


async def _upgraded(path: Path, migrations: tuple[str, ...]) -> float:
    setattr(database_module, "MIGRATIONS", migrations)  # noqa: B010 (not exported)
    started = time.perf_counter()
    db = await database_module.open_database(path)
    await db.close()
    return round(time.perf_counter() - started, 1)


async def _raw(*_: Any) -> None:
    return None


async def main(history: Path, work: Path) -> None:
    work.mkdir(exist_ok=True)
    before, after = work / "before.db", work / "after.db"
    if not before.exists():
        shutil.copyfile(history, before)
        print("upgrade to the schema before, s:", await _upgraded(before, MIGRATIONS[:-1]))
    shutil.copyfile(before, after)
    print("profiles migration, s:", await _upgraded(after, MIGRATIONS))
    flows = flows_without_schedule(work / "flows")
    fast = (SqliteResults._fast_profiles, SqliteResults._fast_by_resolved)
    for name, path in (("before", before), ("after", after)):
        read = (_raw, _raw) if name == "before" else fast
        setattr(SqliteResults, "_fast_profiles", read[0])  # noqa: B010 (a method replaced)
        setattr(SqliteResults, "_fast_by_resolved", read[1])  # noqa: B010
        setattr(database_module, "MIGRATIONS", MIGRATIONS[:-1] if name == "before" else MIGRATIONS)  # noqa: B010
        print(name, json.dumps(await time_report(path, flows)), flush=True)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2])))
