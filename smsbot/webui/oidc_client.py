"""The OpenID Connect provider as smsbot's sign-in sees it: discovery, the code exchange, and the
ID token's signature and claims.

JOSE is not written here: joserfc (the JOSE half of authlib, split out by its maintainer; authlib's
own `authlib.jose` now points to it) checks signatures and claims, and authlib makes the PKCE
challenge. The provider's keys come from its JWKS (named by the discovery document) and are fetched
again when a token names a key id we do not know (the provider rotated its keys).
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet
from yarl import URL

from smsbot.config import OidcConfig

__all__ = ["Identity", "Provider", "SignInError", "Started", "pkce_pair"]

TIMEOUT = aiohttp.ClientTimeout(total=10)
LEEWAY_SECONDS = 60  # clock difference allowed between the provider and us
# Asymmetric algorithms only: never "none", never a shared-secret HS* that a client could forge.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in: its subject id, e-mail, name and groups."""

    sub: str
    email: str
    name: str
    groups: tuple[str, ...]


class SignInError(Exception):
    """A sign-in that cannot go on. `reason` is for the log; `title` and `text` for the person."""

    def __init__(self, reason: str, title: str, text: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason, self.title, self.text, self.status = reason, title, text, status


@dataclass(frozen=True)
class Started:
    """What a sign-in keeps between the redirect to the provider and the return from it."""

    url: str
    state: str
    nonce: str
    verifier: str


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    return verifier, create_s256_code_challenge(verifier)


def _unreachable(what: str) -> SignInError:
    return SignInError(
        f"provider_unreachable: {what}",
        "The sign-in service cannot be reached",
        "smsbot could not talk to your organisation's sign-in service. Try again in a few "
        "minutes; if it goes on, tell the administrator (the log says why).",
        status=502,
    )


class Provider:
    """One configured provider; `session` is set while the web server runs."""

    def __init__(self, config: OidcConfig) -> None:
        self.config = config
        self.session: aiohttp.ClientSession | None = None
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._lock = asyncio.Lock()

    # --- discovery and keys ---------------------------------------------------------------

    async def metadata(self) -> dict[str, Any]:
        """The discovery document, fetched once (again after a failure)."""
        if self._metadata is None:
            async with self._lock:
                if self._metadata is None:
                    self._metadata = await self._discover()
        return self._metadata

    async def _discover(self) -> dict[str, Any]:
        url = self.config.issuer + "/.well-known/openid-configuration"
        document = await self._get_json(url)
        if str(document.get("issuer", "")).rstrip("/") != self.config.issuer:
            raise _unreachable(
                f"{url} names the issuer {document.get('issuer')!r}, not {self.config.issuer!r}; "
                "set [oidc] issuer to the provider's own"
            )
        missing = [
            key
            for key in ("authorization_endpoint", "token_endpoint", "jwks_uri")
            if not isinstance(document.get(key), str)
        ]
        if missing:
            raise _unreachable(f"{url} has no {', '.join(missing)}")
        return document

    async def _get_json(self, url: str) -> dict[str, Any]:
        if self.session is None:
            raise _unreachable("the web server is not running")
        try:
            async with self.session.get(url, timeout=TIMEOUT) as answer:
                if answer.status != 200:
                    raise _unreachable(f"GET {url} answered HTTP {answer.status}")
                body = await answer.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise _unreachable(f"GET {url}: {error or type(error).__name__}") from None
        if not isinstance(body, dict):
            raise _unreachable(f"GET {url} did not answer a JSON object")
        return body

    async def _key_set(self, *, fresh: bool) -> KeySet:
        if self._keys is None or fresh:
            url = (await self.metadata())["jwks_uri"]
            try:
                self._keys = KeySet.import_key_set(await self._get_json(url))  # type: ignore[arg-type]
            except (JoseError, ValueError, TypeError) as error:
                raise _unreachable(f"{url} holds no usable keys: {error}") from None
        return self._keys

    # --- the flow ------------------------------------------------------------------------

    async def start(self, redirect_uri: str) -> Started:
        """The provider's authorization URL with a fresh state, nonce and PKCE challenge."""
        endpoint = (await self.metadata())["authorization_endpoint"]
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        verifier, challenge = pkce_pair()
        query = {
            "response_type": "code",
            "client_id": self.config.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(self.config.scopes),
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        url = str(URL(endpoint).update_query(query))
        return Started(url, state, nonce, verifier)

    async def finish(self, code: str, redirect_uri: str, verifier: str, nonce: str) -> Identity:
        """The code exchanged for tokens; the ID token checked; who signed in."""
        tokens = await self._exchange(code, redirect_uri, verifier)
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise _refused("no_id_token", "the provider sent no ID token (is 'openid' a scope?)")
        claims = await self.verify(id_token, nonce)
        return self._identity(claims)

    async def _exchange(self, code: str, redirect_uri: str, verifier: str) -> dict[str, Any]:
        metadata = await self.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
            "client_id": self.config.client_id,
        }
        headers = {"Accept": "application/json"}
        secret = self.config.client_secret
        if secret and "client_secret_basic" in metadata.get(
            "token_endpoint_auth_methods_supported", ["client_secret_basic"]
        ):
            headers["Authorization"] = _basic(self.config.client_id, secret)
        elif secret:
            form["client_secret"] = secret
        return await self._post_token(metadata["token_endpoint"], form, headers)

    async def _post_token(
        self, url: str, form: dict[str, str], headers: dict[str, str]
    ) -> dict[str, Any]:
        assert self.session is not None  # metadata() has checked
        try:
            async with self.session.post(url, data=form, headers=headers, timeout=TIMEOUT) as r:
                status, text = r.status, await r.text()
        except (aiohttp.ClientError, TimeoutError, UnicodeError) as error:
            raise _unreachable(f"POST {url}: {error or type(error).__name__}") from None
        try:
            body = json.loads(text)
        except ValueError:
            body = None
        if status != 200 or not isinstance(body, dict):
            said = body.get("error", "") if isinstance(body, dict) else ""
            raise _refused(f"token_refused: HTTP {status} {said}", "the provider refused the code")
        return body

    async def verify(self, id_token: str, nonce: str) -> dict[str, Any]:
        """The ID token's claims, once its signature, issuer, audience, times and nonce hold."""
        algorithms = list(ALGORITHMS)
        try:
            try:
                token = jwt.decode(id_token, await self._key_set(fresh=False), algorithms)
            except InvalidKeyIdError:  # a key we have not seen: the provider may have rotated
                token = jwt.decode(id_token, await self._key_set(fresh=True), algorithms)
            self._registry(nonce, (await self.metadata())["issuer"]).validate(token.claims)
        except JoseError as error:
            raise _token_problem(error) from None
        self._check_azp(token.claims)
        return dict(token.claims)

    def _registry(self, nonce: str, issuer: str) -> jwt.JWTClaimsRegistry:
        """The claims an ID token must hold; `issuer` exactly as the provider writes it (some
        end it with "/", which the configured address may leave off)."""
        return jwt.JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": self.config.client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )

    def _check_azp(self, claims: dict[str, Any]) -> None:
        audience = claims.get("aud")
        several = isinstance(audience, list) and len(audience) > 1
        if (several or "azp" in claims) and claims.get("azp") != self.config.client_id:
            raise _token_problem(InvalidClaimError("azp"))

    def _identity(self, claims: dict[str, Any]) -> Identity:
        email = claims.get("email") or ""
        if claims.get("email_verified") is False:  # the provider says so: not for finding people
            email = ""
        elif not email and "@" in str(claims.get("preferred_username", "")):
            email = claims["preferred_username"]  # Entra ID sends the UPN here without "email"
        groups = claims.get(self.config.groups_claim, ())
        if isinstance(groups, str):
            groups = (groups,)
        return Identity(
            sub=str(claims["sub"]),
            email=str(email),
            name=str(claims.get("name") or email or claims["sub"]),
            groups=tuple(str(group) for group in groups if isinstance(group, str | int)),
        )


def _basic(client_id: str, secret: str) -> str:
    pair = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def _refused(reason: str, what: str) -> SignInError:
    return SignInError(
        reason,
        "Sign-in did not work",
        f"Your organisation's sign-in service did not confirm who you are: {what}. "
        "Start again from the sign-in page; if it goes on, tell the administrator.",
        status=502,
    )


_CLAIM_WORDS = {
    "aud": ("wrong_audience", "the sign-in was meant for another application"),
    "iss": ("wrong_issuer", "the sign-in came from another sign-in service than configured"),
    "nonce": ("wrong_nonce", "the sign-in answer belongs to another sign-in attempt"),
    "iat": ("issued_in_future", "the sign-in answer is dated in the future (check the clocks)"),
    "azp": ("wrong_party", "the sign-in was meant for another application"),
}


def _token_problem(error: JoseError) -> SignInError:
    """What a person is told about an ID token that failed a check, and the log's reason."""
    if isinstance(error, ExpiredTokenError):
        reason, what = "token_expired", "the sign-in answer had expired (check the clocks)"
    elif isinstance(error, InvalidKeyIdError):
        reason, what = "unknown_key", "the sign-in answer was signed with a key it does not publish"
    elif isinstance(error, BadSignatureError):
        reason, what = "bad_signature", "the sign-in answer's signature is not right"
    elif isinstance(error, InvalidClaimError | MissingClaimError):
        reason, what = _CLAIM_WORDS.get(error.claim, ("bad_claim", "the sign-in answer is wrong"))
        reason += f": {error.claim}"
    else:
        reason, what = f"bad_token: {error.error}", "the sign-in answer could not be read"
    return _refused(reason, what)
