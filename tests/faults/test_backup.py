"""`smsbot backup` under load: every event acknowledged before the copy began is in it, and a
gateway started on the restored copy works.

The gateway runs as a real process (`smsbot serve`) sending to our fake Vonage; events are
posted by four clients while `smsbot backup` runs as the operator would run it.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import aiohttp

from tests.crashkit import Process, free_port, ready, serving
from tests.faults.test_crash import event
from tests.harness import ROOT, TOKEN, wait_for
from tests.suite_summary import tally

HEADERS = {"Authorization": f"Bearer {TOKEN}"}
PHONES = [f"+4670174{n:04d}" for n in range(605, 700)]  # the range kept for fiction


class Posters:
    """Clients posting distinct events until stopped; `acked` in the order 2xx came back."""

    def __init__(self, url: str) -> None:
        self.url, self.acked, self.stopping, self.sent = url, list[str](), asyncio.Event(), 0

    async def run(self, clients: int = 4) -> None:
        async with aiohttp.ClientSession() as http:
            await asyncio.gather(*(self._client(http) for _ in range(clients)))

    async def _client(self, http: aiohttp.ClientSession) -> None:
        while not self.stopping.is_set():
            n, self.sent = self.sent, self.sent + 1
            body = event(n, PHONES[n % len(PHONES)]) | {"id": f"backup-{n}"}
            async with http.post(f"{self.url}/v1/events", json=body, headers=HEADERS) as r:
                if r.status < 300:
                    self.acked.append(body["id"])


async def smsbot_backup(env: dict[str, str], target: Path) -> tuple[int, str]:
    command = [sys.executable, "-c", "from smsbot.cli import main; main()", "backup", str(target)]
    process = await asyncio.create_subprocess_exec(
        *command, env=env, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, (out + err).decode()


def stored_ids(database: Path) -> set[str]:
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return {row[0] for row in db.execute("SELECT source_id FROM events")}


async def test_a_backup_taken_under_load_holds_everything_acknowledged_and_restores(
    tmp_path: Path,
) -> None:
    async with serving(tmp_path) as (process, _fake, url):
        process.start()
        await ready(url)
        posters = Posters(url)
        posting = asyncio.create_task(posters.run())
        await wait_for(lambda: len(posters.acked) >= 60, what="60 events acknowledged")
        before = set(posters.acked)  # acknowledged before the backup began
        code, said = await smsbot_backup(process.env, tmp_path / "backup.db")
        during = len(posters.acked) - len(before)
        posters.stopping.set()
        await posting
        process.stop()

    assert code == 0, said
    assert "backed up to" in said and "check ok" in said, said
    restored = tmp_path / "restored" / "gateway.db"
    restored.parent.mkdir()
    shutil.copy(tmp_path / "backup.db", restored)  # the README's restore: copy it into place
    in_copy = stored_ids(restored)
    lost = before - in_copy
    assert not lost, sorted(lost)
    assert in_copy <= set(posters.acked)  # nothing that was refused
    assert (tmp_path / "backup.db").stat().st_mode & 0o077 == 0  # it holds numbers

    await _serve_restored(process.env, restored, len(in_copy))
    tally("backup", "events acknowledged before the copy began", len(before))
    tally("backup", "acknowledged while it ran", during)
    tally("backup", "lost", len(lost))


async def _serve_restored(env: dict[str, str], database: Path, events: int) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    restored_env = env | {"SMSBOT_DATABASE__PATH": str(database), "SMSBOT_SERVER__PORT": str(port)}
    gateway = Process(restored_env, database.parent / "gateway.log")
    gateway.start()
    try:
        await ready(url)
        async with aiohttp.ClientSession() as http:
            body = event(10**6, PHONES[0]) | {"id": "after-restore"}
            async with http.post(f"{url}/v1/events", json=body, headers=HEADERS) as r:
                assert r.status == 202, await r.text()
    finally:
        gateway.stop()
    assert len(stored_ids(database)) == events + 1


def test_a_backup_never_overwrites_and_says_why(tmp_path: Path) -> None:
    env = {"SMSBOT_DATABASE__PATH": str(tmp_path / "gateway.db"), "PATH": "/usr/bin:/bin"}
    sqlite3.connect(tmp_path / "gateway.db").close()
    (tmp_path / "taken.db").write_text("precious")
    command = [sys.executable, "-c", "from smsbot.cli import main; main()", "backup"]
    done = subprocess.run(
        [*command, str(tmp_path / "taken.db")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "taken.db exists: a backup never overwrites" in done.stderr
    assert "Traceback" not in done.stderr
    assert (tmp_path / "taken.db").read_text() == "precious"
