"""What each route needs, as one table: a right (checked for the person asking, with her units),
an event source's token, or nothing (public by design).

Every route the app serves must be here: a route missing from the table is refused (403) and
tests/http/test_access.py fails naming it. Keys are "METHOD /path/{template}" as aiohttp's
router names them.
"""

from __future__ import annotations

from typing import Literal

from smsbot.people.rights import Right

__all__ = ["PUBLIC", "ROUTE_RULES", "SOURCE", "Rule", "rule_for"]

PUBLIC: Literal["public"] = "public"
SOURCE: Literal["source"] = "source"
Rule = Right | Literal["public", "source"]

ROUTE_RULES: dict[str, Rule] = {
    # health, the index, the API's description, the flow list (no personal data)
    "GET /": PUBLIC,
    "GET /healthz": PUBLIC,
    "GET /readyz": PUBLIC,
    "GET /metrics": PUBLIC,
    "GET /openapi.json": PUBLIC,
    "GET /v1/flows": PUBLIC,
    "GET /docs": PUBLIC,
    "GET /docs/static/{name}": PUBLIC,
    # each webhook checks Vonage's signature itself; the simulator's are 404 with a real transport
    "GET /webhooks/vonage/inbound": PUBLIC,
    "POST /webhooks/vonage/inbound": PUBLIC,
    "GET /webhooks/vonage/status": PUBLIC,
    "POST /webhooks/vonage/status": PUBLIC,
    "POST /webhooks/vonage/messages/inbound": PUBLIC,
    "POST /webhooks/vonage/messages/status": PUBLIC,
    "POST /simulator/inbound": PUBLIC,
    "GET /simulator/messages": PUBLIC,
    # event sources, with their own tokens
    "POST /v1/events": SOURCE,
    "POST /v1/sources/{source}/events": SOURCE,  # a platform's webhook, through its mapping
    # the JSON API for people (a person's API token, or the bootstrap admin token)
    "GET /v1/reports/journeys": Right.VIEW_RESULTS,
    "GET /v1/reports/{section}": Right.VIEW_RESULTS,
    "GET /v1/feedback": Right.VIEW_FEEDBACK,
    r"POST /v1/feedback/{id}/tags": Right.TAG_FEEDBACK,
    r"DELETE /v1/feedback/{id}/tags/{tag}": Right.TAG_FEEDBACK,
    # the web pages (a session)
    "GET /ui/login": PUBLIC,
    "POST /ui/login": PUBLIC,
    "GET /ui/login/oidc": PUBLIC,  # single sign-on: to the provider, and back (webui/oidc.py)
    "GET /ui/login/oidc/callback": PUBLIC,
    "GET /ui/static": PUBLIC,
    "POST /ui/logout": Right.SIGNED_IN,
    "GET /ui": Right.SIGNED_IN,
    "GET /ui/": Right.SIGNED_IN,
    "GET /ui/flows": Right.DESIGN_FLOWS,
    "GET /ui/flows/{id}": Right.DESIGN_FLOWS,
    "GET /ui/simulator": Right.SIMULATE,
    "POST /ui/simulator/start": Right.SIMULATE,
    "POST /ui/simulator/reply": Right.SIMULATE,
    "GET /ui/simulator/chat": Right.SIMULATE,
    "GET /ui/dashboard": Right.VIEW_RESULTS,
    "GET /ui/feedback": Right.VIEW_FEEDBACK,
    "POST /ui/feedback/{id}/{action}": Right.TAG_FEEDBACK,
    "GET /ui/audit": Right.VIEW_AUDIT,
    "GET /ui/tokens": Right.SIGNED_IN,  # her own tokens only
    "POST /ui/tokens": Right.SIGNED_IN,
    "POST /ui/tokens/{id}/revoke": Right.SIGNED_IN,
    # results out: webhook subscriptions, their deliveries and replays (webui/webhooks.py)
    "GET /ui/webhooks": Right.MANAGE_SUBSCRIPTIONS,
    "POST /ui/webhooks": Right.MANAGE_SUBSCRIPTIONS,
    "POST /ui/webhooks/{id}/remove": Right.MANAGE_SUBSCRIPTIONS,
    "POST /ui/webhooks/deliveries/{id}/replay": Right.MANAGE_SUBSCRIPTIONS,
    # follow-up cases (issue 16): a unit manager's of her units, an admin's of all
    "GET /ui/cases": Right.HANDLE_CASES,
    "GET /ui/cases/{id}": Right.HANDLE_CASES,
    "POST /ui/cases/{id}/take": Right.HANDLE_CASES,
    "POST /ui/cases/{id}/note": Right.HANDLE_CASES,
    "POST /ui/cases/{id}/close": Right.HANDLE_CASES,
}


def rule_for(method: str, canonical: str) -> Rule | None:
    """The rule of a route (HEAD as GET), or None when the table has none."""
    return ROUTE_RULES.get(f"{'GET' if method == 'HEAD' else method} {canonical}")
