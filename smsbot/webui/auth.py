"""Sign-in, sessions in the database, rights on every page, CSRF tokens for every form.

- GET/POST /ui/login: a person signs in with her e-mail and password (Argon2id). Attempts are
  rate-limited per account and per address (`smsbot.people.throttle`); a lockout and its release
  are logged and audited. Before the first admin exists, the bootstrap admin token
  (SMSBOT_SERVER__ADMIN_TOKEN), typed as the password with no e-mail, signs in as "admin token".
- `sign_in(request, person)` is how any sign-in method (this form, OpenID Connect) starts a
  session: see its docstring.
- Sessions are rows in the database (any gateway process serves any browser; a restart signs no
  one out), keyed by the SHA-256 of a random id kept in an HttpOnly, SameSite=Strict cookie
  scoped to /ui (Secure over https). They end after `SessionTimes.idle` without a request and
  `SessionTimes.absolute` after sign-in; signing out ends every session of the person.
- Every route has a rule in smsbot.people.routes; a page the person may not open answers 403 and
  is audited, as is a unit filter outside a unit manager's units (`OutOfScope`).
- Every POST under /ui/ needs the session's CSRF token (form field `csrf_token` or header
  `X-CSRF-Token`) and, when the browser sends one, an Origin equal to our own.
- Without a session a page answers 303 to the login page, which returns to it afterwards.
"""

from __future__ import annotations

import hmac
from urllib.parse import quote, urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler

from smsbot.gateway.access import (
    BOOTSTRAP,
    PERSON,
    OutOfScope,
    audit,
    bootstrap_token_works,
    person_of,
    remote_of,
    route_rule,
)
from smsbot.gateway.runner import GATEWAY, Gateway
from smsbot.logs import get_logger
from smsbot.people import accounts
from smsbot.people.accounts import SessionTimes
from smsbot.people.rights import Right, may
from smsbot.people.routes import PUBLIC
from smsbot.people.throttle import SignInThrottle
from smsbot.storage.accounts import Person, StoredSession
from smsbot.webui.oidc import button_label
from smsbot.webui.render import render

__all__ = [
    "COOKIE",
    "OPEN_PATHS",
    "THROTTLE",
    "TIMES",
    "csrf_token_of",
    "guard",
    "routes",
    "session_id_of",
    "sign_in",
]

log = get_logger(__name__)

COOKIE = "smsbot_session"
OPEN_PATHS = ("/ui/login", "/ui/static/")
THROTTLE = web.AppKey("ui_sign_in_throttle", SignInThrottle)
TIMES = web.AppKey("ui_session_times", SessionTimes)
_SESSION_KEY = web.RequestKey("ui_session", StoredSession)
_SESSION_ID = web.RequestKey("ui_session_id", str)
# Results and feedback seen, tags changed, exports, the audit log read: each is audited.
AUDITED = {
    Right.VIEW_RESULTS: "view_results",
    Right.VIEW_FEEDBACK: "view_feedback",
    Right.TAG_FEEDBACK: "tag",
    Right.EXPORT: "export",
    Right.VIEW_AUDIT: "view_audit",
}


def session_id_of(request: web.Request) -> str:
    """A key for per-browser state (the session's stored key), or "" before login."""
    session = request.get(_SESSION_KEY)
    return session.key if session is not None else ""


def csrf_token_of(request: web.Request) -> str:
    session = request.get(_SESSION_KEY)
    return session.csrf if session is not None else ""


def _gateway(request: web.Request) -> Gateway:
    return request.app[GATEWAY]


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Everything under /ui/ but the login page and static files needs a session and a right."""
    if not (request.path == "/ui" or request.path.startswith("/ui/")):
        return await handler(request)
    response = await _guarded(request, handler)
    _security_headers(response)
    return response


async def _guarded(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith("/ui/static/"):
        return await handler(request)
    if not await _sign_in_possible(_gateway(request)):
        return await _message(request, 503, "No one can sign in yet", NO_ONE)
    if request.method == "POST" and not _same_origin(request):
        log.warning("ui_refused", reason="cross_origin", path=request.path)
        return await _message(request, 403, "Refused", "This form came from another site.")
    if route_rule(request) == PUBLIC:
        return await handler(request)
    if not await _signed_in(request):
        raise web.HTTPSeeOther(f"/ui/login?next={quote(request.path, safe='/')}")
    session = request[_SESSION_KEY]
    if request.method == "POST" and not await _csrf_ok(request, session):
        log.warning("ui_refused", reason="csrf", path=request.path)
        return await _message(request, 403, "Refused", STALE_FORM)
    return await _page_or_problem(request, handler)


async def _sign_in_possible(gateway: Gateway) -> bool:
    if gateway.config.server.admin_token:
        return True
    async with gateway.parts.store.read() as tx:
        return bool(await tx.people.all())


async def _signed_in(request: web.Request) -> bool:
    session_id = request.cookies.get(COOKIE, "")
    gateway = _gateway(request)
    found = await accounts.session_person(
        gateway.parts.store, session_id, gateway.clock.now(), request.app[TIMES], BOOTSTRAP
    )
    if found is None:
        return False
    request[PERSON], request[_SESSION_KEY] = found
    request[_SESSION_ID] = session_id
    return True


async def _page_or_problem(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The page if the person may open it; a page, not the API's JSON, for a refusal, an
    unknown path or method."""
    person = request[PERSON]
    rule = route_rule(request)
    if request.match_info.http_exception is None and not (
        isinstance(rule, Right) and may(person, rule)
    ):
        return await _refuse(request, person, "no_right", {"needs": str(rule)})
    try:
        response = await _audited(request, handler, rule)
    except web.HTTPNotFound:
        return await _message(request, 404, "No such page", NOT_FOUND)
    except web.HTTPMethodNotAllowed as error:
        answer = await _message(request, 405, "Not allowed", "This page cannot do that.")
        answer.headers["Allow"] = error.headers.get("Allow", "")
        return answer
    except OutOfScope as error:
        return await _refuse(request, person, "out_of_scope", {"unit": error.unit})
    return response


async def _audited(request: web.Request, handler: Handler, rule: object) -> web.StreamResponse:
    """The handler's answer; a view, a change or an export that succeeded is audited (a change
    answers with a redirect, raised)."""
    action = AUDITED.get(rule) if isinstance(rule, Right) else None
    try:
        response = await handler(request)
    except web.HTTPException as done:
        if action and done.status < 400:
            await audit(request, action)
        raise
    if action and response.status < 400:
        await audit(request, action)
    return response


async def _refuse(
    request: web.Request, person: Person, reason: str, detail: dict[str, object]
) -> web.Response:
    log.warning("ui_refused", reason=reason, path=request.path, person_id=person.id)
    await audit(request, "refused", detail={"reason": reason, **detail})
    return await _message(request, 403, "Not yours to open", NOT_YOURS)


NO_ONE = (
    "No one has been added yet. Add the first admin on the server with `smsbot users add "
    "--name NAME --email E-MAIL --role admin`, or set the environment variable "
    "SMSBOT_SERVER__ADMIN_TOKEN to a long random secret and restart the gateway to sign in "
    "with it once."
)
STALE_FORM = "The form was out of date or not ours. Go back, reload the page and try again."
NOT_FOUND = "There is no page at this address. Choose one of the pages above."
NOT_YOURS = (
    "Your roles do not let you open this page, or these results are of a unit that is not "
    "yours. The attempt is recorded. Choose one of the pages above, or ask an admin."
)


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:  # not sent (older browsers, curl): the CSRF token still guards
        return True
    parts = urlsplit(origin)
    return parts.netloc == request.host


async def _csrf_ok(request: web.Request, session: StoredSession) -> bool:
    sent = request.headers.get("X-CSRF-Token", "")
    if not sent and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        sent = str((await request.post()).get("csrf_token", ""))
    return bool(sent) and hmac.compare_digest(sent.encode(), session.csrf.encode())


def _security_headers(response: web.StreamResponse) -> None:
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")  # no-referrer makes Origin "null"
    response.headers.setdefault("X-Frame-Options", "DENY")


async def _message(request: web.Request, status: int, title: str, text: str) -> web.Response:
    return await render(request, "message.html", status=status, title=title, text=text)


def routes(gateway: Gateway) -> list[web.RouteDef]:
    return [
        web.get("/ui/login", login_page),
        web.post("/ui/login", login),
        web.post("/ui/logout", logout),
    ]


def next_path(request: web.Request) -> str:
    """Where to go after signing in: a path of ours only (never another site)."""
    wanted = request.query.get("next", "")
    if wanted.startswith("/ui/") and not wanted.startswith("//") and "\\" not in wanted:
        return wanted
    return "/ui/"  # the home page


async def sign_in(
    request: web.Request, person: Person, *, method: str = "password", next_to: str | None = None
) -> web.Response:
    """Start a session for `person` and answer 303 to where she was going.

    The stable entry point for every sign-in method (the password form here, OpenID Connect in
    smsbot.webui.oidc): call it once the person is known and active, e.g.

        person = await person_for_identity(store, sub, email, name, groups, now=now)
        if person is None: ...refuse...
        return await sign_in(request, person, method="oidc", next_to="/ui/dashboard")

    It ends the browser's previous session (a new id every sign-in: no fixation), stores the new
    one, sets the cookie, audits `sign_in` with `method`, and returns the redirect (raise or
    return it). `next_to` defaults to the request's `?next=` (a path under /ui/ only).
    """
    gateway = _gateway(request)
    store = gateway.parts.store
    old = request.cookies.get(COOKIE)
    if old:
        await accounts.end_session(store, old)
    session_id, _ = await accounts.open_session(store, person, gateway.clock.now())
    log.info("ui_login", person_id=person.id, method=method, remote=remote_of(request))
    await audit(request, "sign_in", person=person, detail={"method": method})
    response = web.Response(status=303, headers={"Location": next_to or next_path(request)})
    response.set_cookie(
        COOKIE,
        session_id,
        path="/ui",
        httponly=True,
        samesite="Strict",
        secure=request.secure,
        max_age=int(request.app[TIMES].absolute.total_seconds()),
    )
    return response


async def login_page(request: web.Request) -> web.Response:
    return await _login_form(request, 200, "")


async def _login_form(
    request: web.Request, status: int, problem: str, email: str = ""
) -> web.Response:
    return await render(
        request,
        "login.html",
        status=status,
        next_path=next_path(request),
        problem=problem,
        email=email,
        sso_label=button_label(request),
    )


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    email = str(form.get("email", "")).strip()[:254]
    password = str(form.get("password", "") or form.get("token", ""))
    gateway = _gateway(request)
    throttle, remote, moment = request.app[THROTTLE], remote_of(request), gateway.clock.now()
    verdict = throttle.check(email, remote, moment.timestamp())
    await _log_lock_changes(request, verdict.changes)
    if not verdict.allowed:
        minutes = max(1, round(verdict.retry_after / 60))
        problem = f"Too many failed sign-ins. Try again in {minutes} minute(s)."
        await audit(request, "sign_in_refused", who=email, detail={"reason": "locked"})
        return await _login_form(request, 429, problem, email)
    person = await _who_signs_in(gateway, email, password)
    if person is None:
        log.warning("ui_login_failed", remote=remote)
        failed = throttle.failed(email, remote, moment.timestamp())
        await audit(request, "sign_in_failed", who=email or "(no e-mail)")
        await _log_lock_changes(request, failed.changes)
        problem = "That e-mail and password do not match. Check them and try again."
        return await _login_form(request, 401, problem, email)
    throttle.succeeded(email, remote)
    return await sign_in(request, person)


async def _who_signs_in(gateway: Gateway, email: str, password: str) -> Person | None:
    if not password:
        return None
    if not email:
        return BOOTSTRAP if await bootstrap_token_works(gateway, password) else None
    return await accounts.password_matches(gateway.parts.store, email, password)


async def _log_lock_changes(
    request: web.Request, changes: tuple[tuple[str, str, str], ...]
) -> None:
    for change, kind, key in changes:
        event = "sign_in_locked" if change == "locked" else "sign_in_lock_released"
        log.warning(event, kind=kind, remote=remote_of(request))
        await audit(request, event, who=key if kind == "account" else "", detail={"kind": kind})


async def logout(request: web.Request) -> web.StreamResponse:
    """Ends every session of the person (sign-out everywhere)."""
    person = person_of(request)
    gateway = _gateway(request)
    everywhere = person.id if person is not None and person.id else None
    await accounts.end_session(gateway.parts.store, request.get(_SESSION_ID, ""), everywhere)
    await audit(request, "sign_out")
    response = web.HTTPSeeOther("/ui/login")
    response.del_cookie(COOKIE, path="/ui")
    raise response
