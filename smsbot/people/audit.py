"""The audit log: append-only entries, each chained to the one before by a SHA-256.

`record` appends in its own unit of writes (the entry is durable when it returns); `verify`
walks the chain and names every entry that was removed or altered since it was written.
Entries never hold a phone number: callers pass the page, the filters and counts only.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime

from smsbot.storage.accounts import AuditEntry, Person
from smsbot.storage.ports import Store, Tx

__all__ = ["chain_hash", "record", "record_in", "verify"]


def chain_hash(previous: str, entry: AuditEntry) -> str:
    """The entry's hash: over the previous entry's hash and every field but its own id."""
    fields = {
        "previous": previous,
        "at": entry.at.astimezone(UTC).isoformat(timespec="milliseconds"),
        "action": entry.action,
        "who": entry.who,
        "person_id": entry.person_id,
        "remote": entry.remote,
        "target": entry.target,
        "detail": entry.detail,
    }
    text = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


async def record_in(tx: Tx, entry: AuditEntry) -> None:
    """Append within the caller's unit of writes (with the change it records)."""
    previous = await tx.audit.last_hash()
    await tx.audit.append(replace(entry, hash=chain_hash(previous, entry)))


async def record(
    store: Store,
    action: str,
    *,
    at: datetime,
    person: Person | None = None,
    who: str = "",
    remote: str = "",
    target: str = "",
    detail: dict[str, object] | None = None,
) -> None:
    entry = AuditEntry(
        at=at,
        action=action,
        who=who or (person.describe() if person else ""),
        person_id=person.id if person else None,
        remote=remote,
        target=target,
        detail=detail or {},
    )
    async with store.write() as tx:
        await record_in(tx, entry)


def verify(entries: list[AuditEntry]) -> list[str]:
    """Problems in the chain, oldest first, in words; [] when it is whole."""
    problems, previous, last_id = [], "", 0
    for entry in entries:
        if entry.id != last_id + 1:
            gone = f"{last_id + 1}" if entry.id == last_id + 2 else f"{last_id + 1}-{entry.id - 1}"
            problems.append(f"entry {gone} was removed (the ids jump from {last_id} to {entry.id})")
        if chain_hash(previous, entry) != entry.hash:
            problems.append(
                f"entry {entry.id} ({entry.at:%Y-%m-%d %H:%M}, {entry.action}) does not follow "
                "the entry before it: it, or one before it, was altered or removed"
            )
        previous, last_id = entry.hash, entry.id
    return problems
