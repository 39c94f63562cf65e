"""Value types of follow-up cases (issue 16), as the storage ports speak of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["OUTCOMES", "Case", "CaseAnswer", "CaseFigures", "CaseNote", "CaseQuery", "NewCase"]

# How a case may close: reached and resolved, reached and not resolved, not reached, nothing to do.
OUTCOMES = ("reached_resolved", "reached_not_resolved", "not_reached", "no_action_needed")
STATES = ("open", "taken", "closed")


@dataclass(frozen=True)
class NewCase:
    conversation_id: str
    flow_id: str
    rule_id: str
    unit: str | None
    service: str | None
    respondent: str | None
    consent: bool
    phone: str | None  # only with consent: the caller makes sure of it too
    opened_at: datetime
    due_at: datetime


@dataclass(frozen=True)
class Case:
    id: int
    conversation_id: str
    flow_id: str
    rule_id: str
    unit: str | None
    service: str | None
    respondent: str | None
    consent: bool
    phone: str | None
    state: str  # open | taken | closed
    taken_by: str | None
    taken_by_id: int | None
    outcome: str | None
    opened_at: datetime
    due_at: datetime
    first_contact_at: datetime | None
    closed_at: datetime | None

    @property
    def callable(self) -> bool:
        """A `tel:` link may be shown: consent holds, the number is kept, the case is not closed."""
        return self.consent and self.phone is not None and self.state != "closed"


@dataclass(frozen=True)
class CaseNote:
    at: datetime
    who: str
    action: str  # note | call | take | close
    text: str


@dataclass(frozen=True)
class CaseAnswer:
    question_id: str
    value: str


@dataclass(frozen=True)
class CaseQuery:
    units: tuple[str, ...] | None = None  # None: every unit
    closed: bool = False  # False: open and taken cases; True: closed ones too
    limit: int = 200


@dataclass(frozen=True)
class CaseFigures:
    """One unit's cases opened in a period (None: the unit is not known)."""

    unit: str | None
    opened: int
    closed: int
    closed_in_time: int  # closed before due
    contacted: int  # with a first contact
    contact_seconds_median: float | None  # opened -> first contact
    outcomes: dict[str, int]
