"""Sign-in with OpenID Connect: the authorization code flow with PKCE (S256), `state` and `nonce`.

- GET /ui/login/oidc: a fresh state, nonce and PKCE verifier go into a short-lived cookie
  (HttpOnly, SameSite=Lax so that it comes back with the provider's redirect, scoped to
  /ui/login/oidc, 10 minutes); the browser goes to the provider.
- GET /ui/login/oidc/callback: the state must equal the cookie's; the code is exchanged (with the
  verifier and the client secret) at the token endpoint; the ID token's signature and claims are
  checked (`oidc_client.py`). Who signed in, an `Identity`, goes to the one hook ON_IDENTITY,
  which answers the response (it makes the session). Anything wrong gets a page that says what
  happened and a log line `oidc_refused` with the reason, never a traceback.

Without a hook (no accounts for people yet) a sign-in is refused with a page that says so: the
identity provider's word alone never makes anyone an admin. Tests set the hook.

The hook's contract: `await hook(request, identity)` answers the response, usually a redirect
that sets the session cookie (it may also raise it). A redirect is sent as a small page of ours
that moves on by itself (see `_same_site_hop`), with the hook's cookies; a redirect to the home
page "/ui/" goes instead to where the person was going (`next_path_of(request)`). An e-mail the
provider marks `email_verified: false` is left out of the Identity.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass

import aiohttp
from aiohttp import web

from smsbot.config import OidcConfig
from smsbot.gateway.runner import GATEWAY
from smsbot.logs import get_logger
from smsbot.webui.oidc_client import Identity, Provider, SignInError
from smsbot.webui.render import render

__all__ = [
    "ON_IDENTITY",
    "PROVIDER",
    "Identity",
    "OnIdentity",
    "button_label",
    "install",
    "next_path_of",
]

log = get_logger(__name__)

OnIdentity = Callable[[web.Request, Identity], Awaitable[web.StreamResponse]]
ON_IDENTITY: web.AppKey[OnIdentity] = web.AppKey("oidc_on_identity")
PROVIDER = web.AppKey("oidc_provider", Provider)
_NEXT = web.RequestKey("oidc_next", str)

COOKIE = "smsbot_oidc"
COOKIE_PATH = "/ui/login/oidc"
PENDING_SECONDS = 600
CALLBACK = "/ui/login/oidc/callback"


@dataclass(frozen=True)
class _Pending:
    state: str
    nonce: str
    verifier: str
    next: str
    at: float


def install(app: web.Application, config: OidcConfig) -> None:
    """The routes, and the provider's discovery when the server starts, if [oidc] is set."""
    if not config.enabled:
        return
    app[PROVIDER] = Provider(config)
    app.on_startup.append(_open)
    app.on_cleanup.append(_close)
    app.router.add_get("/ui/login/oidc", begin)
    app.router.add_get(CALLBACK, callback)


def button_label(request: web.Request) -> str:
    """ "Sign in with <provider name>" for the login page, or "" when single sign-on is off."""
    provider = request.app.get(PROVIDER)
    return f"Sign in with {provider.config.name}" if provider is not None else ""


def next_path_of(request: web.Request) -> str:
    """Where the person was going before signing in (for the hook), "/ui/" by default."""
    path: str = request.get(_NEXT, "/ui/")
    return path


async def _open(app: web.Application) -> None:
    provider = app[PROVIDER]
    provider.session = aiohttp.ClientSession()
    try:
        await provider.metadata()
    except SignInError as error:  # the token login still works; sign-in tries again later
        log.warning(
            "oidc_discovery_failed",
            issuer=provider.config.issuer,
            problem=error.reason,
            consequence="'Sign in with' fails until the provider answers; the token login works",
        )
    else:
        log.info("oidc_ready", issuer=provider.config.issuer)


async def _close(app: web.Application) -> None:
    session = app[PROVIDER].session
    if session is not None:
        await session.close()


def _redirect_uri(request: web.Request) -> str:
    public = request.app[GATEWAY].config.server.public_url.rstrip("/")
    return (public or f"{request.scheme}://{request.host}") + CALLBACK


def _wanted(request: web.Request) -> str:
    return _safe_next(request.query.get("next", ""))


def _safe_next(wanted: str) -> str:
    """A path of ours to go to after signing in (never another site), else the home page."""
    if wanted.startswith("/ui/") and not wanted.startswith("//") and "\\" not in wanted:
        return wanted
    return "/ui/"


async def begin(request: web.Request) -> web.StreamResponse:
    provider = request.app[PROVIDER]
    try:
        started = await provider.start(_redirect_uri(request))
    except SignInError as error:
        return await _problem(request, error)
    wanted = _wanted(request)
    pending = _Pending(started.state, started.nonce, started.verifier, wanted, time.time())
    response = web.Response(status=303, headers={"Location": started.url})
    response.set_cookie(
        COOKIE,
        _encode(pending),
        path=COOKIE_PATH,
        httponly=True,
        samesite="Lax",  # sent back with the provider's top-level redirect; Strict would not be
        secure=request.secure,
        max_age=PENDING_SECONDS,
    )
    log.info("oidc_begin", remote=request.remote)
    return response


async def callback(request: web.Request) -> web.StreamResponse:
    try:
        pending = _pending(request)
        identity = await _identify(request, pending)
    except SignInError as error:
        return _forget(await _problem(request, error))
    log.info("oidc_sign_in", sub=identity.sub, groups=len(identity.groups), remote=request.remote)
    request[_NEXT] = pending.next
    hook = request.app.get(ON_IDENTITY, _no_accounts)
    try:
        answer = await hook(request, identity)
    except web.HTTPException as raised:
        answer = raised
    except SignInError as error:  # the hook found no one to sign in
        return _forget(await _problem(request, error))
    response = _forget(await _same_site_hop(request, answer, pending.next))
    if isinstance(response, web.HTTPException):  # aiohttp wants these raised, not returned
        raise response
    return response


async def _identify(request: web.Request, pending: _Pending) -> Identity:
    query = request.query
    if "error" in query:
        raise _provider_said(query.get("error", ""), query.get("error_description", ""))
    if not hmac.compare_digest(query.get("state", "").encode(), pending.state.encode()):
        raise SignInError(
            "wrong_state",
            "Sign-in did not match",
            "This answer from the sign-in service does not belong to the sign-in this browser "
            "started (an old tab, or a link from someone else). Start again from the sign-in page.",
        )
    if not query.get("code"):
        raise SignInError(
            "no_code", "Sign-in did not finish", "The sign-in service sent no code. Start again."
        )
    provider = request.app[PROVIDER]
    return await provider.finish(
        query["code"], _redirect_uri(request), pending.verifier, pending.nonce
    )


def _provider_said(error: str, description: str) -> SignInError:
    if error == "access_denied":
        return SignInError(
            "cancelled: access_denied",
            "Sign-in cancelled",
            "The sign-in was cancelled, or your organisation's sign-in service did not allow "
            "you into smsbot. You can start again, or ask your administrator for access.",
            status=403,
        )
    said = f" It said: “{description[:300]}”" if description else ""
    return SignInError(
        f"provider_error: {error[:60]}",
        "Sign-in did not work",
        f"Your organisation's sign-in service refused the sign-in ({error[:60]}).{said} "
        "Start again; if it goes on, tell the administrator.",
    )


def _pending(request: web.Request) -> _Pending:
    expired = SignInError(
        "expired",
        "Sign-in took too long",
        "The sign-in expired or was started in another browser. Start again from the sign-in "
        "page (it has 10 minutes).",
    )
    pending = _decode(request.cookies.get(COOKIE, ""))
    if pending is None or time.time() - pending.at > PENDING_SECONDS:
        raise expired
    return pending


def _encode(pending: _Pending) -> str:
    return base64.urlsafe_b64encode(json.dumps(asdict(pending)).encode()).decode("ascii")


def _decode(text: str) -> _Pending | None:
    """The cookie's sign-in, or None when it is missing or not one of ours."""
    try:
        fields = json.loads(base64.urlsafe_b64decode(text.encode("ascii")))
        pending = _Pending(**fields) if isinstance(fields, dict) else None
    except (ValueError, TypeError, binascii.Error, UnicodeError):
        return None
    if pending is None or not isinstance(pending.at, int | float):
        return None
    texts = (pending.state, pending.nonce, pending.verifier, pending.next)
    if not all(isinstance(text, str) and text for text in texts):
        return None
    return pending if _safe_next(pending.next) == pending.next else None


def _forget(response: web.StreamResponse) -> web.StreamResponse:
    response.del_cookie(COOKIE, path=COOKIE_PATH)
    return response


async def _same_site_hop(
    request: web.Request, answer: web.StreamResponse, next_path: str
) -> web.StreamResponse:
    """A redirect from the hook becomes a page that moves on by itself. The browser came here
    from the provider's site, so a SameSite=Strict session cookie set now would not go with an
    immediate redirect; from our own page it does. Its cookies go with it."""
    location = answer.headers.get("Location", "")
    if not 300 <= answer.status < 400 or not location:
        return answer
    target = next_path if location == "/ui/" else location
    page = await render(request, "oidc_continue.html", target=target)
    for value in answer.headers.getall("Set-Cookie", []):
        page.headers.add("Set-Cookie", value)
    for morsel in answer.cookies.values():
        page.headers.add("Set-Cookie", morsel.OutputString())
    return page


async def _no_accounts(request: web.Request, identity: Identity) -> web.StreamResponse:
    log.warning("oidc_refused", reason="no_accounts", sub=identity.sub)
    return await render(
        request,
        "oidc_problem.html",
        status=403,
        title="No account for you here yet",
        text=(
            f"Your organisation's sign-in service knows you as {identity.name}, but this smsbot "
            "has no accounts for people yet, so single sign-on cannot let anyone in. Sign in with "
            "the access token, or ask the administrator."
        ),
    )


async def _problem(request: web.Request, error: SignInError) -> web.Response:
    log.warning("oidc_refused", reason=error.reason, remote=request.remote)
    return await render(
        request, "oidc_problem.html", status=error.status, title=error.title, text=error.text
    )
