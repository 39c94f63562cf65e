"""The timer task: expiries, reminders and scheduled surveys, from rows in the database.

Timers carry the conversation step they were set at, so one that fires after the conversation
moved on does nothing; and they are rows, so they survive restarts.
"""

from __future__ import annotations

from smsbot.gateway.intake import Intake
from smsbot.gateway.surveys import Surveys
from smsbot.logs import get_logger
from smsbot.storage.ports import DueTimer

__all__ = ["Timers"]

log = get_logger("smsbot.gateway.timers")


class Timers:
    """Fires what is due; the runner calls `fire_due` every `poll_seconds` (see loops.every)."""

    def __init__(self, surveys: Surveys, intake: Intake, *, poll_seconds: float = 1.0) -> None:
        self.surveys = surveys
        self.intake = intake
        self.poll_seconds = poll_seconds

    async def fire_due(self, limit: int = 200) -> int:
        """Fire what is due now; returns how many timers and scheduled surveys it handled."""
        started = await self.intake.start_scheduled(limit)
        async with self.surveys.store.read() as tx:
            due = await tx.timers.due(self.surveys.clock.now(), limit)
        for timer in due:
            await self._fire(timer)
        if due:
            self.intake.notify()
        return started + len(due)

    async def _fire(self, timer: DueTimer) -> None:
        if timer.kind == "expire":
            acted = await self.surveys.expire(timer.conversation_id, timer.step)
        elif timer.kind == "remind":
            acted = await self.surveys.remind(timer.conversation_id, timer.step)
        else:
            acted = False
        now = self.surveys.clock.now()
        await self.surveys.store.unit(lambda tx: tx.timers.mark_done(timer.id, now))
        log.info(
            f"timer_{timer.kind}",
            conversation_id=timer.conversation_id,
            acted=acted,
        )
