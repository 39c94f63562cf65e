"""The schema, as an ordered list of migrations. PRAGMA user_version = migrations applied."""

from __future__ import annotations

from smsbot.storage.sqlite.agg_profiles import PROFILES
from smsbot.storage.sqlite.aggregates import AGGREGATES

__all__ = ["CASES", "JOURNEYS_COVERING_INDEX", "JOURNEYS_INDEX", "MIGRATIONS", "TRIALS", "WEBHOOKS"]

_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE flow_versions (
    flow_id TEXT NOT NULL,
    version TEXT NOT NULL,
    definition TEXT NOT NULL,            -- the flow as plain JSON: conversations replay it
    first_seen TEXT NOT NULL,
    PRIMARY KEY (flow_id, version)
);

CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    flow_id TEXT NOT NULL,
    flow_version TEXT NOT NULL,
    phone TEXT,                          -- E.164; NULL once retention has passed
    respondent TEXT,                     -- keyed hash of the phone: pseudonymous id
    sender TEXT NOT NULL DEFAULT '',     -- our number the conversation runs on
    language TEXT NOT NULL,
    status TEXT NOT NULL,
    step INTEGER NOT NULL,
    state TEXT NOT NULL,                 -- the engine's state as JSON
    event_id INTEGER,
    unit TEXT,
    service TEXT,
    channel TEXT,
    attributes TEXT NOT NULL DEFAULT '{}',
    journey_id TEXT,
    journey_step TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    first_reply_at TEXT,
    ended_at TEXT,
    FOREIGN KEY (flow_id, flow_version) REFERENCES flow_versions (flow_id, version)
);
CREATE UNIQUE INDEX conversations_one_active ON conversations (phone, sender)
    WHERE status = 'active';
CREATE INDEX conversations_respondent ON conversations (respondent, created_at);
CREATE INDEX conversations_ended ON conversations (ended_at) WHERE phone IS NOT NULL;

CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    conversation_id TEXT REFERENCES conversations (id),
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    phone TEXT,                          -- the citizen's number; NULL once retention has passed
    body TEXT,
    purpose TEXT,                        -- opening | question | retry | ... | reply
    question_id TEXT,
    step INTEGER,
    encoding TEXT,
    segments INTEGER,
    status TEXT NOT NULL,                -- out: queued | sending | sent | delivered | failed | ...
    priority INTEGER NOT NULL DEFAULT 1, -- 0: a reply mid-conversation, 1: a new survey
    due_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    client_ref TEXT UNIQUE,
    provider_ref TEXT,
    price REAL,
    currency TEXT,
    error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX messages_outbox ON messages (priority, due_at, id)
    WHERE direction = 'out' AND status = 'queued';
CREATE INDEX messages_conversation ON messages (conversation_id, id);
CREATE UNIQUE INDEX messages_inbound_ref ON messages (provider_ref)
    WHERE direction = 'in' AND provider_ref IS NOT NULL;
CREATE INDEX messages_provider_ref ON messages (provider_ref) WHERE direction = 'out';

CREATE TABLE answers (
    id INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    message_id INTEGER REFERENCES messages (id),
    flow_id TEXT NOT NULL,
    flow_version TEXT NOT NULL,
    question_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    value_num REAL,                      -- scale answers
    value_text TEXT,                     -- yes/no, option id, free text
    raw_text TEXT NOT NULL,              -- the reply exactly as it came
    comment TEXT,
    problem TEXT,                        -- NULL when understood
    created_at TEXT NOT NULL
);
CREATE INDEX answers_question ON answers (flow_id, question_id) WHERE problem IS NULL;
CREATE INDEX answers_conversation ON answers (conversation_id, id);

CREATE TABLE feedback (
    id INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    answer_id INTEGER REFERENCES answers (id),
    flow_id TEXT NOT NULL,
    question_id TEXT NOT NULL,
    unit TEXT,
    service TEXT,
    language TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX feedback_unit ON feedback (unit, created_at);

CREATE TABLE timers (
    id INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    kind TEXT NOT NULL,                  -- expire | remind | start
    step INTEGER NOT NULL,               -- fires only if the conversation is still at this step
    due_at TEXT NOT NULL,
    done_at TEXT
);
CREATE INDEX timers_due ON timers (due_at) WHERE done_at IS NULL;

CREATE TABLE opt_outs (
    respondent TEXT PRIMARY KEY,         -- keyed hash only, never the number
    created_at TEXT NOT NULL
);
"""

_V2 = """
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,                -- the system that posted it
    source_id TEXT NOT NULL,             -- its own id: a repeat gets the stored answer
    type TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    phone TEXT,                          -- E.164; NULL once retention has passed
    respondent TEXT,
    unit TEXT,
    service TEXT,
    channel TEXT,
    language TEXT,
    attributes TEXT NOT NULL DEFAULT '{}',
    journey_id TEXT,
    journey_step TEXT,
    flow_id TEXT,
    decision TEXT NOT NULL,              -- started | scheduled | skipped
    reason TEXT,                         -- why: fatigue | opted_out | busy | quiet_hours | ...
    conversation_id TEXT,
    due_at TEXT,                         -- a scheduled survey's start
    answer TEXT NOT NULL,                -- the JSON answered for it, given again on a repeat
    UNIQUE (source, source_id)
);
CREATE INDEX events_due ON events (due_at) WHERE decision = 'scheduled';
CREATE INDEX events_received ON events (received_at);
CREATE INDEX messages_pending_phone ON messages (phone, id)
    WHERE direction = 'out' AND status IN ('queued', 'sending', 'uncertain');
CREATE INDEX messages_recent_body ON messages (phone, created_at)
    WHERE direction = 'out';

CREATE TABLE inbound_parts (
    phone TEXT NOT NULL,
    sender TEXT NOT NULL,
    concat_ref TEXT NOT NULL,
    total INTEGER NOT NULL,
    part INTEGER NOT NULL,
    text TEXT NOT NULL,
    provider_ref TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (phone, concat_ref, part)
);

CREATE TABLE receipts (
    provider_ref TEXT NOT NULL,
    status TEXT NOT NULL,
    error_code TEXT NOT NULL,
    message_id INTEGER REFERENCES messages (id),
    received_at TEXT NOT NULL,
    PRIMARY KEY (provider_ref, status, error_code)
);
"""

_V3 = """
CREATE TABLE feedback_tags (
    feedback_id INTEGER NOT NULL REFERENCES feedback (id),
    tag TEXT NOT NULL,
    state TEXT NOT NULL,                 -- suggested | confirmed | rejected
    changed_by TEXT NOT NULL,            -- 'rules' or the person who decided
    changed_at TEXT NOT NULL,
    PRIMARY KEY (feedback_id, tag)
);
CREATE INDEX feedback_tags_tag ON feedback_tags (tag, state);

CREATE TABLE tag_changes (
    id INTEGER PRIMARY KEY,
    feedback_id INTEGER NOT NULL REFERENCES feedback (id),
    tag TEXT NOT NULL,
    action TEXT NOT NULL,                -- suggest | confirm | add | remove
    changed_by TEXT NOT NULL,
    changed_at TEXT NOT NULL
);
CREATE INDEX tag_changes_feedback ON tag_changes (feedback_id, id);
"""

_RECEIPT_REASONS = """
ALTER TABLE receipts ADD COLUMN error_reason TEXT;  -- the provider's words for error_code
"""

_PARTS_BY_PROVIDER_ID = """
CREATE TABLE inbound_parts_by_id (
    provider_ref TEXT PRIMARY KEY,       -- the provider's id for this part: its duplicate key
    phone TEXT,                          -- the sender while the message is open, then NULL
    sender TEXT NOT NULL,                -- our number
    concat_ref TEXT NOT NULL,            -- one byte on the air: it wraps, later messages reuse it
    total INTEGER NOT NULL,
    part INTEGER NOT NULL,
    text TEXT,                           -- NULL once the message is closed
    received_at TEXT NOT NULL,
    whole_ref TEXT                       -- NULL while open; then the whole's ref, or abandoned
);
INSERT OR IGNORE INTO inbound_parts_by_id
    (provider_ref, phone, sender, concat_ref, total, part, text, received_at)
    SELECT provider_ref, phone, sender, concat_ref, total, part, text, received_at
    FROM inbound_parts;
DROP TABLE inbound_parts;
ALTER TABLE inbound_parts_by_id RENAME TO inbound_parts;
CREATE INDEX inbound_parts_open ON inbound_parts (phone, sender, concat_ref, total, part)
    WHERE whole_ref IS NULL;
CREATE INDEX inbound_parts_received ON inbound_parts (received_at);
"""

# Trials: conversations and events that try a flow (`smsbot chat`, the web phone simulator, an
# event posted with "trial": true) are marked, and reports, the dashboard and exports leave them
# out unless asked. Before this, nothing marked them; what is stored is recognised thus:
#  - an event on a number from the range set aside for fiction (+46 70-174 06 05 to 99, which
#    no person has; chat, the simulator and the README's quick start use it) is a trial;
#  - a conversation that no real event started is a trial: chat and the simulator start theirs
#    without one, while every survey an event started is named by that event's conversation_id
#    (kept by purge, which only blanks numbers);
#  - a conversation on a number from that range is a trial too.
# A number that retention has already purged cannot be recognised; what it belongs to keeps
# what the rules above say without it.
TRIALS = """
ALTER TABLE conversations ADD COLUMN trial INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN trial INTEGER NOT NULL DEFAULT 0;
UPDATE events SET trial = 1
    WHERE length(phone) = 12 AND phone BETWEEN '+46701740605' AND '+46701740699';
UPDATE conversations SET trial = 1
    WHERE id NOT IN (SELECT conversation_id FROM events
            WHERE conversation_id IS NOT NULL AND trial = 0)
        OR (length(phone) = 12 AND phone BETWEEN '+46701740605' AND '+46701740699');
"""

# At production size (issue 11): the hot path finds its rows through an index, whatever the
# history. The sender's claim asks for queued or uncertain messages, replies first, then by
# due time: messages_due holds exactly those (messages_outbox held only the queued ones, so no
# query could use it). messages_sending holds the messages a crash may catch mid-send (the
# recovery at start-up). Timers are found by conversation (the expiry UPDATE after each
# answer, the one-reminder check), not by scanning every open timer.
_V_SCALE = """
DROP INDEX messages_outbox;
CREATE INDEX messages_due ON messages (priority, due_at, id)
    WHERE direction = 'out' AND status IN ('queued', 'uncertain');
CREATE INDEX messages_sending ON messages (id) WHERE direction = 'out' AND status = 'sending';
CREATE INDEX timers_conversation ON timers (conversation_id, kind);
"""

# The reply's language (issue 17): what the language detector (lingua, limited to the flow's
# languages) saw in each free-text reply. `language` stays the conversation's language when the
# feedback came; tagging uses the reply's language when the detector was sure enough of it.
_REPLY_LANGUAGE = """
ALTER TABLE feedback ADD COLUMN reply_language TEXT;       -- sv, fi, en; NULL: no verdict
ALTER TABLE feedback ADD COLUMN language_confidence REAL;  -- the detector's confidence, 0..1
"""

# Journeys (issue 17): the journey report counts one journey type's conversations, found by
# the start of their journey ids (a range on this index). Only conversations of a journey are
# in it, so surveys without one cost nothing more.
JOURNEYS_INDEX = """
CREATE INDEX conversations_journey ON conversations (journey_id, journey_step)
    WHERE journey_id IS NOT NULL;
"""

# People and their rights (issue 15): staff, their roles (unit_manager scoped to units), their
# browser sessions (kept by the SHA-256 of the cookie's id, so a copy of the database signs no
# one in), their API tokens (SHA-256 of the token, shown once), and the append-only audit log,
# each row chained to the one before by a hash (`smsbot audit verify`).
PEOPLE = """
CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    active INTEGER NOT NULL DEFAULT 1,
    sub TEXT UNIQUE,
    password_hash TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE person_roles (
    person_id INTEGER NOT NULL REFERENCES people(id),
    role TEXT NOT NULL,
    unit TEXT NOT NULL DEFAULT '',  -- '' for a role over every unit
    PRIMARY KEY (person_id, role, unit)
);
CREATE TABLE sessions (
    key TEXT PRIMARY KEY,  -- sha256 of the cookie's session id
    person_id INTEGER REFERENCES people(id),  -- NULL: signed in with the bootstrap admin token
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    seen_at TEXT NOT NULL
);
CREATE INDEX sessions_person ON sessions (person_id);
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id),
    name TEXT NOT NULL,
    digest TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    who TEXT NOT NULL,
    person_id INTEGER,
    remote TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
"""

# Journeys, faster (issue 17): the report finds a step's conversations by the step and the
# range of ids that start with the type's prefix (one range per step, where the index above
# gave one range per type, read once per step), and the index holds what the counts read
# (flow, trial, start, unit, first reply, id), so they need no table row. Still only the
# conversations of a journey.
JOURNEYS_COVERING_INDEX = """
DROP INDEX conversations_journey;
CREATE INDEX conversations_journey ON conversations
    (journey_step, journey_id, flow_id, trial, created_at, unit, first_reply_at, id)
    WHERE journey_id IS NOT NULL;
"""

# Results out (issue 16): an admin's webhook subscriptions, the delivery outbox written in the
# same unit as the change it tells of (one row per subscription and event, its webhook-id fixed
# when written so every retry carries the same id), and every attempt at delivering it.
WEBHOOKS = """
CREATE TABLE webhook_subscriptions (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    events TEXT NOT NULL,                -- JSON list of event types
    unit TEXT,                           -- NULL: every unit
    secret TEXT NOT NULL,                -- whsec_...: signs each delivery
    send_phone INTEGER NOT NULL DEFAULT 0,  -- may receive a consented callback number
    active INTEGER NOT NULL DEFAULT 1,
    disabled_reason TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX webhook_subscriptions_unit ON webhook_subscriptions (active, unit);
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY,
    webhook_id TEXT NOT NULL UNIQUE,     -- the webhook-id header, the same on every attempt
    subscription_id INTEGER NOT NULL REFERENCES webhook_subscriptions (id),
    event_type TEXT NOT NULL,
    unit TEXT,
    payload TEXT NOT NULL,               -- the JSON body, exactly as signed and sent
    status TEXT NOT NULL,                -- pending | delivered | failed | cancelled
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    delivered_at TEXT,
    last_error TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (due_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, id);
CREATE TABLE webhook_attempts (
    id INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries (id),
    at TEXT NOT NULL,
    status_code INTEGER,                 -- NULL: no answer (refused, timed out)
    error TEXT,
    milliseconds INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
-- what a unit's contact address is told about by e-mail (new cases): a title and a link, never
-- a phone number; sent instantly or in the daily digest
CREATE TABLE mail_notices (
    id INTEGER PRIMARY KEY,
    unit TEXT NOT NULL,
    title TEXT NOT NULL,
    link_path TEXT NOT NULL,             -- e.g. /ui/cases/17, after [email] base_url
    status TEXT NOT NULL DEFAULT 'waiting',  -- waiting | sent | no_address
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX mail_notices_waiting ON mail_notices (created_at) WHERE status = 'waiting';
"""

# Follow-up cases (issue 16): one per conversation whose answers met a flow's follow-up rule.
# The answers and feedback that opened it are the conversation's (conversation_id). The phone
# number is kept only with consent, and cleared by the purge once the case has been closed for
# the retention period.
CASES = """
CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL UNIQUE REFERENCES conversations (id),
    flow_id TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    unit TEXT,
    service TEXT,
    respondent TEXT,
    consent INTEGER NOT NULL,
    phone TEXT,                          -- E.164, only with consent; NULL after closed + retention
    state TEXT NOT NULL,                 -- open | taken | closed
    taken_by TEXT,
    taken_by_id INTEGER,
    outcome TEXT,                        -- when closed: reached_resolved | ... | no_action_needed
    opened_at TEXT NOT NULL,
    due_at TEXT NOT NULL,
    first_contact_at TEXT,
    closed_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX cases_unit_due ON cases (unit, state, due_at);
CREATE INDEX cases_closed ON cases (closed_at) WHERE phone IS NOT NULL;
CREATE TABLE case_notes (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    at TEXT NOT NULL,
    who TEXT NOT NULL,
    person_id INTEGER,
    action TEXT NOT NULL,                -- note | call | take | close
    text TEXT NOT NULL
);
CREATE INDEX case_notes_case ON case_notes (case_id, id);
"""

MIGRATIONS: tuple[str, ...] = (
    _V1,
    _V2,
    _V3,
    _RECEIPT_REASONS,
    _PARTS_BY_PROVIDER_ID,
    TRIALS,
    _V_SCALE,
    _REPLY_LANGUAGE,
    JOURNEYS_INDEX,
    PEOPLE,
    AGGREGATES,
    JOURNEYS_COVERING_INDEX,
    WEBHOOKS,
    PROFILES,
    CASES,
)
