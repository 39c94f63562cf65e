"""Who may use what, for every route x every role (and no sign-in), over real HTTP.

The table WHO_MAY below is written out by hand (not derived from smsbot.people.rights), so a
change to a role's rights or a route's rule fails here until the table agrees. Every route the
app serves must be in smsbot.people.routes and in WHO_MAY. A unit manager of unit A asking for
unit B (a URL or filter edit) is refused and audited. Security: brute force against a local
account, session fixation, CSRF on every form, a token of a disabled person, an expired token.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from smsbot.bootstrap.parts import database_of
from smsbot.bootstrap.web import build_app
from smsbot.people import accounts
from smsbot.people.accounts import Actor
from smsbot.people.routes import ROUTE_RULES, SOURCE
from smsbot.storage.accounts import AuditQuery, Person
from tests.conftest import ManualClock
from tests.feedback.test_tagging import FEEDBACK
from tests.feedback.test_tagging import seed as seed_feedback
from tests.harness import Running, gateway_env, running_gateway
from tests.suite_summary import tally

ADMIN_TOKEN = "bootstrap-admin-token-for-people-tests"
PASSWORD = "a long enough password"
UNIT_A, UNIT_B = "Kajaanin terveysasema", "Akuten"
ROLES = ("admin", "designer", "analyst", "unit_manager", "auditor")
SAMPLE = {
    "section": "funnel",
    "id": "1",
    "tag": "waiting",
    "action": "confirm",
    "name": "x",
    "source": "demo",
}
ALL = set(ROLES)
RESULTS = {"admin", "analyst", "unit_manager"}
# Who may use each guarded route; routes not here are public, for event sources, or static.
WHO_MAY: dict[str, set[str]] = {
    "GET /v1/reports/{section}": RESULTS,
    "GET /v1/reports/journeys": RESULTS,
    "GET /v1/feedback": RESULTS,
    "POST /v1/feedback/{id}/tags": {"admin", "analyst"},
    "DELETE /v1/feedback/{id}/tags/{tag}": {"admin", "analyst"},
    "GET /ui": ALL,
    "GET /ui/": ALL,
    "POST /ui/logout": ALL,
    "GET /ui/flows": {"admin", "designer"},
    "GET /ui/flows/{id}": {"admin", "designer"},
    "GET /ui/simulator": {"admin", "designer"},
    "POST /ui/simulator/start": {"admin", "designer"},
    "POST /ui/simulator/reply": {"admin", "designer"},
    "GET /ui/simulator/chat": {"admin", "designer"},
    "GET /ui/dashboard": RESULTS,
    "GET /ui/feedback": RESULTS,
    "POST /ui/feedback/{id}/{action}": {"admin", "analyst"},
    "GET /ui/audit": {"admin", "auditor"},
    "GET /ui/tokens": ALL,
    "POST /ui/tokens": ALL,
    "POST /ui/tokens/{id}/revoke": ALL,
    "GET /ui/webhooks": {"admin"},
    "POST /ui/webhooks": {"admin"},
    "POST /ui/webhooks/{id}/remove": {"admin"},
    "POST /ui/webhooks/deliveries/{id}/replay": {"admin"},
    "GET /ui/cases": {"admin", "unit_manager"},
    "GET /ui/cases/{id}": {"admin", "unit_manager"},
    "POST /ui/cases/{id}/take": {"admin", "unit_manager"},
    "POST /ui/cases/{id}/note": {"admin", "unit_manager"},
    "POST /ui/cases/{id}/close": {"admin", "unit_manager"},
}
OPEN = {"GET /ui/login", "POST /ui/login", "GET /ui/static"}


@pytest.fixture
async def gw(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Running]:
    env = gateway_env(tmp_path, SMSBOT_SERVER__ADMIN_TOKEN=ADMIN_TOKEN)
    async with running_gateway(env, clock) as running:
        yield running


async def add(gw: Running, role: str, unit: str = UNIT_A) -> Person:
    return await accounts.add_person(
        gw.gateway.parts.store,
        Actor("test", "test"),
        name=f"{role.title()} Person",
        email=f"{role}@example.org",
        roles=[role],
        units=[unit] if role == "unit_manager" else [],
        password=PASSWORD,
        now=gw.clock.now(),
    )


async def token_of(gw: Running, person: Person, days: int = 30) -> str:
    store = gw.gateway.parts.store
    _, secret = await accounts.issue_token(
        store, Actor("t", "t"), person, "t", days, gw.clock.now()
    )
    return secret


def browser() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def sign_in(gw: Running, client: aiohttp.ClientSession, email: str) -> str:
    """Signs in with e-mail and password; returns the CSRF token of the home page."""
    form = {"email": email, "password": PASSWORD}
    async with client.post(gw.url + "/ui/login", data=form, allow_redirects=False) as r:
        assert r.status == 303, (email, r.status, await r.text())
    async with client.get(gw.url + "/ui/") as r:
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', await r.text())
    assert csrf
    return csrf[1]


def url(template: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: SAMPLE[m[1]], template)


def served(gw: Running) -> set[str]:
    return {
        f"{r.method} {r.resource.canonical}"
        for r in build_app(gw.gateway).router.routes()
        if r.method != "HEAD" and r.resource is not None
    }


async def seed(gw: Running) -> None:
    """A survey sent for each unit, so both are known to the reports."""
    for n, unit in enumerate((UNIT_A, UNIT_B)):
        event = {
            "id": f"call-{n}",
            "type": "contact.closed",
            "phone": f"+4670174000{n + 1}",
            "occurred_at": gw.clock.now().isoformat(),
            "unit": unit,
            "service": "Bygglov",
        }
        assert (await gw.post_events(event))[0] == 202
    await gw.settle()


async def refusals(gw: Running) -> list[dict[str, object]]:
    async with gw.gateway.parts.store.read() as tx:
        found = await tx.audit.find(AuditQuery(action="refused"))
    return [{"who": e.who, "target": e.target, **e.detail} for e in found]


def test_every_route_has_a_rule_and_a_row_here(gw: Running) -> None:
    routes = served(gw)
    assert routes - set(ROUTE_RULES) == set(), "a new route: give it a rule in people/routes.py"
    guarded = {k for k, rule in ROUTE_RULES.items() if not isinstance(rule, str)}
    assert guarded == set(WHO_MAY) - {"GET /ui/audit"} | ({"GET /ui/audit"} & guarded)
    assert set(WHO_MAY) <= routes, "WHO_MAY names a route the app does not serve"
    sources = {k for k, rule in ROUTE_RULES.items() if rule == SOURCE}
    assert sources == {"POST /v1/events", "POST /v1/sources/{source}/events"}


async def test_every_json_route_for_every_role(gw: Running) -> None:
    people = {role: await add(gw, role) for role in ROLES}
    tokens = {role: await token_of(gw, person) for role, person in people.items()}
    for route in (r for r in WHO_MAY if " /v1/" in r):
        method, path = route.split(" ", 1)
        for role in (None, *ROLES):
            headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
            body = {"tags": ["waiting"]}
            async with gw.http.request(method, gw.url + url(path), headers=headers, json=body) as r:
                if role is None:
                    assert r.status == 401, (route, role)
                elif role in WHO_MAY[route]:
                    assert r.status not in (401, 403), (route, role, r.status, await r.text())
                else:
                    assert r.status == 403, (route, role, r.status)
                    assert (await r.json())["error"] == "forbidden"
            tally("people", "route x role checks")


async def test_every_page_for_every_role(gw: Running) -> None:
    for role in ROLES:
        await add(gw, role)
    for role in (None, *ROLES):
        async with browser() as client:
            csrf = await sign_in(gw, client, f"{role}@example.org") if role else ""
            for route in sorted(r for r in WHO_MAY if " /ui" in r and r != "POST /ui/logout"):
                method, path = route.split(" ", 1)
                data = {"csrf_token": csrf, "tag": "waiting"}
                async with client.request(
                    method, gw.url + url(path), data=data, allow_redirects=False
                ) as r:
                    if role is None:
                        assert r.status == 303 and "/ui/login" in r.headers["Location"], route
                    elif role in WHO_MAY[route]:
                        assert r.status not in (401, 403), (route, role, r.status)
                        assert "/ui/login" not in r.headers.get("Location", ""), (route, role)
                    else:
                        assert r.status == 403, (route, role, r.status)
                        assert "The attempt is recorded" in await r.text()
                tally("people", "route x role checks")


async def test_the_navigation_lists_only_what_the_person_may_open(gw: Running) -> None:
    await add(gw, "auditor")
    async with browser() as client:
        await sign_in(gw, client, "auditor@example.org")
        async with client.get(gw.url + "/ui/") as r:
            page = await r.text()
    nav = page[page.index('<nav aria-label="Pages">') : page.index("</nav>")]
    assert re.findall(r'href="([^"]+)"', nav) == ["/ui/audit", "/ui/tokens"]
    assert "Signed in as Auditor Person · auditor" in page
    headings = re.findall(r'<h2 id="(\w+)"', page)
    assert headings == ["auditors"]  # the home page's parts for her role only


async def test_a_unit_manager_asking_for_another_unit_is_refused_and_audited(
    gw: Running,
) -> None:
    await seed(gw)
    manager = await add(gw, "unit_manager")
    token = {"Authorization": f"Bearer {await token_of(gw, manager)}"}
    for query in (f"unit={UNIT_B}", "group_by=unit", f"unit={UNIT_B}&group_by=unit"):
        async with gw.http.get(f"{gw.url}/v1/reports/funnel?{query}", headers=token) as r:
            assert r.status == 403, query
    async with gw.http.get(f"{gw.url}/v1/feedback?unit={UNIT_B}", headers=token) as r:
        assert r.status == 403
    async with gw.http.get(f"{gw.url}/v1/reports/funnel?unit={UNIT_A}", headers=token) as r:
        assert r.status == 200
    async with gw.http.get(f"{gw.url}/v1/reports/funnel", headers=token) as r:
        assert r.status == 200  # her unit, without naming it
    async with browser() as client:
        await sign_in(gw, client, "unit_manager@example.org")
        for page in ("/ui/dashboard", "/ui/feedback"):
            async with client.get(gw.url + page, params={"unit": UNIT_B}) as r:
                assert r.status == 403, page
            async with client.get(gw.url + page) as r:
                assert r.status == 200
                assert UNIT_B not in await r.text(), page
    refused = await refusals(gw)
    assert len(refused) == 6  # 3 reports, the feedback list, 2 pages
    tally("people", "other-unit requests refused and audited", len(refused))
    assert all(e["who"] == "Unit_Manager Person <unit_manager@example.org>" for e in refused)
    assert {e["reason"] for e in refused} == {"out_of_scope"}
    assert any(UNIT_B.split()[0] in str(e["target"]) for e in refused)


async def test_views_and_tag_changes_are_audited_with_the_person(gw: Running) -> None:
    await seed(gw)
    analyst = await add(gw, "analyst")
    token = {"Authorization": f"Bearer {await token_of(gw, analyst)}"}
    async with gw.http.get(f"{gw.url}/v1/reports/funnel?unit={UNIT_B}", headers=token) as r:
        assert r.status == 200
    async with gw.gateway.parts.store.read() as tx:
        [entry] = await tx.audit.find(AuditQuery(action="view_results"))
    assert entry.who == "Analyst Person <analyst@example.org>" and entry.person_id == analyst.id
    assert entry.target == "/v1/reports/funnel?unit=Akuten" and entry.remote == "127.0.0.1"


async def test_the_admin_token_works_only_until_an_admin_exists(gw: Running) -> None:
    bearer = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with gw.http.get(gw.url + "/v1/reports/funnel", headers=bearer) as r:
        assert r.status == 200
    await add(gw, "admin")
    async with gw.http.get(gw.url + "/v1/reports/funnel", headers=bearer) as r:
        assert r.status == 401
    async with gw.http.post(gw.url + "/ui/login", data={"password": ADMIN_TOKEN}) as r:
        assert r.status == 401


async def test_a_token_of_a_disabled_person_or_expired_is_refused(gw: Running) -> None:
    analyst = await add(gw, "analyst")
    secret = await token_of(gw, analyst, days=1)
    bearer = {"Authorization": f"Bearer {secret}"}
    store = gw.gateway.parts.store
    async with gw.http.get(gw.url + "/v1/feedback", headers=bearer) as r:
        assert r.status == 200
    await accounts.set_active(store, Actor("t", "t"), analyst, False, gw.clock.now())
    async with gw.http.get(gw.url + "/v1/feedback", headers=bearer) as r:
        assert r.status == 401
    await accounts.set_active(store, Actor("t", "t"), analyst, True, gw.clock.now())
    gw.clock.advance(days=1, seconds=1)
    async with gw.http.get(gw.url + "/v1/feedback", headers=bearer) as r:
        assert r.status == 401


async def test_brute_force_locks_the_account_and_the_lockout_is_logged(gw: Running) -> None:
    await add(gw, "analyst")
    wrong = {"email": "analyst@example.org", "password": "not the password"}
    for _ in range(5):
        async with gw.http.post(gw.url + "/ui/login", data=wrong) as r:
            assert r.status == 401
    right = {"email": "analyst@example.org", "password": PASSWORD}
    async with gw.http.post(gw.url + "/ui/login", data=right, allow_redirects=False) as r:
        assert r.status == 429 and "Too many failed sign-ins" in await r.text()
    gw.clock.advance(minutes=16)
    async with gw.http.post(gw.url + "/ui/login", data=right, allow_redirects=False) as r:
        assert r.status == 303
    async with gw.gateway.parts.store.read() as tx:
        actions = [e.action for e in await tx.audit.find(AuditQuery())][::-1]
    assert actions.count("sign_in_failed") == 5
    tally("people", "brute-force lockouts (logged, released)")
    assert actions[6:] == [
        "sign_in_locked", "sign_in_refused", "sign_in_lock_released", "sign_in",
    ]  # fmt: skip


async def test_a_sign_in_gets_a_new_session_id_and_the_old_one_dies(gw: Running) -> None:
    await add(gw, "analyst")
    async with browser() as client:
        await sign_in(gw, client, "analyst@example.org")
        first = next(c.value for c in client.cookie_jar if c.key == "smsbot_session")
        await sign_in(gw, client, "analyst@example.org")
        second = next(c.value for c in client.cookie_jar if c.key == "smsbot_session")
    assert first != second
    async with browser() as planted:  # an attacker's fixed session id does not sign anyone in
        planted.cookie_jar.update_cookies({"smsbot_session": first})
        async with planted.get(gw.url + "/ui/feedback", allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"].startswith("/ui/login")


async def test_sessions_time_out_and_signing_out_ends_them_everywhere(gw: Running) -> None:
    await add(gw, "analyst")
    async with browser() as laptop, browser() as phone:
        csrf = await sign_in(gw, laptop, "analyst@example.org")
        await sign_in(gw, phone, "analyst@example.org")
        async with laptop.post(gw.url + "/ui/logout", data={"csrf_token": csrf}) as r:
            assert r.status == 200 and "/ui/login" in str(r.url)
        async with phone.get(gw.url + "/ui/feedback", allow_redirects=False) as r:
            assert r.status == 303
        await sign_in(gw, phone, "analyst@example.org")
        gw.clock.advance(minutes=31)
        async with phone.get(gw.url + "/ui/feedback", allow_redirects=False) as r:
            assert r.status == 303  # idle too long


async def test_every_form_needs_the_csrf_token(gw: Running) -> None:
    await add(gw, "admin")
    posts = [r for r in WHO_MAY if r.startswith("POST /ui/")]
    async with browser() as client:
        await sign_in(gw, client, "admin@example.org")
        for route in posts:
            path = url(route.split(" ", 1)[1])
            for data in ({}, {"csrf_token": "forged", "tag": "waiting"}):
                async with client.post(gw.url + path, data=data, allow_redirects=False) as r:
                    assert r.status == 403 and "out of date" in await r.text(), (route, data)
                    tally("people", "forged or missing CSRF tokens refused")


async def test_a_restart_signs_no_one_out(tmp_path: Path, clock: ManualClock) -> None:
    env = gateway_env(tmp_path, SMSBOT_SERVER__ADMIN_TOKEN=ADMIN_TOKEN)
    async with browser() as client:
        async with running_gateway(env, clock) as first:
            await add(first, "analyst")
            await sign_in(first, client, "analyst@example.org")
            cookie = next(c.value for c in client.cookie_jar if c.key == "smsbot_session")
        async with running_gateway(env, clock) as second:
            client.cookie_jar.update_cookies({"smsbot_session": cookie})
            async with client.get(second.url + "/ui/feedback", allow_redirects=False) as r:
                assert r.status == 200


def test_sessions_expire_in_time() -> None:
    times = accounts.SessionTimes()
    assert times.idle == timedelta(minutes=30) and times.absolute == timedelta(hours=8)


async def test_an_analyst_tags_feedback_and_the_audit_log_shows_her_name(gw: Running) -> None:
    [item_id, *_] = await seed_feedback(database_of(gw.gateway.parts), FEEDBACK)
    await add(gw, "analyst")
    async with browser() as client:
        csrf = await sign_in(gw, client, "analyst@example.org")
        form = {"csrf_token": csrf, "tag": "waiting"}
        path = f"/ui/feedback/{item_id}/add"
        async with client.post(gw.url + path, data=form, allow_redirects=False) as r:
            assert r.status == 303, await r.text()
    [change] = await gw.query("SELECT changed_by FROM tag_changes WHERE action = 'add'")
    assert change["changed_by"] == "Analyst Person <analyst@example.org>"
    async with gw.gateway.parts.store.read() as tx:
        [entry] = await tx.audit.find(AuditQuery(action="tag"))
    assert entry.who == "Analyst Person <analyst@example.org>" and entry.target == path


async def test_a_person_makes_and_revokes_her_own_api_token_on_a_page(gw: Running) -> None:
    await add(gw, "analyst")
    await add(gw, "designer")
    async with browser() as client:
        csrf = await sign_in(gw, client, "analyst@example.org")
        form = {"csrf_token": csrf, "name": "power-bi", "days": "30"}
        async with client.post(gw.url + "/ui/tokens", data=form) as r:
            page = await r.text()
        secret = re.search(r"<code>(smsbot_pat_[^<]+)</code>", page)
        assert r.status == 200 and secret, page
        async with client.get(gw.url + "/ui/tokens") as r:
            listed = await r.text()
        assert "power-bi" in listed and secret[1] not in listed  # shown once
        bearer = {"Authorization": f"Bearer {secret[1]}"}
        async with gw.http.get(gw.url + "/v1/feedback", headers=bearer) as r:
            assert r.status == 200
        [token_id] = re.findall(r'action="/ui/tokens/(\d+)/revoke"', listed)
        async with browser() as other:
            other_csrf = await sign_in(gw, other, "designer@example.org")
            revoke = f"{gw.url}/ui/tokens/{token_id}/revoke"
            async with other.post(revoke, data={"csrf_token": other_csrf}) as r:
                assert r.status == 404  # not hers
        async with client.post(f"{gw.url}/ui/tokens/{token_id}/revoke", data={"csrf_token": csrf}):
            pass
        async with gw.http.get(gw.url + "/v1/feedback", headers=bearer) as r:
            assert r.status == 401
        form["days"] = "900"
        async with client.post(gw.url + "/ui/tokens", data=form) as r:
            assert r.status == 400 and "1-366 days" in await r.text()
