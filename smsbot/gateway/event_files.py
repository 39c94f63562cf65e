"""Reading a batch of service events from a file (`smsbot events import FILE.csv|FILE.jsonl`).

A nightly export from a patient or case system; read as a stream, one row at a time, so the
file's size does not matter. Rows come out as raw event dicts for `events.parse_event`.

A row that cannot be read (a broken JSON line, a CSV row with too many cells) does not stop
the file: it comes out as `(7, {ERROR_KEY: "not valid JSON: ..."})`, to be reported with its
line number (`file:7: not valid JSON: ...`); `row_error(row)` returns that message. Problems
with the whole file (unknown suffix, duplicate CSV columns, text that is not UTF-8) raise
`EventFileError`, whose message is `file:line: what is wrong` (or `file: ...` without a line).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

__all__ = ["ERROR_KEY", "EventFileError", "read_event_rows", "row_error"]

ERROR_KEY = "__error__"
_NESTED = ("attributes", "journey")  # CSV columns "attributes.<name>", "journey.id", ...
_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_BOM = "\ufeff"
_NOT_UTF8 = "not UTF-8 text (in Excel, save as 'CSV UTF-8')"

Row = tuple[int, dict[str, object]]


class EventFileError(ValueError):
    """The file as a whole cannot be read; the message names the file (and line if known)."""


def row_error(row: dict[str, object]) -> str | None:
    """The message of a row that could not be read, or None for an event row."""
    error = row.get(ERROR_KEY)
    return str(error) if error is not None else None


def read_event_rows(path: Path) -> Iterator[Row]:
    """(line number, raw event dict) for each event in a .csv or .jsonl (.ndjson) file.

    CSV: UTF-8 with or without a BOM; the header row names the event fields; the delimiter
    is `;` (Nordic Excel) when the header has more `;` than `,`, else `,`. Columns
    `attributes.<name>` make the attributes object and `journey.id` / `journey.step` the
    journey. Empty cells are left out, as if the field were absent; blank rows are skipped.
    Every value stays a string, numeric-looking ones too ("0042" stays "0042"): a CSV cell
    has no type. The line number is where the row starts (the header is line 1).

    JSONL: one JSON object per line, UTF-8; blank lines are skipped.
    """
    kind = _SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise EventFileError(f"{path}: expected a .csv or .jsonl file")
    with path.open("rb") as binary:
        if kind == "jsonl":
            yield from _jsonl_rows(binary)
        else:
            yield from _csv_rows(path, binary)


# --- JSONL -------------------------------------------------------------------------------------


def _jsonl_rows(binary: IO[bytes]) -> Iterator[Row]:
    for number, raw in enumerate(binary, start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            yield number, _error("not UTF-8 text")
            continue
        text = text.removeprefix(_BOM) if number == 1 else text
        if text.strip():
            yield number, _json_row(text.rstrip())


def _json_row(text: str) -> dict[str, object]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        return _error(f"not valid JSON: {error.msg} (column {error.colno})")
    if not isinstance(data, dict):
        return _error("expected a JSON object")
    return data


# --- CSV ---------------------------------------------------------------------------------------


def _csv_rows(path: Path, binary: IO[bytes]) -> Iterator[Row]:
    lines = _text_lines(path, binary)
    header_line = next(lines, None)
    if header_line is None:
        return
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(_chain(header_line, lines), delimiter=delimiter)
    header = [name.strip() for name in next(reader)]
    _check_header(path, header)
    while True:
        start = reader.line_num + 1
        cells = next(reader, None)
        if cells is None:
            return
        if any(cell.strip() for cell in cells):
            yield start, _csv_row(header, cells)


def _text_lines(path: Path, binary: IO[bytes]) -> Iterator[str]:
    """Decoded lines with line endings kept (csv needs them), the BOM removed."""
    for number, raw in enumerate(binary, start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise EventFileError(f"{path}:{number}: {_NOT_UTF8}") from None
        yield text.removeprefix(_BOM) if number == 1 else text


def _chain(first: str, rest: Iterable[str]) -> Iterator[str]:
    yield first
    yield from rest


def _check_header(path: Path, header: list[str]) -> None:
    named = [name for name in header if name]
    duplicates = sorted({name for name in named if named.count(name) > 1})
    if duplicates:
        raise EventFileError(f"{path}:1: columns named twice: {', '.join(duplicates)}")
    for name in _NESTED:
        if name in named:
            message = f"a column named '{name}': use one column per key, '{name}.<key>'"
            raise EventFileError(f"{path}:1: {message}")


def _csv_row(header: list[str], cells: list[str]) -> dict[str, object]:
    extra = cells[len(header) :]
    if any(cell.strip() for cell in extra):
        return _error(f"{len(cells)} cells but the header names {len(header)} columns")
    row: dict[str, object] = {}
    for name, cell in zip(header, cells, strict=False):
        value = cell.strip()
        if not value:
            continue
        if not name:
            return _error(f"a value ({value!r}) in a column without a name")
        _put(row, name, value)
    return row


def _put(row: dict[str, object], name: str, value: str) -> None:
    """Set a column's value; "attributes.age" goes into row["attributes"]["age"]."""
    parent, dot, child = name.partition(".")
    if dot and parent in _NESTED:
        nested = row.get(parent)
        if not isinstance(nested, dict):
            nested = row[parent] = {}
        nested[child] = value
    else:
        row[name] = value


def _error(message: str) -> dict[str, object]:
    """A row that cannot be read; its line number goes beside it, as for any row."""
    return {ERROR_KEY: message}
