"""Login with the admin token, sessions in a cookie, CSRF tokens for every form.

- GET/POST /ui/login: the token is typed into a form and posted; it never goes into a URL,
  a cookie or a log. A good token gets a session: a random id in an HttpOnly, SameSite=Strict
  cookie scoped to /ui (Secure over https), kept in memory for `SESSION_HOURS` (a restart
  signs everyone out).
- Every POST under /ui/ needs the session's CSRF token (form field `csrf_token` or header
  `X-CSRF-Token`) and, when the browser sends one, an Origin equal to our own.
- Without a session a page answers 303 to the login page, which returns to it afterwards.
- With no admin token configured the pages answer 503 and say how to set one.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler

from smsbot.gateway.runner import GATEWAY, Gateway
from smsbot.logs import get_logger
from smsbot.webui.oidc import button_label
from smsbot.webui.render import render

__all__ = ["SESSIONS", "Sessions", "csrf_token_of", "guard", "routes", "session_id_of"]

log = get_logger(__name__)

COOKIE = "smsbot_session"
SESSION_HOURS = 8
OPEN_PATHS = ("/ui/login", "/ui/static/")


@dataclass
class Session:
    id: str
    csrf: str
    expires: float


class Sessions:
    """Signed-in browsers, in memory."""

    def __init__(self, hours: float = SESSION_HOURS) -> None:
        self._seconds = hours * 3600
        self._by_id: dict[str, Session] = {}

    def create(self) -> Session:
        self._forget_expired()
        session = Session(
            secrets.token_urlsafe(32), secrets.token_urlsafe(32), time.monotonic() + self._seconds
        )
        self._by_id[session.id] = session
        return session

    def get(self, session_id: str | None) -> Session | None:
        session = self._by_id.get(session_id or "")
        if session is None or session.expires < time.monotonic():
            return None
        return session

    def drop(self, session_id: str | None) -> None:
        self._by_id.pop(session_id or "", None)

    def _forget_expired(self) -> None:
        now = time.monotonic()
        for key in [k for k, s in self._by_id.items() if s.expires < now]:
            del self._by_id[key]


SESSIONS = web.AppKey("ui_sessions", Sessions)
_SESSION_KEY = web.RequestKey("ui_session", Session)


def session_id_of(request: web.Request) -> str:
    """The signed-in session's id (a key for per-browser state), or "" before login."""
    session = request.get(_SESSION_KEY)
    return session.id if session is not None else ""


def csrf_token_of(request: web.Request) -> str:
    session = request.get(_SESSION_KEY)
    return session.csrf if session is not None else ""


def _admin_token(request: web.Request) -> str | None:
    token: str | None = request.app[GATEWAY].config.server.admin_token
    return token


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Everything under /ui/ but the login page and static files needs a session."""
    if not (request.path == "/ui" or request.path.startswith("/ui/")):
        return await handler(request)
    response = await _guarded(request, handler)
    _security_headers(response)
    return response


async def _guarded(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith("/ui/static/"):
        return await handler(request)
    if not _admin_token(request):
        return await _message(request, 503, "The web pages are switched off", NO_TOKEN)
    if request.method == "POST" and not _same_origin(request):
        log.warning("ui_refused", reason="cross_origin", path=request.path)
        return await _message(request, 403, "Refused", "This form came from another site.")
    if request.path.startswith("/ui/login"):
        return await handler(request)
    session = request.app[SESSIONS].get(request.cookies.get(COOKIE))
    if session is None:
        raise web.HTTPSeeOther(f"/ui/login?next={quote(request.path, safe='/')}")
    request[_SESSION_KEY] = session
    if request.method == "POST" and not await _csrf_ok(request, session):
        log.warning("ui_refused", reason="csrf", path=request.path)
        return await _message(request, 403, "Refused", STALE_FORM)
    return await _page_or_problem(request, handler)


async def _page_or_problem(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A signed-in browser gets a page, not the API's JSON, for an unknown path or method."""
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return await _message(request, 404, "No such page", NOT_FOUND)
    except web.HTTPMethodNotAllowed as error:
        answer = await _message(request, 405, "Not allowed", "This page cannot do that.")
        answer.headers["Allow"] = error.headers.get("Allow", "")
        return answer


NO_TOKEN = (
    "Set the environment variable SMSBOT_SERVER__ADMIN_TOKEN to a long random secret and "
    "restart the gateway; you then sign in here with that token."
)
STALE_FORM = "The form was out of date or not ours. Go back, reload the page and try again."
NOT_FOUND = "There is no page at this address. Choose one of the pages above."


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:  # not sent (older browsers, curl): the CSRF token still guards
        return True
    parts = urlsplit(origin)
    return parts.netloc == request.host


async def _csrf_ok(request: web.Request, session: Session) -> bool:
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


def _next_path(request: web.Request) -> str:
    """Where to go after signing in: a path of ours only (never another site)."""
    wanted = request.query.get("next", "")
    if wanted.startswith("/ui/") and not wanted.startswith("//") and "\\" not in wanted:
        return wanted
    return "/ui/"  # the home page


async def login_page(request: web.Request) -> web.Response:
    return await render(
        request,
        "login.html",
        next_path=_next_path(request),
        problem="",
        sso_label=button_label(request),
    )


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    typed = str(form.get("token", ""))
    expected = _admin_token(request) or ""
    if not typed or not hmac.compare_digest(typed.encode(), expected.encode()):
        log.warning("ui_login_failed", remote=request.remote)
        problem = "That token is not right. Check it and try again."
        return await render(
            request,
            "login.html",
            status=401,
            next_path=_next_path(request),
            problem=problem,
            sso_label=button_label(request),
        )
    session = request.app[SESSIONS].create()
    log.info("ui_login", remote=request.remote)
    response = web.HTTPSeeOther(_next_path(request))
    response.set_cookie(
        COOKIE,
        session.id,
        path="/ui",
        httponly=True,
        samesite="Strict",
        secure=request.secure,
        max_age=SESSION_HOURS * 3600,
    )
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    request.app[SESSIONS].drop(request.cookies.get(COOKIE))
    response = web.HTTPSeeOther("/ui/login")
    response.del_cookie(COOKIE, path="/ui")
    raise response
