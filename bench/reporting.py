"""Export and report over many stored answers.

The report is `smsbot.results.reports.full_report` if that module is there, else an equivalent
aggregate query (the figures say which). The export is `smsbot export answers --format csv`
as its own process: wall time and peak RSS (from wait4).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.history import History
from bench.lab import Lab, db_bytes
from bench.phases import Sizes
from bench.procs import spawn
from smsbot.flows.files import load_flow_dir
from smsbot.results import dashboard as dashboard_data
from smsbot.storage.ports import Store
from smsbot.storage.sqlite.db import open_database
from smsbot.storage.sqlite.tx import SqliteStore
from smsbot.webui import dashboard_view

# What the report aggregates, when `full_report` is not available: answers per question and
# value, per unit, over the conversations they belong to.
AGGREGATE_SQL = """
SELECT c.unit, a.flow_id, a.question_id, COALESCE(a.value_num, a.value_text) AS value,
       COUNT(*) AS n, AVG(a.value_num) AS mean
FROM answers a JOIN conversations c ON c.id = a.conversation_id
WHERE a.problem IS NULL
GROUP BY c.unit, a.flow_id, a.question_id, value
"""


def report_db(lab: Lab) -> Path:
    return lab.tmp / "report.db"


def prepare(lab: Lab, history: History) -> dict[str, Any]:
    """A copy of the history, to export and report over."""
    db = report_db(lab)
    history.copy_to(db)
    return {**history.figures, "db_bytes": db_bytes(db)}


async def measure(lab: Lab, sizes: Sizes) -> dict[str, Any]:
    db = report_db(lab)
    export = await asyncio.to_thread(timed_export, lab.gateway_env(db), lab.tmp / "answers.csv")
    report = await time_report(db, lab.flows)
    return {"export": export, "report": report}


def timed_export(env: dict[str, str], out: Path) -> dict[str, Any]:
    """The export's wall time and peak memory. The peak is the child's own VmHWM, read while
    it runs: wait4's ru_maxrss would also count this benchmark's memory, which the child
    holds between fork and exec (Linux keeps the larger of the two)."""
    args = ["-c", "from smsbot.cli import main; main()", "export", "answers", "--format", "csv"]
    started = time.monotonic()
    child = spawn("export", [*args, "--out", str(out)], env, out.with_suffix(".log"))
    peak_kb = 0
    while child.alive():
        with contextlib.suppress(OSError):  # it may end between the check and the read
            peak_kb = max(peak_kb, child.status_kb("VmHWM"))
        time.sleep(0.05)
    seconds = time.monotonic() - started
    rows = max(0, sum(1 for _ in out.open("rb")) - 1) if out.exists() else 0
    return {
        "seconds": round(seconds, 2),
        "rows": rows,
        "rows_per_s": round(rows / seconds) if seconds else 0,
        "csv_mb": round(out.stat().st_size / 1e6, 1) if out.exists() else 0.0,
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "exit_status": child.popen.returncode,
    }


async def time_report(db: Path, flows_dir: Path) -> dict[str, Any]:
    """The whole report once (the figure), then each section alone and grouped by unit."""
    flows, _ = load_flow_dir(flows_dir)
    database = await open_database(db)
    try:
        module = _reports()
        if module is None:
            seconds = await _timed_sql(database.conn)
            return {"kind": "aggregate SQL (smsbot/reports.py not found)", "seconds": seconds}
        figures: dict[str, Any] = {"kind": "smsbot.results.reports.full_report"}
        store = SqliteStore(database)
        figures["seconds"] = await _timed_full(module, store, flows)
        figures["sections_s"] = {
            name: await _timed_full(module, store, flows, sections=(name,))
            for name in module.SECTIONS
        }
        figures["group_by_unit_s"] = await _timed_full(module, store, flows, "unit")
        figures["dashboard_s"] = await _timed_dashboard(store, flows)
        unit = await _busiest_unit(database.conn)
        figures["dashboard_unit"] = unit
        figures["dashboard_unit_s"] = await _timed_dashboard(store, flows, unit)
        return figures
    finally:
        await database.close()


def _reports() -> Any:
    try:
        module = importlib.import_module("smsbot.results.reports")
    except ImportError:
        return None
    return module if hasattr(module, "full_report") else None


async def _timed_full(
    module: Any, store: Any, flows: Any, group_by: str | None = None, **options: Any
) -> float:
    started = time.perf_counter()
    report_filter = module.ReportFilter(group_by=group_by)
    await module.full_report(store, report_filter, flows, min_group=5, **options)
    return round(time.perf_counter() - started, 3)


async def _timed_dashboard(store: Store, flows: Any, unit: str | None = None) -> float:
    """One view of /ui/dashboard, without filters or for one unit: every chart's figures."""
    started = time.perf_counter()
    await dashboard_view.build(
        store,
        flows,
        dashboard_data.Filters(unit=unit),
        tz=ZoneInfo("Europe/Stockholm"),
        min_group=5,
    )
    return round(time.perf_counter() - started, 3)


async def _busiest_unit(conn: Any) -> str | None:
    """The unit with the most surveys: the unit filter's worst case."""
    sql = "SELECT unit FROM conversations GROUP BY unit ORDER BY COUNT(*) DESC LIMIT 1"
    async with conn.execute(sql) as cur:
        row = await cur.fetchone()
    return None if row is None else row[0]


async def _timed_sql(conn: Any) -> float:
    started = time.perf_counter()
    async with conn.execute(AGGREGATE_SQL) as cur:
        await cur.fetchall()
    return round(time.perf_counter() - started, 3)
