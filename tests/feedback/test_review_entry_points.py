"""The JSON API, the CLI and the use cases themselves tag through one path: the same history
rows, the same refusal of an unknown tag. (The inbox page: tests/webui/test_webui_inbox.py.)"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner

from smsbot.cli.feedback import feedback
from smsbot.config import Config
from smsbot.feedback.review import UnknownTags, suggest_new, tag
from smsbot.feedback.taxonomy import load_taxonomy
from smsbot.http.feedback import FeedbackContext, add_feedback_routes
from smsbot.storage.sqlite.db import open_database
from smsbot.storage.sqlite.tx import SqliteStore
from tests.feedback.test_tagging import TAGS, seed

TAXONOMY = load_taxonomy(TAGS)
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
UNKNOWN = "'wating' is not a tag (did you mean 'waiting'?)"


async def _prepare(config: Config) -> list[int]:
    store = SqliteStore(await open_database(config.database.path))
    try:
        ids = await seed(store.db)
        await suggest_new(store, TAXONOMY, now=NOW)
        return ids
    finally:
        await store.close()


async def _through_api_and_review(config: Config, ids: list[int]) -> tuple[int, str]:
    """Tag ids[1] through the JSON API and ids[2] through `review.tag`; the API's refusal."""
    store = SqliteStore(await open_database(config.database.path))
    app = web.Application()
    context = FeedbackContext(store, TAXONOMY, clock=lambda: NOW)
    add_feedback_routes(app, lambda request: context)
    try:
        async with TestClient(TestServer(app)) as client:
            body = {"tags": ["waiting", "rudeness"], "by": "Anna"}
            answer = await client.post(f"/v1/feedback/{ids[1]}/tags", json=body)
            assert answer.status == 200
            refused = await client.post(
                f"/v1/feedback/{ids[1]}/tags", json={"tags": ["wating"], "by": "Anna"}
            )
            refusal = (refused.status, (await refused.json())["message"])
        await tag(store, TAXONOMY, ids[2], ["waiting", "rudeness"], who="Anna", now=NOW)
        return refusal
    finally:
        await store.close()


async def _history(config: Config) -> dict[int, list[tuple[str, str, str]]]:
    store = SqliteStore(await open_database(config.database.path))
    try:
        sql = "SELECT feedback_id, tag, action, changed_by FROM tag_changes ORDER BY id"
        found: dict[int, list[tuple[str, str, str]]] = {}
        async with store.db.conn.execute(sql) as cur:
            async for fid, tag_id, action, by in cur:
                if action != "suggest":
                    found.setdefault(int(fid), []).append((tag_id, action, by))
        return found
    finally:
        await store.close()


def test_api_cli_and_use_case_record_the_same_history(config: Config) -> None:
    ids = asyncio.run(_prepare(config))
    asyncio.run(_make_alike(config, ids))  # the same start, so the same decision, same changes
    command = ["tag", str(ids[0]), "waiting", "rudeness", "--by", "Anna"]
    cli = CliRunner().invoke(feedback, command, obj=config)
    assert cli.exit_code == 0, cli.output
    refusal = asyncio.run(_through_api_and_review(config, ids))
    history = asyncio.run(_history(config))
    expected = [("waiting", "confirm", "Anna"), ("rudeness", "add", "Anna")]
    assert {fid: history.get(fid) for fid in ids[:3]} == {fid: expected for fid in ids[:3]}

    assert refusal == (400, UNKNOWN)
    cli = CliRunner().invoke(feedback, ["tag", str(ids[0]), "wating"], obj=config)
    assert cli.exit_code == 2 and UNKNOWN in cli.stderr
    with pytest.raises(UnknownTags, match="did you mean 'waiting'"):
        asyncio.run(_tag_unknown(config, ids[0]))


async def _make_alike(config: Config, ids: list[int]) -> None:
    """ids[0..2] with 'waiting' suggested and nothing else."""
    store = SqliteStore(await open_database(config.database.path))
    try:
        async with store.db.transaction() as conn:
            marks = ", ".join("?" * 3)
            await conn.execute(f"DELETE FROM feedback_tags WHERE feedback_id IN ({marks})", ids[:3])
            await conn.execute(f"DELETE FROM tag_changes WHERE feedback_id IN ({marks})", ids[:3])
            for fid in ids[:3]:
                await conn.execute(
                    "INSERT INTO feedback_tags (feedback_id, tag, state, changed_by, changed_at)"
                    " VALUES (?, 'waiting', 'suggested', 'rules', 't')",
                    (fid,),
                )
    finally:
        await store.close()


async def _tag_unknown(config: Config, feedback_id: int) -> None:
    store = SqliteStore(await open_database(config.database.path))
    try:
        await tag(store, TAXONOMY, feedback_id, ["wating"], who="Anna", now=NOW)
    finally:
        await store.close()
