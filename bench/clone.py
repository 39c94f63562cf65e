"""Clone template citizens' rows into many: plain SQL shaped exactly like the service's rows.

Each clone gets a new phone number (and so a new respondent hash), new conversation id, new
event source id, new row ids; foreign keys (answers -> messages, feedback -> answers, tags ->
feedback, conversations -> events) and provider references follow. Everything else (texts,
states, answers, tags, times) is the template's. Inserted with executemany in large
transactions, without fsync (a seed is made again if it breaks) and with a large page cache.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.templates import Template

# Tables in insertion order, and how to find a template's rows in each.
_OF_PHONE = "conversation_id IN (SELECT id FROM conversations WHERE phone = :phone)"
_WHERE = {
    "events": "phone = :phone",
    "conversations": "phone = :phone",
    "messages": "phone = :phone",
    "answers": _OF_PHONE,
    "feedback": _OF_PHONE,
    "feedback_tags": f"feedback_id IN (SELECT id FROM feedback WHERE {_OF_PHONE})",
    "tag_changes": f"feedback_id IN (SELECT id FROM feedback WHERE {_OF_PHONE})",
    "timers": _OF_PHONE,
    "opt_outs": "respondent = :respondent",
}
_INTEGER_IDS = ("events", "messages", "answers", "feedback", "tag_changes", "timers")
_FOREIGN = {
    ("answers", "message_id"): "messages",
    ("feedback", "answer_id"): "answers",
    ("feedback_tags", "feedback_id"): "feedback",
    ("tag_changes", "feedback_id"): "feedback",
    ("conversations", "event_id"): "events",
}


@dataclass
class Recipe:
    """One template row: its values, and the positions a clone changes (and how)."""

    table: str
    columns: tuple[str, ...]
    values: tuple[Any, ...]
    changes: list[tuple[int, str]] = field(default_factory=list)
    old_id: int | None = None


@dataclass
class Source:
    """One template's rows, with what identifies them."""

    recipes: list[Recipe]
    tokens: dict[str, str]  # the template's conversation ids, phone, ... -> kind of token


def _changes(table: str, row: sqlite3.Row, tokens: dict[str, str]) -> list[tuple[int, str]]:
    changes = []
    for pos, column in enumerate(row.keys()):
        value = row[column]
        if table in _INTEGER_IDS and column == "id":
            changes.append((pos, "id"))
        elif (table, column) in _FOREIGN and value is not None:
            changes.append((pos, "fk:" + _FOREIGN[(table, column)]))
        elif table == "messages" and column in ("client_ref", "provider_ref") and value:
            changes.append((pos, column))
        elif table == "events" and column == "answer":
            changes.append((pos, "json"))
        elif isinstance(value, str) and value in tokens:
            changes.append((pos, "token"))
    return changes


def read_source(conn: sqlite3.Connection, template: Template) -> Source:
    params = {"phone": template.phone, "respondent": template.respondent}
    phone = (template.phone,)
    cids = [r[0] for r in conn.execute("SELECT id FROM conversations WHERE phone = ?", phone)]
    sources = [r[0] for r in conn.execute("SELECT source_id FROM events WHERE phone = ?", phone)]
    tokens = {template.phone: "phone", template.respondent: "respondent"}
    tokens.update({cid: "conversation" for cid in cids})
    tokens.update({sid: "source" for sid in sources})
    recipes = []
    for table, where in _WHERE.items():
        for row in conn.execute(f"SELECT * FROM {table} WHERE {where} ORDER BY rowid", params):
            old = row["id"] if table in _INTEGER_IDS else None
            changes = _changes(table, row, tokens)
            recipes.append(Recipe(table, tuple(row.keys()), tuple(row), changes, old))
    return Source(recipes, tokens)


class Cloner:
    """Makes clone number n of a source: a new identity, new ids, the same story."""

    def __init__(self, conn: sqlite3.Connection, respondent: Callable[[str], str]) -> None:
        self.respondent = respondent
        self.next_id = {t: _max_id(conn, t) + 1 for t in _INTEGER_IDS}

    def rows(self, source: Source, phone: str, tag: str) -> Iterator[tuple[str, list[Any]]]:
        swap = self._swaps(source, phone, tag)
        new_ids: dict[tuple[str, int], int] = {}
        for recipe in source.recipes:
            values = list(recipe.values)
            new_id = 0
            if recipe.old_id is not None:
                new_id = self.next_id[recipe.table]
                self.next_id[recipe.table] += 1
                new_ids[(recipe.table, recipe.old_id)] = new_id
            for pos, how in recipe.changes:
                values[pos] = _changed(how, values[pos], new_id, new_ids, swap)
            yield recipe.table, values

    def _swaps(self, source: Source, phone: str, tag: str) -> dict[str, str]:
        swap = {}
        for n, (token, kind) in enumerate(source.tokens.items()):
            if kind == "phone":
                swap[token] = phone
            elif kind == "respondent":
                swap[token] = self.respondent(phone)
            elif kind == "conversation":
                swap[token] = f"{tag}{n:04x}"  # 16 hex digits, like the service's ids
            else:
                swap[token] = f"{token}-{tag}"
        return swap


def _changed(
    how: str, value: Any, new_id: int, new_ids: dict[tuple[str, int], int], swap: dict[str, str]
) -> Any:
    if how == "id":
        return new_id
    if how.startswith("fk:"):
        return new_ids[(how[3:], value)]
    if how == "client_ref":
        return f"smsbot-{new_id}"
    if how == "provider_ref":
        return f"p{new_id:x}"
    if how == "json":
        for old, new in swap.items():
            value = value.replace(old, new)
        return value
    return swap[value]


def _max_id(conn: sqlite3.Connection, table: str) -> int:
    return int(conn.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}").fetchone()[0])


def clone(
    path: Path,
    templates: Sequence[Template],
    copies: int,
    first_phone: int,
    respondent: Callable[[str], str],
    batch: int = 2000,
) -> int:
    """`copies` clones in all, cycling through the templates; returns the phones used."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -262144")  # 256 MB: the indexes' pages stay in memory
    try:
        sources = [read_source(conn, t) for t in templates]
        cloner = Cloner(conn, respondent)
        for start in range(0, copies, batch):
            _insert(conn, cloner, sources, range(start, min(start + batch, copies)), first_phone)
    finally:
        conn.close()
    return copies


def _insert(
    conn: sqlite3.Connection, cloner: Cloner, sources: list[Source], numbers: range, first: int
) -> None:
    by_table: dict[str, list[list[Any]]] = {t: [] for t in _WHERE}
    for n in numbers:
        source = sources[n % len(sources)]
        person = first + n  # its number and ids: apart from other clones' in the same database
        for table, values in cloner.rows(source, f"+4670{person:07d}", f"{person:012x}"):
            by_table[table].append(values)
    conn.execute("BEGIN")
    for table, rows in by_table.items():
        if rows:
            columns = _columns(sources, table)
            marks = ", ".join("?" * len(columns))
            conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
    conn.execute("COMMIT")


def _columns(sources: list[Source], table: str) -> tuple[str, ...]:
    for source in sources:
        for recipe in source.recipes:
            if recipe.table == table:
                return recipe.columns
    return ()
