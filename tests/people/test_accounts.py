"""People, sessions, API tokens, the identity mapping and the audit chain on a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from smsbot.people import accounts, audit
from smsbot.people.accounts import Actor, SessionTimes
from smsbot.people.identity import person_for_identity
from smsbot.people.passwords import PasswordError
from smsbot.storage.ports import Store
from smsbot.storage.sqlite.db import Database

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CLI = Actor("cli", "cli")
PASSWORD = "correct horse battery"
BOOT = accounts.Person(0, "admin token", "", True, frozenset({"admin"}))


async def _anna(store: Store) -> accounts.Person:
    return await accounts.add_person(
        store,
        CLI,
        name="Anna",
        email="anna@example.org",
        roles=["unit_manager"],
        units=["Akuten"],
        password=PASSWORD,
        now=NOW,
    )


async def test_a_person_signs_in_with_her_password_only(store: Store) -> None:
    anna = await _anna(store)
    assert anna.roles == {"unit_manager"} and anna.units == {"Akuten"}
    found = await accounts.password_matches(store, "ANNA@example.org", PASSWORD)
    assert found is not None and found.id == anna.id
    assert await accounts.password_matches(store, "anna@example.org", "wrong") is None
    assert await accounts.password_matches(store, "nobody@example.org", PASSWORD) is None
    async with store.read() as tx:
        stored = await tx.people.password_hash(anna.id)
    assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored


async def test_bad_people_are_refused_in_words(store: Store) -> None:
    await _anna(store)
    with pytest.raises(ValueError, match="already exists"):
        await _anna(store)
    with pytest.raises(PasswordError, match="at least 12"):
        await accounts.add_person(
            store,
            CLI,
            name="B",
            email="b@x.org",
            roles=["analyst"],
            units=[],
            password="short",
            now=NOW,
        )


async def test_sessions_end_when_idle_too_old_or_disabled(store: Store) -> None:
    anna = await _anna(store)
    times = SessionTimes(idle=timedelta(minutes=30), absolute=timedelta(hours=8))
    session_id, _ = await accounts.open_session(store, anna, NOW)
    assert await accounts.session_person(
        store, session_id, NOW + timedelta(minutes=29), times, BOOT
    )
    assert (
        await accounts.session_person(store, session_id, NOW + timedelta(minutes=90), times, BOOT)
        is None
    )
    kept, _ = await accounts.open_session(store, anna, NOW)
    moment = NOW
    for _ in range(17):  # active all day: the absolute timeout still ends it
        moment += timedelta(minutes=29)
        alive = await accounts.session_person(store, kept, moment, times, BOOT)
    assert alive is None and moment - NOW > times.absolute
    third, _ = await accounts.open_session(store, anna, NOW)
    await accounts.set_active(store, CLI, anna, False, NOW)
    assert await accounts.session_person(store, third, NOW, times, BOOT) is None


async def test_stale_sessions_are_forgotten(store: Store, db: Database) -> None:
    anna = await _anna(store)
    await accounts.open_session(store, anna, NOW)
    await accounts.open_session(store, anna, NOW + timedelta(minutes=20))
    times = SessionTimes()
    assert await accounts.forget_stale_sessions(store, NOW + timedelta(minutes=45), times) == 1
    async with db.conn.execute("SELECT COUNT(*) FROM sessions") as cur:
        assert (await cur.fetchone())[0] == 1


async def test_the_session_id_is_not_stored(store: Store, db: Database) -> None:
    anna = await _anna(store)
    session_id, _ = await accounts.open_session(store, anna, NOW)
    async with db.conn.execute("SELECT key FROM sessions") as cur:
        keys = [row[0] for row in await cur.fetchall()]
    assert keys == [accounts.digest(session_id)]


async def test_api_tokens_expire_are_revoked_and_die_with_their_person(store: Store) -> None:
    anna = await _anna(store)
    token, secret = await accounts.issue_token(store, CLI, anna, "power-bi", 30, NOW)
    assert secret.startswith("smsbot_pat_")
    assert await accounts.person_for_token(store, secret, NOW) == anna
    assert await accounts.person_for_token(store, secret, NOW + timedelta(days=30)) is None
    assert await accounts.person_for_token(store, secret + "x", NOW) is None
    await accounts.set_active(store, CLI, anna, False, NOW)
    assert await accounts.person_for_token(store, secret, NOW) is None
    await accounts.set_active(store, CLI, anna, True, NOW)
    assert await accounts.revoke_token(store, CLI, token.id, NOW)
    assert await accounts.person_for_token(store, secret, NOW) is None


async def test_an_identity_maps_by_sub_then_email_and_roles_from_groups(store: Store) -> None:
    anna = await _anna(store)
    groups = {"g-analysts": "analyst", "g-akuten": "unit_manager:Akuten"}
    found = await person_for_identity(
        store, "sub-1", "anna@example.org", "Anna", [], group_roles=groups, now=NOW
    )
    assert found is not None and found.id == anna.id and found.sub == "sub-1"
    renamed = await person_for_identity(
        store,
        "sub-1",
        "anna.new@example.org",
        "Anna",
        ["g-analysts"],
        group_roles=groups,
        now=NOW,
    )
    assert renamed is not None and renamed.id == anna.id and renamed.roles == {"analyst"}
    new = await person_for_identity(
        store, "sub-2", "bo@example.org", "Bo", ["g-akuten"], group_roles=groups, now=NOW
    )
    assert new is not None and new.roles == {"unit_manager"} and new.units == {"Akuten"}
    stranger = await person_for_identity(
        store, "sub-3", "x@example.org", "X", ["other"], group_roles=groups, now=NOW
    )
    assert stranger is None


async def test_verify_detects_a_row_deleted_from_the_database(store: Store, db: Database) -> None:
    for n in range(5):
        await audit.record(store, "view", at=NOW, who="Anna", target=f"/ui/dashboard?{n}")
    async with store.read() as tx:
        assert audit.verify(await tx.audit.chain()) == []
    await db.conn.execute("DELETE FROM audit_log WHERE id = 3")
    await db.conn.commit()
    async with store.read() as tx:
        problems = audit.verify(await tx.audit.chain())
    assert problems and "entry 3 was removed" in problems[0]


async def test_verify_detects_an_altered_row(store: Store, db: Database) -> None:
    for n in range(3):
        await audit.record(store, "export", at=NOW, who="Anna", detail={"rows": n})
    await db.conn.execute("UPDATE audit_log SET who = 'Bert' WHERE id = 2")
    await db.conn.commit()
    async with store.read() as tx:
        problems = audit.verify(await tx.audit.chain())
    assert len(problems) == 1 and problems[0].startswith("entry 2 (")
