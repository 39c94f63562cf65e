"""The timer task: expiries, reminders and scheduled surveys, from rows in the database.

Timers carry the conversation step they were set at, so one that fires after the conversation
moved on does nothing; and they are rows, so they survive restarts.
"""

from __future__ import annotations

import asyncio
import contextlib

from smsbot.gateway.intake import Intake
from smsbot.gateway.surveys import Surveys
from smsbot.logs import get_logger
from smsbot.storage.sqlite import events as store

__all__ = ["Timers"]

log = get_logger("smsbot.gateway.timers")


class Timers:
    def __init__(self, surveys: Surveys, intake: Intake, *, poll_seconds: float = 1.0) -> None:
        self.surveys = surveys
        self.intake = intake
        self.poll_seconds = poll_seconds

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            fired = await self.fire_due()
            if fired == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), self.poll_seconds)

    async def fire_due(self, limit: int = 200) -> int:
        """Fire what is due now; returns how many timers and scheduled surveys it handled."""
        started = await self.intake.start_scheduled(limit)
        db = self.surveys.db
        due = await store.due_timers(db.conn, self.surveys.clock.now(), limit)
        for timer in due:
            await self._fire(timer)
        if due:
            self.intake.notify()
        return started + len(due)

    async def _fire(self, timer: store.DueTimer) -> None:
        if timer.kind == "expire":
            acted = await self.surveys.expire(timer.conversation_id, timer.step)
        elif timer.kind == "remind":
            acted = await self.surveys.remind(timer.conversation_id, timer.step)
        else:
            acted = False
        async with self.surveys.db.transaction() as conn:
            await store.mark_timer_done(conn, timer.id, self.surveys.clock.now())
        log.info(
            f"timer_{timer.kind}",
            conversation_id=timer.conversation_id,
            acted=acted,
        )
