"""A real OpenID Connect provider on loopback for the sign-in tests, and a gateway that uses it.

`TestProvider` is a small provider on aiohttp with the protocol done for real: discovery, a JWKS,
an authorization page (Approve / Cancel), PKCE (S256) checked at the token endpoint, the client
secret checked (HTTP Basic or in the form), one-time codes, ID tokens signed by joserfc. Knobs make
it misbehave the way real providers and attackers do: `audience` (a token for another client),
`lifetime` (negative: already expired), `token_issuer` (another issuer), `rotate()` (a new
signing key, published), `sign_with` (a key it does not publish), `nonce` (someone else's);
`issuer_slash` ends its issuer with "/" as some providers do. `jwks_fetches` counts key
downloads.

Its address uses the name `localhost` while the gateway is on 127.0.0.1: two sites to the
browser, as a real provider is, so SameSite rules apply as they would in production.

`sso_gateway()` runs a gateway configured for the provider, its ON_IDENTITY hook the gateway's
own (`webui.sso`), noting each identity; the provider's Anna is in a group mapped to analyst.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from joserfc import jwt
from joserfc.jwk import RSAKey

from smsbot.bootstrap.serve import build_gateway
from smsbot.bootstrap.web import build_app
from smsbot.config import load_config
from smsbot.webui import sso
from smsbot.webui.oidc import ON_IDENTITY, Identity
from tests.conftest import ManualClock
from tests.harness import ROOT, Running, gateway_env

CLIENT_ID = "smsbot-test-client"
CLIENT_SECRET = "client-secret-for-tests-0123456789"
ADMIN_TOKEN = "sso-admin-token-0123456789"
IDENTITIES = web.AppKey("test_identities", list)


def _new_key() -> RSAKey:
    key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"})
    key.ensure_kid()
    return key


@dataclass
class _Grant:
    redirect_uri: str
    challenge: str
    nonce: str
    client_id: str
    user: str


@dataclass
class TestProvider:
    """The provider's state; `url` is set once it listens."""

    url: str = ""
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    audience: str | None = None
    lifetime: int = 300
    nonce: str | None = None
    issuer_slash: bool = False  # its issuer ends with "/" (as some providers' do)
    token_issuer: str | None = None
    signing: RSAKey = field(default_factory=_new_key)
    published: list[RSAKey] = field(default_factory=list)
    sign_with: RSAKey | None = None
    jwks_fetches: int = 0
    token_requests: int = 0
    _grants: dict[str, _Grant] = field(default_factory=dict)

    __test__ = False  # not a pytest test class

    def __post_init__(self) -> None:
        self.published = [self.signing]
        self.users.setdefault(
            "anna",
            {
                "sub": "anna-0001",
                "email": "anna.berg@example.org",
                "name": "Anna Berg",
                "groups": ["smsbot-analysts"],
            },
        )

    @property
    def issuer(self) -> str:
        return self.url + "/" if self.issuer_slash else self.url

    def rotate(self) -> RSAKey:
        """A new signing key, published in place of the old one (as providers rotate)."""
        self.signing = _new_key()
        self.published = [self.signing]
        return self.signing

    # --- the endpoints ---------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/.well-known/openid-configuration", self.discovery)
        app.router.add_get("/jwks", self.jwks)
        app.router.add_get("/authorize", self.authorize_page)
        app.router.add_post("/authorize", self.authorize)
        app.router.add_post("/token", self.token)
        return app

    async def discovery(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": self.issuer,
                "authorization_endpoint": self.url + "/authorize",
                "token_endpoint": self.url + "/token",
                "jwks_uri": self.url + "/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            }
        )

    async def jwks(self, request: web.Request) -> web.Response:
        self.jwks_fetches += 1
        return web.json_response({"keys": [key.as_dict(private=False) for key in self.published]})

    async def authorize_page(self, request: web.Request) -> web.Response:
        query = request.query
        problems = [
            name
            for name, ok in (
                ("response_type", query.get("response_type") == "code"),
                ("scope", "openid" in query.get("scope", "").split()),
                ("code_challenge_method", query.get("code_challenge_method") == "S256"),
                ("code_challenge", len(query.get("code_challenge", "")) >= 43),
                ("state", bool(query.get("state"))),
                ("nonce", bool(query.get("nonce"))),
            )
            if not ok
        ]
        if problems:
            return web.Response(status=400, text="bad authorization request: " + str(problems))
        hidden = "".join(f'<input type="hidden" name="{k}" value="{v}">' for k, v in query.items())
        options = "".join(f'<option value="{u}">{u}</option>' for u in self.users)
        page = (
            "<!doctype html><html lang='en'><head><title>Test provider</title></head><body>"
            f"<main><h1>Test identity provider</h1><form method='post'>{hidden}"
            f"<label for='user'>User</label><select id='user' name='user'>{options}</select>"
            "<button name='answer' value='approve'>Approve</button>"
            "<button name='answer' value='cancel'>Cancel</button></form></main></body></html>"
        )
        return web.Response(text=page, content_type="text/html")

    async def authorize(self, request: web.Request) -> web.Response:
        form = await request.post()
        redirect_uri, state = str(form["redirect_uri"]), str(form["state"])
        if form.get("answer") != "approve":
            answer = {
                "error": "access_denied",
                "error_description": "The user said no",
                "state": state,
            }
            raise web.HTTPFound(redirect_uri + "?" + urlencode(answer))
        code = secrets.token_urlsafe(16)
        self._grants[code] = _Grant(
            redirect_uri,
            str(form["code_challenge"]),
            str(form["nonce"]),
            str(form["client_id"]),
            str(form.get("user", "anna")),
        )
        raise web.HTTPFound(redirect_uri + "?" + urlencode({"code": code, "state": state}))

    async def token(self, request: web.Request) -> web.Response:
        self.token_requests += 1
        form = await request.post()
        if not self._client_ok(request, form.get("client_id")):
            return web.json_response({"error": "invalid_client"}, status=401)
        grant = self._grants.pop(str(form.get("code", "")), None)
        if (
            grant is None
            or form.get("grant_type") != "authorization_code"
            or form.get("redirect_uri") != grant.redirect_uri
            or _s256(str(form.get("code_verifier", ""))) != grant.challenge
        ):
            return web.json_response({"error": "invalid_grant"}, status=400)
        id_token = self.id_token(grant.user, grant.nonce)
        return web.json_response(
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            }
        )

    def _client_ok(self, request: web.Request, form_client: object) -> bool:
        basic = request.headers.get("Authorization", "")
        if not basic.startswith("Basic "):
            return False
        client, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
        return client == CLIENT_ID and secret == CLIENT_SECRET and form_client == CLIENT_ID

    def id_token(self, user: str, nonce: str) -> str:
        now = int(time.time())
        claims = {
            **self.users[user],
            "iss": self.token_issuer or self.issuer,
            "aud": self.audience or CLIENT_ID,
            "iat": now,
            "exp": now + self.lifetime,
            "nonce": self.nonce or nonce,
        }
        key = self.sign_with or self.signing
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@asynccontextmanager
async def running_provider() -> AsyncIterator[TestProvider]:
    provider = TestProvider()
    server = TestServer(provider.app(), host="127.0.0.1")
    await server.start_server()
    provider.url = f"http://localhost:{server.port}"
    try:
        yield provider
    finally:
        await server.close()


async def recording_hook(request: web.Request, identity: Identity) -> web.StreamResponse:
    """The gateway's own hook (`webui.sso`: find the person, open her session), noting each
    identity the provider vouched for."""
    request.app[IDENTITIES].append(identity)
    return await sso.sign_in_identity(request, identity)


def sso_env(tmp: Path, issuer: str, **more: str) -> dict[str, str]:
    settings = {
        "SMSBOT_SERVER__ADMIN_TOKEN": ADMIN_TOKEN,
        "SMSBOT_OIDC__ISSUER": issuer,
        "SMSBOT_OIDC__CLIENT_ID": CLIENT_ID,
        "SMSBOT_OIDC__CLIENT_SECRET": CLIENT_SECRET,
        "SMSBOT_OIDC__NAME": "Test ID",
        "SMSBOT_OIDC__GROUP_ROLES": "smsbot-analysts=analyst",  # Anna's group
    }
    return gateway_env(tmp, **{**settings, **more})


@dataclass
class SSOGateway:
    running: Running
    identities: list[Identity]

    @property
    def url(self) -> str:
        return self.running.url


@asynccontextmanager
async def sso_gateway(
    env: dict[str, str], clock: ManualClock, *, hook: bool = True
) -> AsyncIterator[SSOGateway]:
    """A gateway on 127.0.0.1 with [oidc] from `env`; with `hook`, the test-only session hook."""
    config = load_config(ROOT / "config.toml", environ=env)
    gateway = await build_gateway(config, clock=clock)
    app = build_app(gateway)
    identities: list[Identity] = []
    app[IDENTITIES] = identities
    if hook:
        app[ON_IDENTITY] = recording_hook
    else:
        del app[ON_IDENTITY]
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    await gateway.start()
    async with aiohttp.ClientSession() as http:
        try:
            url = str(server.make_url("")).rstrip("/")
            yield SSOGateway(Running(gateway, http, url, clock), identities)
        finally:
            await server.close()
            await gateway.stop()
