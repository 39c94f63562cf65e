"""Exports: answers, feedback or conversations as CSV or JSON Lines, for analysts (the
`smsbot export` command is smsbot.cli.export).

Rows carry the pseudonymous respondent id (a keyed hash), never a phone number: every query
names its columns, and none of them holds one. Exports stream: the store gives rows in chunks
(`Exports` in smsbot.storage.ports) and they are written as they come, so a million answers
take the memory of one chunk.
Trials (`smsbot chat`, the phone simulator, events posted with "trial": true) are left out
unless `--include-trials`; then each row says whether it is one, in a last column `trial`.

Formats: CSV (attributes as JSON text, lists space-separated; a text cell that a spreadsheet
would run as a formula is quoted, see `smsbot.results.csvsafe`) and JSON Lines (one object a line,
attributes as an object, every value raw). Parquet is left out on purpose: CSV and JSONL
cover it (pandas, R, DuckDB and Excel read them), and pyarrow would add about 100 MB of
dependency; add it when an analyst asks.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TextIO

from smsbot.config import parse_duration
from smsbot.results import csvsafe
from smsbot.storage.figures import ExportScope
from smsbot.storage.ports import Exports, Store

__all__ = ["EXPORTS", "FORMATS", "export_rows", "parse_since", "write_export"]

FORMATS = ("csv", "jsonl")
CHUNK = 1000


class _Rows(Protocol):
    """One of the store's exports (smsbot.storage.ports.Exports)."""

    def __call__(
        self, scope: ExportScope, *, chunk: int
    ) -> AsyncIterator[list[tuple[Any, ...]]]: ...


@dataclass(frozen=True)
class _Export:
    columns: tuple[str, ...]
    rows: Callable[[Exports], _Rows]  # which of the store's exports
    json_columns: tuple[str, ...] = ()
    list_columns: tuple[str, ...] = ()


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


EXPORTS: dict[str, _Export] = {
    "answers": _Export(
        columns=_names(
            "answer_id answered_at flow flow_version question kind value raw_text comment "
            "problem unit service channel language attributes respondent journey_id "
            "journey_step conversation_id conversation_created_at first_reply_at ended_at"
        ),
        rows=lambda exports: exports.answers,
        json_columns=("attributes",),
    ),
    "feedback": _Export(
        columns=_names(
            "feedback_id created_at flow flow_version question unit service channel language "
            "text confirmed_tags suggested_tags respondent journey_id journey_step "
            "conversation_id"
        ),
        rows=lambda exports: exports.feedback,
        list_columns=("confirmed_tags", "suggested_tags"),
    ),
    "conversations": _Export(
        columns=_names(
            "conversation_id flow flow_version respondent language status step unit service "
            "channel attributes journey_id journey_step answers created_at first_reply_at "
            "ended_at"
        ),
        rows=lambda exports: exports.conversations,
        json_columns=("attributes",),
    ),
}


async def export_rows(
    store: Store,
    what: str,
    *,
    flow: str | None = None,
    since: datetime | None = None,
    include_trials: bool = False,
    chunk: int = CHUNK,
) -> AsyncIterator[tuple[Any, ...]]:
    """The rows of one export (values in `EXPORTS[what].columns` order; with
    `include_trials` trials too, and last whether the row is one, 0 or 1), in chunks."""
    scope = ExportScope(flow, since, include_trials)
    async with store.read() as tx:
        async for rows in EXPORTS[what].rows(tx.exports)(scope, chunk=chunk):
            for row in rows:
                yield row


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
    store: Store,
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
        store, what, flow=flow, since=since, include_trials=include_trials, chunk=chunk
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
