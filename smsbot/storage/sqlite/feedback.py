"""The feedback repositories of the SQLite store (see smsbot.storage.ports)."""

from __future__ import annotations

from smsbot.storage.sqlite.repository import Repository


class SqliteFeedback(Repository):
    """The `FeedbackReview` port (smsbot.storage.ports) on SQLite."""
