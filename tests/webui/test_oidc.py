"""Sign-in with OpenID Connect over real HTTP, against a real provider on loopback
(tests/oidcprovider.py): the good path, and each way a sign-in must be refused."""

from __future__ import annotations

import base64
import io
import json
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
import structlog
from joserfc.jwk import RSAKey
from yarl import URL

from smsbot.logs import configure_logging
from smsbot.webui import oidc
from smsbot.webui.oidc import Identity
from tests.conftest import ManualClock
from tests.oidcprovider import (
    ADMIN_TOKEN,
    SSOGateway,
    TestProvider,
    running_provider,
    sso_env,
    sso_gateway,
)


@pytest.fixture
async def provider() -> AsyncIterator[TestProvider]:
    async with running_provider() as running:
        yield running


@pytest.fixture
async def gw(
    tmp_path: Path, clock: ManualClock, provider: TestProvider
) -> AsyncIterator[SSOGateway]:
    async with sso_gateway(sso_env(tmp_path, provider.url), clock) as running:
        yield running


Lines = Callable[[], list[dict[str, object]]]


@pytest.fixture
def logged() -> Iterator[Lines]:
    """The log lines written so far in the test, as dicts."""
    out = io.StringIO()
    configure_logging("json", "debug", stream=out)
    try:
        yield lambda: [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    finally:
        structlog.reset_defaults()


def browser() -> aiohttp.ClientSession:
    """Keeps cookies for 127.0.0.1 and localhost as a browser does."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def to_provider(gw: SSOGateway, client: aiohttp.ClientSession) -> dict[str, str]:
    """Starts a sign-in; returns the authorization request's parameters."""
    async with client.get(gw.url + "/ui/login/oidc?next=/ui/flows", allow_redirects=False) as r:
        assert r.status == 303, await r.text()
        location = r.headers["Location"]
    async with client.get(location) as page:
        assert page.status == 200, await page.text()
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def back_from_provider(
    client: aiohttp.ClientSession, provider: TestProvider, query: dict[str, str], answer: str
) -> str:
    """The person answers on the provider's page; returns the callback URL it sends them to."""
    form = {**query, "answer": answer, "user": "anna"}
    async with client.post(provider.url + "/authorize", data=form, allow_redirects=False) as r:
        assert r.status == 302
        return r.headers["Location"]


async def sign_in(
    gw: SSOGateway, provider: TestProvider, client: aiohttp.ClientSession, answer: str = "approve"
) -> tuple[int, str]:
    query = await to_provider(gw, client)
    callback = await back_from_provider(client, provider, query, answer)
    async with client.get(callback, allow_redirects=False) as r:
        return r.status, await r.text()


async def signed_in(gw: SSOGateway, client: aiohttp.ClientSession) -> bool:
    async with client.get(gw.url + "/ui/dashboard", allow_redirects=False) as r:
        return r.status == 200


def refusals(logged: Lines) -> list[str]:
    return [str(line["reason"]) for line in logged() if line.get("event") == "oidc_refused"]


# --- the good path -------------------------------------------------------------------------


async def test_the_login_page_offers_the_provider_by_its_name(gw: SSOGateway) -> None:
    async with gw.running.http.get(gw.url + "/ui/login?next=/ui/feedback") as r:
        page = await r.text()
    assert "Sign in with Test ID" in page
    assert 'href="/ui/login/oidc?next=/ui/feedback"' in page


async def test_a_sign_in_hands_who_it_is_to_the_hook_and_opens_a_session(
    gw: SSOGateway, provider: TestProvider
) -> None:
    async with browser() as client:
        assert not await signed_in(gw, client)
        query = await to_provider(gw, client)
        assert query["code_challenge_method"] == "S256" and query["nonce"] and query["state"]
        assert query["redirect_uri"] == gw.url + "/ui/login/oidc/callback"
        assert query["scope"] == "openid profile email"
        callback = await back_from_provider(client, provider, query, "approve")
        async with client.get(callback, allow_redirects=False) as r:
            assert r.status == 200  # a page of ours moves on: the Strict cookie then goes along
            page = await r.text()
        assert 'http-equiv="refresh" content="0;url=/ui/flows"' in page
        assert "smsbot_oidc" not in {c.key for c in client.cookie_jar}  # used once, gone
        assert await signed_in(gw, client)
    assert gw.identities == [
        Identity("anna-0001", "anna.berg@example.org", "Anna Berg", ("smsbot-analysts",))
    ]


async def test_a_code_works_once(gw: SSOGateway, provider: TestProvider) -> None:
    async with browser() as client:
        query = await to_provider(gw, client)
        callback = await back_from_provider(client, provider, query, "approve")
        async with client.get(callback) as r:
            assert r.status == 200
    async with browser() as thief, thief.get(callback) as r:  # the same link, another browser
        assert r.status == 400 and "Sign-in took too long" in await r.text()


# --- refusals ------------------------------------------------------------------------------


async def test_a_wrong_state_is_refused_before_the_code_is_used(
    gw: SSOGateway, provider: TestProvider, logged: Lines
) -> None:
    async with browser() as client:
        query = await to_provider(gw, client)
        callback = await back_from_provider(client, provider, query, "approve")
        forged = re.sub(r"state=[^&]+", "state=someone-elses-state", callback)
        async with client.get(forged) as r:
            assert r.status == 400
            page = await r.text()
        assert "does not belong to the sign-in this browser started" in page
        assert "Traceback" not in page and 'href="/ui/login"' in page
        assert not await signed_in(gw, client)
    assert provider.token_requests == 0
    assert refusals(logged) == ["wrong_state"]
    assert gw.identities == []


@pytest.mark.parametrize(
    ("knob", "reason", "words"),
    [
        ("audience", "wrong_audience: aud", "meant for another application"),
        ("lifetime", "token_expired", "had expired"),
        ("nonce", "wrong_nonce: nonce", "belongs to another sign-in attempt"),
        ("issuer", "wrong_issuer: iss", "came from another sign-in service"),
        ("forged", "bad_signature", "signature is not right"),
    ],
)
async def test_an_id_token_that_fails_a_check_is_refused(
    gw: SSOGateway,
    provider: TestProvider,
    logged: Lines,
    knob: str,
    reason: str,
    words: str,
) -> None:
    if knob == "audience":
        provider.audience = "some-other-application"
    elif knob == "lifetime":
        provider.lifetime = -120  # expired two minutes ago: past the minute of leeway
    elif knob == "nonce":
        provider.nonce = "the-nonce-of-another-sign-in"
    elif knob == "issuer":
        provider.token_issuer = "https://login.example.org/another-tenant"
    else:  # the published key's id on another key: a forged signature
        provider.sign_with = RSAKey.generate_key(2048, parameters={"kid": provider.signing.kid})
    async with browser() as client:
        status, page = await sign_in(gw, provider, client)
        assert status == 502 and words in page and "Traceback" not in page
        assert not await signed_in(gw, client)
    assert refusals(logged) == [reason]
    assert gw.identities == []


async def test_a_rotated_signing_key_is_fetched_and_accepted(
    gw: SSOGateway, provider: TestProvider
) -> None:
    async with browser() as client:
        assert (await sign_in(gw, provider, client))[0] == 200
    fetches = provider.jwks_fetches
    old_kid = provider.signing.kid
    assert provider.rotate().kid != old_kid
    async with browser() as client:
        assert (await sign_in(gw, provider, client))[0] == 200
        assert await signed_in(gw, client)
    assert provider.jwks_fetches == fetches + 1  # fetched again for the new key id, once
    assert len(gw.identities) == 2


async def test_a_token_signed_by_a_key_the_provider_does_not_publish_is_refused(
    gw: SSOGateway, provider: TestProvider, logged: Lines
) -> None:
    provider.sign_with = RSAKey.generate_key(2048, parameters={"kid": "not-published"})
    async with browser() as client:
        status, page = await sign_in(gw, provider, client)
        assert status == 502 and "signed with a key it does not publish" in page
        assert not await signed_in(gw, client)
    assert refusals(logged) == ["unknown_key"]


async def test_cancelling_at_the_provider_says_so(
    gw: SSOGateway, provider: TestProvider, logged: Lines
) -> None:
    async with browser() as client:
        status, page = await sign_in(gw, provider, client, answer="cancel")
        assert status == 403 and "Sign-in cancelled" in page
    assert refusals(logged) == ["cancelled: access_denied"]
    assert provider.token_requests == 0


async def test_an_error_from_the_provider_is_shown_escaped(
    gw: SSOGateway, provider: TestProvider, logged: Lines
) -> None:
    async with browser() as client:
        await to_provider(gw, client)
        url = gw.url + "/ui/login/oidc/callback"
        params = {"error": "invalid_scope", "error_description": "<b>groups</b> is unknown"}
        async with client.get(url, params=params) as r:
            page = await r.text()
        assert r.status == 400 and "(invalid_scope)" in page
        assert "&lt;b&gt;groups&lt;/b&gt; is unknown" in page and "<b>groups" not in page
    assert refusals(logged) == ["provider_error: invalid_scope"]


async def test_a_callback_without_a_started_sign_in_or_too_late_is_refused(
    gw: SSOGateway, logged: Lines
) -> None:
    url = gw.url + "/ui/login/oidc/callback?code=abc&state=xyz"
    async with browser() as client:
        async with client.get(url) as r:
            assert r.status == 400 and "Sign-in took too long" in await r.text()
        old = oidc._Pending("xyz", "n", "v", "/ui/", time.time() - oidc.PENDING_SECONDS - 1)
        client.cookie_jar.update_cookies(
            {oidc.COOKIE: oidc._encode(old)}, response_url=URL(gw.url + "/ui/login/oidc/")
        )
        async with client.get(url) as r:
            assert r.status == 400 and "Sign-in took too long" in await r.text()
    assert refusals(logged) == ["expired", "expired"]


# --- without the hook, and without the provider ----------------------------------------------


async def test_without_accounts_for_people_a_sign_in_lets_nobody_in(
    tmp_path: Path, clock: ManualClock, provider: TestProvider
) -> None:
    env = sso_env(tmp_path, provider.url)
    async with sso_gateway(env, clock, hook=False) as gw, browser() as client:
        status, page = await sign_in(gw, provider, client)
        assert status == 403 and "no accounts for people yet" in page
        assert not await signed_in(gw, client)


async def test_an_unreachable_provider_at_start_is_logged_and_the_token_login_still_works(
    tmp_path: Path, clock: ManualClock, logged: Lines
) -> None:
    async with running_provider() as gone:
        issuer = gone.url  # a port that nobody listens on once it is closed
    async with sso_gateway(sso_env(tmp_path, issuer), clock) as gw, browser() as client:
        async with client.get(gw.url + "/ui/login/oidc") as r:
            assert r.status == 502 and "cannot be reached" in await r.text()
        async with client.post(gw.url + "/ui/login", data={"token": ADMIN_TOKEN}) as r:
            assert r.status == 200
        assert await signed_in(gw, client)
    failed = [line for line in logged() if line.get("event") == "oidc_discovery_failed"]
    assert failed and issuer in str(failed[0]["problem"])
    assert "token login works" in str(failed[0]["consequence"])


async def test_a_wrong_client_secret_is_refused_by_the_provider_and_said_so(
    tmp_path: Path, clock: ManualClock, provider: TestProvider, logged: Lines
) -> None:
    env = sso_env(tmp_path, provider.url, SMSBOT_OIDC__CLIENT_SECRET="not-the-secret")
    async with sso_gateway(env, clock) as gw, browser() as client:
        status, page = await sign_in(gw, provider, client)
        assert status == 502 and "the provider refused the code" in page
        assert not await signed_in(gw, client)
    assert refusals(logged) == ["token_refused: HTTP 401 invalid_client"]


async def test_an_issuer_that_ends_with_a_slash_is_taken_as_the_provider_writes_it(
    tmp_path: Path, clock: ManualClock, provider: TestProvider
) -> None:
    provider.issuer_slash = True  # config says http://localhost:N, the provider ".../"
    async with sso_gateway(sso_env(tmp_path, provider.url), clock) as gw, browser() as client:
        assert (await sign_in(gw, provider, client))[0] == 200
        assert await signed_in(gw, client)


@pytest.mark.parametrize(
    "cookie",
    [
        "not base64 at all!",
        oidc._encode(oidc._Pending("xyz", "n", "v", "//evil.example/", time.time())),
        base64.urlsafe_b64encode(
            b'{"state": 1, "nonce": "n", "verifier": "v", "next": "/ui/", "at": "yesterday"}'
        ).decode(),
        base64.urlsafe_b64encode(b'["a list"]').decode(),
    ],
)
async def test_a_tampered_sign_in_cookie_is_refused_with_a_page(
    gw: SSOGateway, logged: Lines, cookie: str
) -> None:
    async with browser() as client:
        here = URL(gw.url + "/ui/login/oidc/")
        client.cookie_jar.update_cookies({oidc.COOKIE: cookie}, response_url=here)
        async with client.get(gw.url + "/ui/login/oidc/callback?code=abc&state=xyz") as r:
            assert r.status == 400 and "Sign-in took too long" in await r.text()
    assert refusals(logged) == ["expired"]


async def test_an_email_the_provider_has_not_verified_is_left_out(
    gw: SSOGateway, provider: TestProvider
) -> None:
    provider.users["anna"]["email_verified"] = False
    async with browser() as client:
        status, page = await sign_in(gw, provider, client)
        assert not await signed_in(gw, client)
    assert [(i.sub, i.email) for i in gw.identities] == [("anna-0001", "")]
    # no e-mail to find or add her by: no account, however her groups map
    assert status == 403 and "No account for you here yet" in page


# --- who is let in (webui/sso.py with smsbot.people) ---------------------------------------


async def test_a_mapped_group_makes_a_person_who_then_signs_in_as_herself(
    gw: SSOGateway, provider: TestProvider
) -> None:
    async with browser() as client:
        assert (await sign_in(gw, provider, client))[0] == 200
        assert await signed_in(gw, client)  # an analyst may read the dashboard
        async with client.get(gw.url + "/ui/flows", allow_redirects=False) as r:
            assert r.status == 403  # ...but not design flows
    store = gw.running.gateway.parts.store
    async with store.read() as tx:
        anna = await tx.people.by_sub("anna-0001")
    assert anna is not None and anna.email == "anna.berg@example.org"
    assert anna.roles == frozenset({"analyst"}) and anna.sub == "anna-0001"


async def test_someone_without_an_account_or_a_mapped_group_is_not_let_in(
    tmp_path: Path, clock: ManualClock, provider: TestProvider
) -> None:
    env = sso_env(tmp_path, provider.url, SMSBOT_OIDC__GROUP_ROLES="")
    async with sso_gateway(env, clock) as gw, browser() as client:
        status, page = await sign_in(gw, provider, client)
        assert status == 403 and "No account for you here yet" in page
        assert not await signed_in(gw, client)
