"""`smsbot export`: answers, feedback or conversations as CSV or JSON Lines, for analysts.

    smsbot export answers|feedback|conversations --format csv|jsonl [--out FILE]
                  [--flow FLOW] [--since 2026-11-01 | --since 30d] [--bom] [--include-trials]

Rows carry the pseudonymous respondent id (a keyed hash), never a phone number: every query
names its columns, and none of them holds one. Exports stream: rows are fetched in chunks
(`fetchmany`) and written as they come, so a million answers take the memory of one chunk.
Trials (`smsbot chat`, the phone simulator, events posted with "trial": true) are left out
unless `--include-trials`; then each row says whether it is one, in a last column `trial`.

Formats: CSV (attributes as JSON text, lists space-separated; a text cell that a spreadsheet
would run as a formula is quoted, see `smsbot.results.csvsafe`) and JSON Lines (one object a line,
attributes as an object, every value raw). Parquet is left out on purpose: CSV and JSONL
cover it (pandas, R, DuckDB and Excel read them), and pyarrow would add about 100 MB of
dependency; add it when an analyst asks.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import aiosqlite
import click

from smsbot.config import Config, parse_duration
from smsbot.results import csvsafe
from smsbot.storage.sqlite.db import open_database, ts

__all__ = ["EXPORTS", "FORMATS", "export", "export_rows", "parse_since", "write_export"]

FORMATS = ("csv", "jsonl")
CHUNK = 1000


@dataclass(frozen=True)
class _Export:
    columns: tuple[str, ...]
    sql: str  # SELECT <columns>{trial} FROM ... conversations c ... {where}: filled in by _query
    created: str  # the column --since compares with
    flow: str  # the column --flow compares with
    json_columns: tuple[str, ...] = ()
    list_columns: tuple[str, ...] = ()


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_CONVERSATION_TIMES = "c.created_at AS conversation_created_at, c.first_reply_at, c.ended_at"

EXPORTS: dict[str, _Export] = {
    "answers": _Export(
        columns=_names(
            "answer_id answered_at flow flow_version question kind value raw_text comment "
            "problem unit service channel language attributes respondent journey_id "
            "journey_step conversation_id conversation_created_at first_reply_at ended_at"
        ),
        sql=(
            "SELECT a.id, a.created_at, a.flow_id, a.flow_version, a.question_id, a.kind,"
            " COALESCE(a.value_num, a.value_text), a.raw_text, a.comment, a.problem, c.unit,"
            " c.service, c.channel, c.language, c.attributes, c.respondent, c.journey_id,"
            f" c.journey_step, c.id, {_CONVERSATION_TIMES}{{trial}}"
            " FROM answers a JOIN conversations c ON c.id = a.conversation_id"
            " {where} ORDER BY a.id"
        ),
        created="a.created_at",
        flow="a.flow_id",
        json_columns=("attributes",),
    ),
    "feedback": _Export(
        columns=_names(
            "feedback_id created_at flow flow_version question unit service channel language "
            "text confirmed_tags suggested_tags respondent journey_id journey_step "
            "conversation_id"
        ),
        sql=(
            "SELECT f.id, f.created_at, f.flow_id, c.flow_version, f.question_id, f.unit,"
            " f.service, c.channel, f.language, f.text,"
            " (SELECT group_concat(tag, ' ') FROM (SELECT tag FROM feedback_tags"
            "   WHERE feedback_id = f.id AND state = 'confirmed' ORDER BY tag)),"
            " (SELECT group_concat(tag, ' ') FROM (SELECT tag FROM feedback_tags"
            "   WHERE feedback_id = f.id AND state = 'suggested' ORDER BY tag)),"
            " c.respondent, c.journey_id, c.journey_step, c.id{trial}"
            " FROM feedback f JOIN conversations c ON c.id = f.conversation_id"
            " {where} ORDER BY f.id"
        ),
        created="f.created_at",
        flow="f.flow_id",
        list_columns=("confirmed_tags", "suggested_tags"),
    ),
    "conversations": _Export(
        columns=_names(
            "conversation_id flow flow_version respondent language status step unit service "
            "channel attributes journey_id journey_step answers created_at first_reply_at "
            "ended_at"
        ),
        sql=(
            "SELECT c.id, c.flow_id, c.flow_version, c.respondent, c.language, c.status, c.step,"
            " c.unit, c.service, c.channel, c.attributes, c.journey_id, c.journey_step,"
            " (SELECT COUNT(*) FROM answers a"
            "   WHERE a.conversation_id = c.id AND a.problem IS NULL),"
            " c.created_at, c.first_reply_at, c.ended_at{trial}"
            " FROM conversations c {where} ORDER BY c.created_at, c.id"
        ),
        created="c.created_at",
        flow="c.flow_id",
        json_columns=("attributes",),
    ),
}


def _query(
    spec: _Export, flow: str | None, since: datetime | None, include_trials: bool
) -> tuple[str, list[object]]:
    where: list[str] = [] if include_trials else ["c.trial = 0"]
    args: list[object] = []
    if flow is not None:
        where.append(f"{spec.flow} = ?")
        args.append(flow)
    if since is not None:
        where.append(f"{spec.created} >= ?")
        args.append(ts(since))
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    trial = ", c.trial" if include_trials else ""
    return spec.sql.replace("{where}", clause).replace("{trial}", trial), args


async def export_rows(
    conn: aiosqlite.Connection,
    what: str,
    *,
    flow: str | None = None,
    since: datetime | None = None,
    include_trials: bool = False,
    chunk: int = CHUNK,
) -> AsyncIterator[tuple[Any, ...]]:
    """The rows of one export (values in `EXPORTS[what].columns` order; with
    `include_trials` trials too, and last whether the row is one, 0 or 1), in chunks."""
    sql, args = _query(EXPORTS[what], flow, since, include_trials)
    async with conn.execute(sql, args) as cur:
        while rows := await cur.fetchmany(chunk):
            for row in rows:
                yield tuple(row)


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


class _Writer:
    """Writes rows as CSV or JSONL, converting the columns that need it."""

    def __init__(self, out: TextIO, spec: _Export, fmt: str, include_trials: bool) -> None:
        self.columns = spec.columns + (("trial",) if include_trials else ())
        self.jsonl = fmt == "jsonl"
        self.out = out
        self.csv = csvsafe.writer(out)
        self.json_at = [spec.columns.index(c) for c in spec.json_columns]
        self.list_at = [spec.columns.index(c) for c in spec.list_columns]
        self.trial_at = len(spec.columns) if include_trials else None
        if not self.jsonl:
            self.csv.writerow(self.columns)

    def write(self, row: Sequence[Any]) -> None:
        values = [_number(v) for v in row]
        if self.trial_at is not None:
            values[self.trial_at] = bool(values[self.trial_at])
        if not self.jsonl:
            self.csv.writerow(_words_for_bools(values))
            return
        for i in self.json_at:
            values[i] = json.loads(values[i]) if values[i] else {}
        for i in self.list_at:
            values[i] = values[i].split() if values[i] else []
        self.out.write(json.dumps(dict(zip(self.columns, values, strict=True)), ensure_ascii=False))
        self.out.write("\n")


def _words_for_bools(values: Sequence[Any]) -> list[Any]:
    """CSV has no booleans: true and false as words (as in the report CSV)."""
    return [("true" if v else "false") if isinstance(v, bool) else v for v in values]


async def write_export(
    conn: aiosqlite.Connection,
    what: str,
    out: TextIO,
    *,
    fmt: str = "csv",
    flow: str | None = None,
    since: datetime | None = None,
    include_trials: bool = False,
    chunk: int = CHUNK,
    on_row: Callable[[], None] | None = None,
) -> int:
    """Write one export to `out` as it is read; returns the number of rows written."""
    if what not in EXPORTS or fmt not in FORMATS:
        raise ValueError(f"unknown export {what!r} or format {fmt!r}")
    writer = _Writer(out, EXPORTS[what], fmt, include_trials)
    count = 0
    rows = export_rows(
        conn, what, flow=flow, since=since, include_trials=include_trials, chunk=chunk
    )
    async for row in rows:
        writer.write(row)
        count += 1
        if on_row is not None:
            on_row()
    return count


def parse_since(text: str, now: datetime) -> datetime:
    """A date or time (2026-11-01, 2026-11-01T08:00+02:00; UTC when no zone), or a duration
    before now ("30d", "12h")."""
    try:
        return now - timedelta(seconds=parse_duration(text))
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"expected a date (2026-11-01), a time (2026-11-01T08:00) or a duration (30d),"
            f" got {text!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _since(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_since(value, datetime.now(UTC))
    except ValueError as error:
        raise click.BadParameter(str(error)) from error


@click.command("export")
@click.argument("what", type=click.Choice(list(EXPORTS)))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="File to write (default: standard output).",
)
@click.option("--flow", default=None, help="Only this flow id.")
@click.option(
    "--since", callback=_since, default=None, help="From a date/time, or a duration ago (30d)."
)
@click.option("--bom", is_flag=True, help="Start with a UTF-8 BOM (Excel then shows å, ä, ö).")
@click.option(
    "--include-trials",
    is_flag=True,
    help="Trials too (smsbot chat, the phone simulator, events marked trial), in a column trial.",
)
@click.pass_context
def export(
    ctx: click.Context,
    what: str,
    fmt: str,
    out: Path | None,
    flow: str | None,
    since: datetime | None,
    bom: bool,
    include_trials: bool,
) -> None:
    """Export answers, feedback or conversations (pseudonymous; never phone numbers)."""
    config = ctx.find_root().obj
    if not isinstance(config, Config):
        raise click.ClickException("no configuration loaded")
    with ExitStack() as stack:
        if out is None:
            stream: TextIO = sys.stdout
        else:
            stream = stack.enter_context(out.open("w", encoding="utf-8", newline=""))
        if bom:
            stream.write("\ufeff")
        scope = (flow, since, include_trials)
        count = asyncio.run(_export(config, what, stream, fmt, scope))
        stream.flush()
    where = f" to {out}" if out is not None else ""
    click.echo(f"{count} {what} row(s) exported{where}", err=True)


async def _export(
    config: Config,
    what: str,
    out: TextIO,
    fmt: str,
    scope: tuple[str | None, datetime | None, bool],
) -> int:
    """Export `what` in `scope`: (flow, since, include_trials)."""
    flow, since, include_trials = scope
    db = await open_database(config.database.path)
    try:
        return await write_export(
            db.conn, what, out, fmt=fmt, flow=flow, since=since, include_trials=include_trials
        )
    finally:
        await db.close()
