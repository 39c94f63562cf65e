"""The API's nouns as named schemas (components/schemas), each written once and used by `ref`.

Answers the gateway gives are closed (`additionalProperties: false`), so the contract test
fails when a handler sends a field this file does not describe. Bodies Vonage sends are open:
Vonage adds fields, and smsbot reads only those named here.
"""

from __future__ import annotations

from typing import Any

from smsbot.engine.model import Kind
from smsbot.http.openapi.spec import list_of, ref
from smsbot.results.reports import BANDS, SECTIONS

__all__ = ["SCHEMAS"]

Schema = dict[str, Any]

_TEXT = {"type": "string"}
_INT = {"type": "integer"}
_TIME = {"type": "string", "format": "date-time"}
_MAYBE_TEXT = {"type": ["string", "null"]}
_MAYBE_NUMBER = {"type": ["number", "null"]}
_PERCENT = {"type": ["number", "null"], "description": "in percent, 1 decimal; null: no base"}


def _closed(description: str, required: list[str], properties: Schema) -> Schema:
    return {
        "type": "object",
        "description": description,
        "required": required,
        "properties": properties,
        "additionalProperties": False,
    }


def _map(values: Schema, description: str) -> Schema:
    return {"type": "object", "description": description, "additionalProperties": values}


# --- problems ------------------------------------------------------------------------------------

_PROBLEMS: dict[str, Schema] = {
    "Problem": _closed(
        "Why a request was refused: a stable code, a sentence for people, and for invalid input"
        " every problem per field (and per index in a list of events).",
        ["error"],
        {
            "error": {**_TEXT, "examples": ["invalid", "unauthorized", "not_found"]},
            "message": _TEXT,
            "errors": list_of("FieldProblem"),
            "retry_after": {
                "type": "number",
                "minimum": 0,
                "description": "with 429: the seconds until the source may post again (the "
                "`Retry-After` header rounds them up)",
            },
        },
    ),
    "FieldProblem": _closed(
        "One problem with one field; `index` is the event's place in a list (from 0).",
        ["field", "message"],
        {"index": _INT, "field": {**_TEXT, "examples": ["phone"]}, "message": _TEXT},
    ),
}

# --- events --------------------------------------------------------------------------------------

_EVENTS: dict[str, Schema] = {
    "ServiceEvent": _closed(
        "A service happened (a call closed, a visit done, a decision sent): smsbot decides"
        " whether to text the citizen a survey about it.",
        ["id", "type", "phone", "occurred_at", "unit", "service"],
        {
            "id": {
                "type": ["string", "integer"],
                "description": "your own id for the event: sending it again gives the same"
                " answer and no second survey",
            },
            "type": {
                **_TEXT,
                "description": "the flows' triggers, e.g. contact.closed, visit.completed",
            },
            "phone": {
                **_TEXT,
                "description": "the citizen's mobile number; national numbers use the"
                " configured default region",
                "examples": ["+46701740642", "070-174 06 42"],
            },
            "occurred_at": {**_TIME, "description": "when the service happened, with a zone"},
            "unit": {**_TEXT, "maxLength": 200, "description": "the team or centre"},
            "service": {**_TEXT, "maxLength": 200, "description": "what the citizen came for"},
            "channel": {**_TEXT, "maxLength": 50, "examples": ["phone", "visit"]},
            "language": {
                "type": "string",
                "enum": ["sv", "fi", "en"],
                "description": "default: the flow's first language",
            },
            "attributes": _map(
                {"type": ["string", "number", "boolean"]},
                "free values for reports, e.g. wait_seconds, age_group",
            ),
            "journey": ref("Journey"),
            "trial": {
                "type": "boolean",
                "default": False,
                "description": "someone trying a flow: starts at once (no delay, quiet hours or"
                " maximum age; opt-out and busy still hold) and is left out of reports and"
                " exports",
            },
        },
    ),
    "Journey": _closed(
        "One person's path through a chain of services (a care chain): its id and this step.",
        ["id", "step"],
        {"id": _TEXT, "step": {"type": ["string", "integer"]}},
    ),
    "Decision": _closed(
        "What smsbot decided for one event.",
        ["id", "decision", "reason"],
        {
            "id": {**_TEXT, "description": "the event's id, as text"},
            "decision": ref("DecisionOutcome"),
            "reason": {
                **_TEXT,
                "description": "why: now, trial, quiet_hours, delay; or for skipped: opted_out,"
                " busy, fatigue, too_old",
            },
            "conversation_id": _TEXT,
            "due_at": {**_TIME, "description": "scheduled: when the survey goes out"},
            "repeated": {
                "type": "boolean",
                "description": "true: this event id was posted before; nothing new happened",
            },
            "trial": {"type": "boolean", "description": "present (true) for a trial event"},
        },
    ),
    "DecisionOutcome": {
        "type": "string",
        "enum": ["started", "scheduled", "skipped"],
        "description": "started: the survey's first SMS is on its way; scheduled: held until"
        " due_at; skipped: no survey, see reason",
    },
    "Decisions": _closed(
        "One decision per event, in the order posted.",
        ["results"],
        {"results": list_of("Decision")},
    ),
}

# --- flows ---------------------------------------------------------------------------------------

_FLOWS: dict[str, Schema] = {
    "FlowSummary": _closed(
        "A survey flow the gateway runs.",
        ["id", "version", "title", "languages", "triggers", "questions"],
        {
            "id": _TEXT,
            "version": {**_TEXT, "description": "a hash of the flow file's content"},
            "title": _map(_TEXT, "the title per language code"),
            "languages": {"type": "array", "items": _TEXT},
            "triggers": {
                "type": "array",
                "items": _TEXT,
                "description": "the event types that start it",
            },
            "questions": {**_INT, "description": "how many questions it has"},
        },
    ),
    "FlowList": _closed(
        "The flows the gateway runs.", ["flows"], {"flows": list_of("FlowSummary")}
    ),
}

# --- feedback ------------------------------------------------------------------------------------

_FEEDBACK: dict[str, Schema] = {
    "FeedbackItem": _closed(
        "A citizen's free-text answer (or the comment after a number), with no phone number.",
        ["id", "flow", "question", "unit", "service", "language", "text", "created_at", "tags"],
        {
            "id": _INT,
            "flow": _TEXT,
            "question": _TEXT,
            "unit": _MAYBE_TEXT,
            "service": _MAYBE_TEXT,
            "language": {**_TEXT, "description": "the conversation's language when it came"},
            "reply_language": {
                **_MAYBE_TEXT,
                "description": "the language the reply itself is written in, as the detector"
                " judged it (sv, fi or en; null when it could not judge, e.g. a number)",
            },
            "language_confidence": {
                "type": ["number", "null"],
                "minimum": 0,
                "maximum": 1,
                "description": "how sure the detector was of reply_language",
            },
            "text": _TEXT,
            "created_at": _TIME,
            "tags": list_of("FeedbackTag"),
        },
    ),
    "FeedbackTag": _closed(
        "A tag on a feedback item: suggested by the rules, or confirmed or rejected by a person.",
        ["tag", "state", "by", "at"],
        {
            "tag": {**_TEXT, "description": "a tag id of the taxonomy (flows/tags.yaml)"},
            "state": {"type": "string", "enum": ["suggested", "confirmed", "rejected"]},
            "by": {**_TEXT, "description": "'rules', or the person who decided"},
            "at": _TIME,
        },
    ),
    "FeedbackPage": _closed(
        "Feedback, newest first.",
        ["feedback", "limit", "offset"],
        {"feedback": list_of("FeedbackItem"), "limit": _INT, "offset": _INT},
    ),
    "TagRequest": {
        "type": "object",
        "description": "Tags to confirm or add, and who decides.",
        "required": ["tags"],
        "properties": {
            "tags": {"type": "array", "items": _TEXT, "minItems": 1, "maxItems": 20},
            "by": {
                **_TEXT,
                "maxLength": 100,
                "description": "who decides (a name): needed only with the bootstrap admin "
                "token; with a person's API token the person is recorded and this is ignored",
            },
        },
    },
    "TagChange": _closed(
        "What a request changed on one tag.",
        ["tag", "action"],
        {"tag": _TEXT, "action": {"type": "string", "enum": ["confirm", "add", "remove"]}},
    ),
    "TagResult": _closed(
        "The feedback item as it is now, and what changed.",
        ["feedback", "changes"],
        {"feedback": ref("FeedbackItem"), "changes": list_of("TagChange")},
    ),
}

# --- reports -------------------------------------------------------------------------------------


def _group(description: str, figures: Schema) -> Schema:
    """A report group: key, n, suppressed, and the section's figures (absent when suppressed)."""
    return _closed(
        description,
        ["key", "n", "suppressed"],
        {
            "key": {
                "type": ["string", "null"],
                "description": "the group's value of group_by; null: everyone, or no value",
            },
            "n": _INT,
            "suppressed": {
                "type": "boolean",
                "description": "n is below the minimum group size: no figures are given",
            },
            **figures,
        },
    )


_CELL_SUPPRESSED = {"type": "boolean", "description": "true: n is too small; figures is empty"}


def _cell(description: str, figures: str, about: Schema | None = None) -> Schema:
    """A cell inside a group; what it is (`about`) stays when its figures are suppressed."""
    return _closed(
        description,
        ["key", "n", "suppressed", "figures", *(about or {})],
        {
            "key": _TEXT,
            **(about or {}),
            "n": _INT,
            "suppressed": _CELL_SUPPRESSED,
            "figures": ref(figures),
        },
    )


_COUNTS = _map(_INT, "how many answers gave each value")

_REPORTS: dict[str, Schema] = {
    "ReportSectionName": {
        "type": "string",
        "enum": [*SECTIONS, "all", "crosstab"],
        "description": (
            "a report section, or all of them; crosstab: only the cross-tabulation the"
            " `crosstab` parameter names"
        ),
    },
    "Report": _closed(
        "Survey figures for the filter, per group.",
        ["filter", "min_group", "sections"],
        {
            "filter": ref("ReportFilter"),
            "min_group": {**_INT, "description": "groups with fewer than this show no figures"},
            "sections": ref("ReportSections"),
        },
    ),
    "ReportFilter": _closed(
        "The filter as applied (times in UTC).",
        [
            "flow",
            "since",
            "until",
            "unit",
            "service",
            "channel",
            "attributes",
            "group_by",
            "include_trials",
        ],
        {
            "flow": _MAYBE_TEXT,
            "since": _MAYBE_TEXT,
            "until": _MAYBE_TEXT,
            "unit": _MAYBE_TEXT,
            "service": _MAYBE_TEXT,
            "channel": _MAYBE_TEXT,
            "attributes": _map(_TEXT, "event attributes matched exactly"),
            "group_by": _MAYBE_TEXT,
            "include_trials": {
                "type": "boolean",
                "description": "true: trials are counted too (they are left out by default)",
            },
        },
    ),
    "ReportSections": _closed(
        "The sections asked for, each a list of groups.",
        [],
        {
            "funnel": list_of("FunnelGroup"),
            "questions": list_of("QuestionsGroup"),
            "timing": list_of("TimingGroup"),
            "drivers": list_of("DriversGroup"),
            "cost": list_of("CostGroup"),
            "avoidable": list_of("AvoidableGroup"),
            "cases": list_of("CasesGroup"),
            "crosstab": list_of("CrosstabGroup"),
        },
    ),
    "CasesGroup": _group(
        "Follow-up cases opened in the period, per unit, the all-units row first when there are"
        " several (n: cases opened; key: the unit, or 'all units').",
        {
            "opened": _INT,
            "closed": _INT,
            "closed_in_time_pct": {**_PERCENT, "description": "of those closed, by their due time"},
            "contacted": {**_INT, "description": "cases with a first contact recorded"},
            "first_contact_hours_median": {
                **_MAYBE_NUMBER,
                "description": "hours from opening to first contact (all units: median of medians)",
            },
            "outcome_reached_resolved": _INT,
            "outcome_reached_not_resolved": _INT,
            "outcome_not_reached": _INT,
            "outcome_no_action_needed": _INT,
        },
    ),
    "FunnelGroup": _group(
        "From events to completed surveys (n: surveys sent).",
        {
            "events_received": _INT,
            "events_started": _INT,
            "events_scheduled": _INT,
            "events_skipped": _INT,
            "skipped_by_reason": _map(_INT, "skipped events per reason"),
            "surveys_sent": _INT,
            "delivered": _INT,
            "delivered_pct": _PERCENT,
            "answered": {**_INT, "description": "surveys answered at least once"},
            "response_rate_pct": _PERCENT,
            "completed": _INT,
            "completion_rate_pct": _PERCENT,
            "opted_out": _INT,
            "undeliverable": _INT,
            "expired": _INT,
            "active": _INT,
        },
    ),
    "QuestionsGroup": _group(
        "Per question of the flows in scope (n: surveys sent).",
        {"questions": list_of("QuestionCell"), "dropoff": list_of("DropoffCell")},
    ),
    "QuestionCell": _cell(
        "One question's answers (n: understood answers).",
        "QuestionFigures",
        {
            "flow": _TEXT,
            "question": _TEXT,
            "kind": {"type": "string", "enum": [kind.value for kind in Kind]},
            "preset": {"type": ["string", "null"], "examples": ["csat", "nps", "ces"]},
        },
    ),
    "QuestionFigures": _closed(
        "A question's figures; which ones depends on its kind and preset.",
        [],
        {
            "answers": _INT,
            "distribution": _COUNTS,
            "mean": _MAYBE_NUMBER,
            "median": _MAYBE_NUMBER,
            "csat_pct": {**_PERCENT, "description": "share of 4-5 on a 1-5 scale"},
            "nps": {**_MAYBE_NUMBER, "description": "% promoters (9-10) - % detractors (0-6)"},
            "promoters_pct": _PERCENT,
            "detractors_pct": _PERCENT,
            "ces": {**_MAYBE_NUMBER, "description": "mean customer effort"},
            "shares_pct": _map(_PERCENT, "share of each answer, in percent"),
        },
    ),
    "DropoffCell": _cell(
        "Where conversations stopped (n: conversations asked the question).",
        "DropoffFigures",
        {"flow": _TEXT, "question": _TEXT},
    ),
    "DropoffFigures": _closed(
        "Asked, and ended unfinished with this question unanswered.",
        [],
        {"asked": _INT, "dropped": _INT, "dropoff_pct": _PERCENT},
    ),
    "TimingGroup": _group(
        "Time from the survey's start to the first reply (n: conversations with a reply).",
        {
            "answered": _INT,
            "median_seconds": {"type": "number"},
            "p90_seconds": {"type": "number", "description": "nearest-rank 90th percentile"},
            "within_1h_pct": _PERCENT,
            "within_24h_pct": _PERCENT,
        },
    ),
    "DriversGroup": _group(
        "What goes with satisfaction, per flow (n: satisfaction answers).",
        {
            "flow": _TEXT,
            "satisfaction": {**_TEXT, "description": "the satisfaction question's id"},
            "scale": {
                "type": "array",
                "items": {"type": ["integer", "null"]},
                "minItems": 2,
                "maxItems": 2,
                "description": "its lowest and highest value",
            },
            "resolved": {**_MAYBE_TEXT, "description": "the yes/no question's id"},
            "attribute": {**_TEXT, "description": "the numeric event attribute"},
            "mean": _MAYBE_NUMBER,
            "by_resolved": list_of("MeanCell"),
            "by_band": {
                **list_of("MeanCell"),
                "description": "per band of the attribute: " + ", ".join(b for b, _ in BANDS),
            },
            "correlation": ref("CorrelationCell"),
        },
    ),
    "MeanCell": _cell("Mean satisfaction within one part of a group.", "MeanFigures"),
    "MeanFigures": _closed("The mean; null with no answers.", [], {"mean": _MAYBE_NUMBER}),
    "CorrelationCell": _cell(
        "Pearson r between the attribute and satisfaction (n: pairs).", "CorrelationFigures"
    ),
    "CorrelationFigures": _closed(
        "The correlation.",
        [],
        {"r": {**_MAYBE_NUMBER, "description": "null: fewer than 3 pairs or no spread"}},
    ),
    "CostGroup": _group(
        "SMS sent and their price as the provider reported it (n: surveys sent).",
        {
            "sms_sent": _INT,
            "segments": _INT,
            "unpriced_sms": {**_INT, "description": "SMS with no price reported"},
            "completed": _INT,
            "price": _map({"type": "number"}, "the total per currency"),
            "cost_per_completed": _map(_MAYBE_NUMBER, "per currency; null: none completed"),
        },
    ),
    "AvoidableGroup": _group(
        "The share of contacts that were avoidable demand, per flow that marks it (n: contacts,"
        " surveys with an answer to a question the flow's avoidable marks read).",
        {
            "flow": _TEXT,
            "period": {"type": "string", "enum": ["week", "month"]},
            "contacts": _INT,
            "avoidable": {**_INT, "description": "contacts with a marked answer or condition"},
            "avoidable_pct": _PERCENT,
            "reasons": list_of("AvoidableReason"),
            "over_time": list_of("AvoidablePeriodCell"),
        },
    ),
    "AvoidableReason": _closed(
        "One mark and the contacts it marked (a contact may have several reasons).",
        ["reason", "contacts", "share_pct"],
        {
            "reason": {
                **_TEXT,
                "description": "question = option, or the avoidable_when condition",
                "examples": ["reason = information", "web_first == yes"],
            },
            "contacts": _INT,
            "share_pct": {**_PERCENT, "description": "of the group's contacts"},
        },
    ),
    "AvoidablePeriodCell": _cell(
        "One week (2026-W45) or month (2026-11) of the group, UTC (n: contacts in it).",
        "AvoidablePeriodFigures",
    ),
    "AvoidablePeriodFigures": _closed(
        "Avoidable contacts in the period.",
        [],
        {"avoidable": _INT, "avoidable_pct": _PERCENT},
    ),
    "CrosstabGroup": _group(
        "One question's answers within each value of another question or an event value, per"
        " flow (n: understood answers to the question).",
        {
            "flow": _TEXT,
            "question": _TEXT,
            "kind": {"type": "string", "enum": [kind.value for kind in Kind]},
            "preset": {"type": ["string", "null"], "examples": ["csat", "nps", "ces"]},
            "by": {**_TEXT, "examples": ["reason", "channel", "attributes.age_band"]},
            "overall": ref("QuestionFigures"),
            "cells": list_of("CrosstabCell"),
        },
    ),
    "CrosstabCell": _closed(
        "The question's answers within one value of `by` (n: those answers).",
        ["key", "n", "suppressed", "figures"],
        {
            "key": {
                "type": ["string", "null"],
                "description": "the value of `by`; null: no answer or no value",
            },
            "n": _INT,
            "suppressed": _CELL_SUPPRESSED,
            "figures": ref("QuestionFigures"),
        },
    ),
}

# --- webhooks (Vonage sends; open: Vonage adds fields) -------------------------------------------


def _vonage(description: str, required: list[str], names: list[str]) -> Schema:
    return {
        "type": "object",
        "description": description,
        "required": required,
        "properties": {name: _TEXT for name in names},
    }


_SIGNED = ["timestamp", "nonce", "sig"]

_WEBHOOKS: dict[str, Schema] = {
    "VonageSmsInbound": _vonage(
        "Vonage SMS API: an inbound SMS, or one part of a long one (`concat` = true). Every"
        " value is text, whether sent as query, form or JSON.",
        ["msisdn", "to", "messageId"],
        [
            "msisdn",
            "to",
            "messageId",
            "text",
            "type",
            "keyword",
            "api-key",
            "message-timestamp",
            "concat",
            "concat-ref",
            "concat-total",
            "concat-part",
            *_SIGNED,
        ],
    ),
    "VonageSmsReceipt": _vonage(
        "Vonage SMS API: a delivery receipt for one SMS (one per part of a long one).",
        ["msisdn", "messageId", "status"],
        [
            "msisdn",
            "to",
            "network-code",
            "messageId",
            "price",
            "status",
            "scts",
            "err-code",
            "api-key",
            "client-ref",
            "message-timestamp",
            *_SIGNED,
        ],
    ),
    "VonageMessagesInbound": {
        "type": "object",
        "description": "Vonage Messages API: an inbound SMS.",
        "required": ["channel", "message_uuid", "from", "to"],
        "properties": {
            "channel": {"const": "sms"},
            "message_uuid": _TEXT,
            "from": _TEXT,
            "to": _TEXT,
            "timestamp": _TEXT,
            "text": _TEXT,
            "message_type": {"const": "text"},
            "sms": {"type": "object"},
            "usage": ref("VonageUsage"),
        },
    },
    "VonageMessagesStatus": {
        "type": "object",
        "description": "Vonage Messages API: the status of an SMS smsbot sent.",
        "required": ["message_uuid", "status"],
        "properties": {
            "message_uuid": _TEXT,
            "status": {**_TEXT, "examples": ["submitted", "delivered", "rejected"]},
            "to": _TEXT,
            "from": _TEXT,
            "timestamp": _TEXT,
            "channel": _TEXT,
            "client_ref": _TEXT,
            "usage": ref("VonageUsage"),
            "error": {"type": "object", "properties": {"type": _TEXT, "title": _TEXT}},
        },
    },
    "VonageUsage": {
        "type": "object",
        "description": "What Vonage charged.",
        "properties": {"price": _TEXT, "currency": _TEXT},
    },
    "WebhookAnswer": _closed(
        "Taken: what became of it (a duplicate has no second effect).",
        ["status"],
        {"status": {**_TEXT, "examples": ["answered", "duplicate", "part_stored", "delivered"]}},
    ),
}

# --- health and the simulator --------------------------------------------------------------------

_HEALTH: dict[str, Schema] = {
    "Liveness": _closed("The process answers.", ["status"], {"status": {"const": "ok"}}),
    "Index": _closed(
        "Where things are, for an API client that opens the gateway's address.",
        ["service", "version", "links"],
        {
            "service": _TEXT,
            "version": _TEXT,
            "links": _map(_TEXT, "name -> path: this document, health, metrics, flows, docs"),
        },
    ),
    "Readiness": _closed(
        "Whether the gateway can work: its database answers and a transport is configured.",
        ["status", "checks"],
        {
            "status": {"type": "string", "enum": ["ready", "not_ready"]},
            "checks": _map(
                {"type": "boolean"},
                "each check: database (answers), writes (none failed in the last seconds, e.g."
                " a full disk), transport",
            ),
            "provider": {
                "type": "string",
                "enum": ["up", "down"],
                "description": "`down` while the SMS provider fails (the sender holds messages"
                " and probes it now and then); the gateway still takes events and webhooks.",
            },
            "webhooks": {
                "type": "string",
                "enum": ["simulator", "signed", "unsigned_allowed"],
                "description": "How provider webhooks are checked. `unsigned_allowed`: a real "
                "transport without a signature secret, started only because the operator set "
                "`[vonage] allow_unsigned_webhooks = true`; forged webhooks are accepted.",
            },
        },
    ),
    "OpenApiDocument": {"type": "object", "description": "An OpenAPI 3.1 document (this one)."},
}

_SIMULATOR: dict[str, Schema] = {
    "SimulatedSms": {
        "type": "object",
        "description": "A citizen's SMS, as if it came from the provider.",
        "required": ["from", "text"],
        "properties": {
            "from": {**_TEXT, "description": "the citizen's number"},
            "to": {**_TEXT, "description": "default: the gateway's own number"},
            "text": _TEXT,
        },
    },
    "SimulatorAnswer": _closed(
        "What the gateway did with the SMS.",
        ["status", "conversation_id"],
        {"status": _TEXT, "conversation_id": _MAYBE_TEXT},
    ),
    "SentMessage": _closed(
        "An SMS the gateway sent (or that the simulator took).",
        [
            "id",
            "conversation_id",
            "body",
            "purpose",
            "status",
            "encoding",
            "segments",
            "created_at",
        ],
        {
            "id": _INT,
            "conversation_id": _MAYBE_TEXT,
            "body": _MAYBE_TEXT,
            "purpose": _MAYBE_TEXT,
            "status": _TEXT,
            "encoding": _MAYBE_TEXT,
            "segments": {"type": ["integer", "null"]},
            "created_at": _TIME,
        },
    ),
    "SentMessages": _closed(
        "What was sent to a number, oldest first.",
        ["phone", "messages"],
        {"phone": _TEXT, "messages": list_of("SentMessage")},
    ),
}

_PLATFORMS: dict[str, Schema] = {
    "PlatformPayload": {
        "type": "object",
        "description": "A platform's own webhook body (Genesys Cloud, Zendesk, ...), as it sends"
        " it; the source's mapping file says which payloads are events and where each field"
        " comes from.",
    },
    "IgnoredPayload": _closed(
        "Not an event of the source's mapping (another topic or status): nothing was stored.",
        ["result", "reason"],
        {"result": {"const": "ignored"}, "reason": _TEXT},
    ),
}

# --- journeys (smsbot.results.journeys) -----------------------------------------------------------


def _journey_cell(description: str, figures: str, about: Schema) -> Schema:
    """A journey report cell: like `_cell`, with a key that may be null."""
    return _closed(
        description,
        ["key", "n", "suppressed", "figures", *about],
        {
            "key": _MAYBE_TEXT,
            **about,
            "n": _INT,
            "suppressed": _CELL_SUPPRESSED,
            "figures": ref(figures),
        },
    )


_JOURNEYS: dict[str, Schema] = {
    "JourneyReport": _closed(
        "Journey types for the filter, each with its steps in order.",
        ["filter", "journey", "min_group", "sections"],
        {
            "filter": ref("ReportFilter"),
            "journey": {**_MAYBE_TEXT, "description": "the journey type asked for; null: all"},
            "min_group": {**_INT, "description": "groups with fewer than this show no figures"},
            "sections": _closed(
                "The journeys section: one group per journey type.",
                ["journeys"],
                {"journeys": list_of("JourneyGroup")},
            ),
        },
    ),
    "JourneyGroup": _closed(
        "One journey type (key: its id; n: journeys with a survey at any of its steps).",
        ["key", "n", "suppressed"],
        {
            "key": _TEXT,
            "n": _INT,
            "suppressed": {
                "type": "boolean",
                "description": "n is below the minimum group size: no figures are given",
            },
            "title": _TEXT,
            "journeys": _INT,
            "steps": list_of("JourneyStepCell"),
            "falls": list_of("JourneyFall"),
        },
    ),
    "JourneyStepCell": _journey_cell(
        "One step, in order (key: the journey.step events send; n: surveys at the step).",
        "JourneyStepFigures",
        {
            "position": {**_INT, "description": "1 for the first step"},
            "name": _TEXT,
            "flow": {**_TEXT, "description": "the flow whose surveys count for the step"},
        },
    ),
    "JourneyStepFigures": _closed(
        "A step's figures.",
        [],
        {
            "surveys": _INT,
            "answered": {**_INT, "description": "surveys answered at least once"},
            "response_rate_pct": _PERCENT,
            "journeys": {**_INT, "description": "journeys with a survey at this step"},
            "reached_pct": {**_PERCENT, "description": "of the journey type's journeys"},
            "satisfaction": ref("JourneySatisfactionCell"),
            "change": {
                "oneOf": [ref("JourneyChange"), {"type": "null"}],
                "description": "against the step before; null for the first step",
            },
            "units": list_of("JourneyUnitCell"),
        },
    ),
    "JourneySatisfactionCell": _journey_cell(
        "The step's satisfaction (key: its scale question, null: none; n: understood answers).",
        "JourneySatisfactionFigures",
        {
            "scale": {
                "type": ["array", "null"],
                "items": _INT,
                "description": "the question's lowest and highest answer",
            },
            "preset": {"type": ["string", "null"]},
        },
    ),
    "JourneySatisfactionFigures": _closed(
        "Mean on the question's own scale, and that mean placed on 0-100.",
        [],
        {
            "answers": _INT,
            "mean": _MAYBE_NUMBER,
            "score_pct": {
                **_MAYBE_NUMBER,
                "description": "0: the scale's lowest answer, 100: its highest (steps compare)",
            },
            "csat_pct": {**_PERCENT, "description": "share of 4-5 on a 1-5 scale"},
        },
    ),
    "JourneyChange": _closed(
        "From the step before to this one (null where either side is suppressed).",
        ["from", "response_rate_pts", "score_pts", "mean"],
        {
            "from": _TEXT,
            "response_rate_pts": _MAYBE_NUMBER,
            "score_pts": _MAYBE_NUMBER,
            "mean": {**_MAYBE_NUMBER, "description": "only when both steps use one scale"},
        },
    ),
    "JourneyUnitCell": _journey_cell(
        "One unit or provider at the step (key: the unit; n: its surveys at the step).",
        "JourneyUnitFigures",
        {},
    ),
    "JourneyUnitFigures": _closed(
        "A unit's figures at the step.",
        [],
        {
            "surveys": _INT,
            "answered": _INT,
            "response_rate_pct": _PERCENT,
            "satisfaction": ref("JourneySatisfactionCell"),
        },
    ),
    "JourneyFall": _closed(
        "Where response or satisfaction falls from one step to the next.",
        ["from", "to", "measure", "points"],
        {
            "from": _TEXT,
            "to": _TEXT,
            "measure": {"type": "string", "enum": ["response", "satisfaction"]},
            "points": {"type": "number", "description": "percentage points, below 0"},
        },
    ),
}

SCHEMAS: dict[str, Schema] = {
    **_PROBLEMS,
    **_PLATFORMS,
    **_EVENTS,
    **_FLOWS,
    **_FEEDBACK,
    **_REPORTS,
    **_JOURNEYS,
    **_WEBHOOKS,
    **_HEALTH,
    **_SIMULATOR,
}
