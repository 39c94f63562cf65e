"""Trials are left out of results unless asked for: a database with real and trial surveys
gives the figures of the real ones alone, and the flag (`--include-trials`,
`include_trials=true`, the dashboard's control) gives the figures of all of them."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import test_utils, web
from click.testing import CliRunner

from smsbot.cli.export import export
from smsbot.cli.report import report
from smsbot.config import Config, DatabaseConfig, FlowsConfig, PrivacyConfig
from smsbot.http.openapi.document import openapi_document
from smsbot.http.reports import ReportContext, add_report_routes
from smsbot.results.dashboard import Filters, parse_filters
from smsbot.results.export import EXPORTS, write_export
from smsbot.results.reports import ReportFilter, full_report
from smsbot.storage.ports import Store
from smsbot.storage.sqlite.db import open_database
from smsbot.storage.sqlite.tx import SqliteStore
from smsbot.webui.dashboard_view import Dashboard, build
from tests.conftest import ManualClock
from tests.harness import Running, gateway_env, running_gateway, signed_in
from tests.reportdata import Dataset, generate, write

REAL = generate(surveys=500)
TRIALS = generate(seed=7, surveys=120, trial=True)
# The same trial data written as if it were real: what "include trials" must give.
AS_REAL = Dataset(
    TRIALS.flows,
    [replace(c, trial=False) for c in TRIALS.conversations],
    [replace(e, trial=False) for e in TRIALS.events],
    [],
)
FLOWS = REAL.flows
K = 5
TZ = ZoneInfo("Europe/Stockholm")


async def _database(path: Path, *datasets: Dataset) -> Path:
    db = await open_database(path)
    try:
        for data in datasets:
            await write(db.conn, data)
    finally:
        await db.close()
    return path


@pytest.fixture(scope="module")
def databases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """mixed: real and trial; real: the real ones alone; all_real: the trials written as real."""
    folder = tmp_path_factory.mktemp("trial-results")
    made = {
        "mixed": (REAL, TRIALS),
        "real": (REAL,),
        "all_real": (REAL, AS_REAL),
    }
    return {
        name: asyncio.run(_database(folder / f"{name}.db", *data)) for name, data in made.items()
    }


@pytest.fixture
async def stores(databases: dict[str, Path]) -> AsyncIterator[dict[str, Store]]:
    opened = {name: await open_database(path) for name, path in databases.items()}
    try:
        yield {name: SqliteStore(db) for name, db in opened.items()}
    finally:
        for db in opened.values():
            await db.close()


def test_the_data_has_trials_worth_leaving_out() -> None:
    assert len(TRIALS.conversations) >= 120 and all(c.trial for c in TRIALS.conversations)
    assert any(e.decision == "skipped" for e in TRIALS.events)


FILTERS = [
    ReportFilter(),
    ReportFilter(group_by="unit"),
    ReportFilter(flow="visit", group_by="channel"),
    ReportFilter(unit="Kontaktcenter", group_by="attributes.age_group"),
]


@pytest.mark.parametrize("f", FILTERS, ids=["all", "unit", "flow", "one-unit"])
async def test_reports_leave_trials_out_unless_asked(
    stores: dict[str, Store], f: ReportFilter
) -> None:
    async def sections(name: str, g: ReportFilter) -> Any:
        return (await full_report(stores[name], g, FLOWS, min_group=K))["sections"]

    assert await sections("mixed", f) == await sections("real", f)
    with_trials = replace(f, include_trials=True)
    assert await sections("mixed", with_trials) == await sections("all_real", f)
    assert await sections("mixed", with_trials) != await sections("real", f)


def test_the_filter_says_whether_trials_are_in() -> None:
    assert ReportFilter().to_dict()["include_trials"] is False
    assert ReportFilter(include_trials=True).to_dict()["include_trials"] is True


# --- the CLI and the JSON API ---------------------------------------------------------------


def _config(db: Path, tmp_path: Path) -> Config:
    return Config(
        database=DatabaseConfig(path=str(db)),
        flows=FlowsConfig(dir=str(tmp_path)),  # no flow files: the funnel needs none
        privacy=PrivacyConfig(min_group_size=K),
    )


def _funnel_on_the_cli(db: Path, tmp_path: Path, *args: str) -> dict[str, Any]:
    config = _config(db, tmp_path)
    result = CliRunner().invoke(
        report,
        ["--section", "funnel", "--format", "json", *args],
        obj=config,
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    [group] = json.loads(result.output)["sections"]["funnel"]
    return dict(group)


def test_the_cli_flag(databases: dict[str, Path], tmp_path: Path) -> None:
    real = _funnel_on_the_cli(databases["real"], tmp_path)
    assert _funnel_on_the_cli(databases["mixed"], tmp_path) == real
    every = _funnel_on_the_cli(databases["mixed"], tmp_path, "--include-trials")
    assert every == _funnel_on_the_cli(databases["all_real"], tmp_path)
    assert every["events_received"] > real["events_received"]  # "Service events received"
    assert every["surveys_sent"] == real["surveys_sent"] + len(TRIALS.conversations)


async def _api(store: Store, **params: str) -> tuple[int, Any]:
    app = web.Application()
    add_report_routes(app, lambda request: ReportContext(store, FLOWS, K))
    async with test_utils.TestClient(test_utils.TestServer(app)) as client:
        answer = await client.get("/v1/reports/funnel", params=params)
        return answer.status, await answer.json()


async def test_the_api_parameter(stores: dict[str, Store]) -> None:
    _, real = await _api(stores["real"])
    _, mixed = await _api(stores["mixed"])
    assert mixed["sections"] == real["sections"]
    assert mixed["filter"]["include_trials"] is False
    _, every = await _api(stores["mixed"], include_trials="true")
    _, all_real = await _api(stores["all_real"])
    assert every["sections"] == all_real["sections"]
    _, off = await _api(stores["mixed"], include_trials="false")
    assert off["sections"] == real["sections"]
    status, body = await _api(stores["mixed"], include_trials="yes please")
    assert status == 400 and "include_trials: expected true or false" in body["message"]


def test_the_api_parameter_is_documented() -> None:
    parameters = openapi_document()["paths"]["/v1/reports/{section}"]["get"]["parameters"]
    [include] = [p for p in parameters if p["name"] == "include_trials"]
    assert include["schema"] == {"type": "boolean", "default": False}


# --- the dashboard --------------------------------------------------------------------------


async def test_the_dashboard_leaves_trials_out_unless_asked(
    stores: dict[str, Store],
) -> None:
    async def view(name: str, filters: Filters) -> Dashboard:
        return await build(stores[name], FLOWS, filters, tz=TZ, min_group=K)

    assert await view("mixed", Filters()) == await view("real", Filters())
    every = await view("mixed", Filters(trials=True))
    assert replace(every, filters=Filters()) == await view("all_real", Filters())
    received = every.funnel.table.rows[0]
    assert received[0] == "Service events received"
    assert received != (await view("real", Filters())).funnel.table.rows[0]


def test_the_dashboard_control_is_a_filter() -> None:
    filters, problems = parse_filters({"trials": "1"}, [])
    assert filters.trials and not problems and filters.query() == {"trials": "1"}
    assert filters.report_filter(TZ).include_trials
    assert not parse_filters({}, [])[0].trials


ADMIN = "trial-results-admin-5"


@pytest.fixture
async def gw(tmp_path: Path) -> AsyncIterator[Running]:
    clock = ManualClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    async with running_gateway(
        gateway_env(tmp_path, SMSBOT_SERVER__ADMIN_TOKEN=ADMIN), clock
    ) as running:
        yield running


async def test_the_dashboard_page_has_the_control(gw: Running) -> None:
    async with signed_in(gw.url, ADMIN, "/ui/dashboard") as (browser, _):
        async with browser.get(gw.url + "/ui/dashboard") as page:
            off = await page.text()
        async with browser.get(gw.url + "/ui/dashboard", params={"trials": "1"}) as page:
            on = await page.text()
    assert 'name="trials"' in off and "checked" not in off.split('name="trials"')[1][:40]
    assert "checked" in on.split('name="trials"')[1][:40]
    assert "trials" in on.lower()


# --- exports --------------------------------------------------------------------------------


async def _export(store: Store, what: str, fmt: str, **options: Any) -> str:
    out = io.StringIO()
    await write_export(store, what, out, fmt=fmt, **options)
    return out.getvalue()


@pytest.mark.parametrize("what", ["answers", "conversations"])
async def test_exports_leave_trials_out_unless_asked(stores: dict[str, Store], what: str) -> None:
    real = await _export(stores["real"], what, "csv")
    assert await _export(stores["mixed"], what, "csv") == real
    every = list(
        csv.reader(io.StringIO(await _export(stores["mixed"], what, "csv", include_trials=True)))
    )
    all_real = list(csv.reader(io.StringIO(await _export(stores["all_real"], what, "csv"))))
    assert every[0] == [*EXPORTS[what].columns, "trial"]
    assert [row[:-1] for row in every] == all_real
    trial_ids = {c.id for c in TRIALS.conversations}
    at = every[0].index("conversation_id")
    assert all((row[-1] == "true") == (row[at] in trial_ids) for row in every[1:])
    lines = (await _export(stores["mixed"], what, "jsonl", include_trials=True)).splitlines()
    assert {json.loads(line)["trial"] for line in lines} == {True, False}


def test_the_export_command_flag(databases: dict[str, Path], tmp_path: Path) -> None:
    config = _config(databases["mixed"], tmp_path)
    plain = CliRunner().invoke(export, ["conversations"], obj=config)
    flagged = CliRunner().invoke(export, ["conversations", "--include-trials"], obj=config)
    assert plain.exit_code == flagged.exit_code == 0
    assert f"{len(REAL.conversations)} conversations row(s)" in plain.stderr
    every = len(REAL.conversations) + len(TRIALS.conversations)
    assert f"{every} conversations row(s)" in flagged.stderr
