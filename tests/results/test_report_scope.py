"""What a report is about: an empty result renders in every section and format, and a flow,
unit or service that nothing has is an error naming the one the user probably meant, on the
CLI, the JSON API and the dashboard."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import test_utils, web
from click.testing import CliRunner

from smsbot.cli.report import report
from smsbot.config import Config, DatabaseConfig, FlowsConfig, PrivacyConfig
from smsbot.http.reports import ReportContext, add_report_routes
from smsbot.results.reports import SECTIONS
from smsbot.storage.ports import Store
from smsbot.storage.sqlite.db import open_database
from smsbot.storage.sqlite.tx import SqliteStore
from tests.conftest import ROOT, ManualClock
from tests.harness import Running, gateway_env, running_gateway, signed_in
from tests.reportdata import database_with, generate

DATA = generate(surveys=300)
FORMATS = ("table", "json", "csv")


@pytest.fixture(scope="module")
def data_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return database_with(tmp_path_factory.mktemp("scope") / "data.db", DATA)


def _config(tmp_path: Path, db_path: Path, flows_dir: Path | None = None) -> Config:
    if flows_dir is None:
        flows_dir = tmp_path / "flows"
        flows_dir.mkdir(exist_ok=True)
        for flow in DATA.flows.values():
            (flows_dir / f"{flow.id}.yaml").write_text(yaml.safe_dump(dict(flow.source)), "utf-8")
    return Config(
        database=DatabaseConfig(path=str(db_path)),
        flows=FlowsConfig(dir=str(flows_dir)),
        privacy=PrivacyConfig(min_group_size=5),
    )


# --- an empty result -----------------------------------------------------------------------


EMPTY = [
    ("empty database", []),
    ("empty database, by unit", ["--group-by", "unit"]),
    ("nothing in the period", ["--since", "2030-01-01"]),
    ("nothing in the period, by unit", ["--since", "2030-01-01", "--group-by", "unit"]),
    (
        "a flow with no data",
        ["--flow", "visit", "--unit", "Kontaktcenter", "--since", "2030-01-01"],
    ),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("section", [*SECTIONS, "all"])
@pytest.mark.parametrize(("case", "args"), EMPTY, ids=[case for case, _ in EMPTY])
def test_an_empty_result_is_never_a_crash(
    tmp_path: Path, data_db: Path, case: str, args: list[str], section: str, fmt: str
) -> None:
    db = tmp_path / "empty.db" if case.startswith("empty") else data_db
    config = _config(tmp_path, db)
    result = CliRunner().invoke(
        report, [*args, "--section", section, "--format", fmt], obj=config, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    if fmt == "json":
        assert set(json.loads(result.output)["sections"]) == (
            set(SECTIONS) if section == "all" else {section}
        )
    elif fmt == "csv":
        assert next(csv.reader(io.StringIO(result.output))) == [
            "section",
            "group",
            "figure",
            "value",
        ]
    else:
        assert result.output.startswith("Report")


def test_a_table_with_no_groups_says_so(tmp_path: Path) -> None:
    config = _config(tmp_path, tmp_path / "empty.db")
    result = CliRunner().invoke(
        report, ["--group-by", "unit", "--section", "funnel"], obj=config, catch_exceptions=False
    )
    assert result.exit_code == 0 and "(no data)" in result.output


# --- an unknown name -----------------------------------------------------------------------


UNKNOWN = [
    ("--flow", "vist", "unknown flow 'vist' (did you mean 'visit'?)"),
    (
        "--unit",
        "Vårdcentral Nor",
        "unknown unit 'Vårdcentral Nor' (did you mean 'Vårdcentral Norr'?)",
    ),
    ("--service", "primary care", "unknown service 'primary care' (did you mean 'primary-care'?)"),
    (
        "--unit",
        "Zzz",
        "unknown unit 'Zzz' (known: Hyrynsalmi, Kontaktcenter, Terveysasema Kajaani,",
    ),
]


@pytest.mark.parametrize(("option", "value", "says"), UNKNOWN)
@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_name_on_the_cli_is_one_line_and_exit_2(
    tmp_path: Path, data_db: Path, option: str, value: str, says: str, fmt: str
) -> None:
    config = _config(tmp_path, data_db)
    result = CliRunner().invoke(report, [option, value, "--format", fmt], obj=config)
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and says in result.output, result.output
    assert "Traceback" not in result.output


def test_the_issue_s_typo_against_the_shipped_flows(tmp_path: Path) -> None:
    """`smsbot report --flow health-vist` crashed with a TypeError on a fresh database."""
    config = _config(tmp_path, tmp_path / "fresh.db", ROOT / "flows")
    result = CliRunner().invoke(report, ["--flow", "health-vist"], obj=config)
    assert result.exit_code == 2
    assert result.output == "Error: unknown flow 'health-vist' (did you mean 'health-visit'?)\n"


def test_a_known_name_without_data_in_the_period_is_no_error(tmp_path: Path, data_db: Path) -> None:
    config = _config(tmp_path, data_db)
    args = ["--unit", "Kontaktcenter", "--since", "2030-01-01", "--format", "json"]
    result = CliRunner().invoke(report, args, obj=config, catch_exceptions=False)
    assert result.exit_code == 0
    [group] = json.loads(result.output)["sections"]["funnel"]
    assert group["n"] == 0


@pytest.fixture
async def data_store(data_db: Path) -> AsyncIterator[Store]:
    db = await open_database(data_db)
    try:
        yield SqliteStore(db)
    finally:
        await db.close()


@pytest.mark.parametrize(("option", "value", "says"), UNKNOWN)
async def test_an_unknown_name_on_the_json_api_is_a_400(
    data_store: Store, option: str, value: str, says: str
) -> None:
    app = web.Application()
    add_report_routes(app, lambda request: ReportContext(data_store, DATA.flows, 5))
    async with test_utils.TestClient(test_utils.TestServer(app)) as client:
        answer = await client.get("/v1/reports/all", params={option.strip("-"): value})
        body: dict[str, Any] = await answer.json()
    assert answer.status == 400
    assert body["error"] == "invalid_query" and says in body["message"]


# --- the dashboard -------------------------------------------------------------------------

ADMIN = "scope-admin-token-31"


@pytest.fixture
async def gw(tmp_path: Path) -> AsyncIterator[Running]:
    clock = ManualClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    async with running_gateway(
        gateway_env(tmp_path, SMSBOT_SERVER__ADMIN_TOKEN=ADMIN), clock
    ) as running:
        status, _ = await running.post_events(
            {
                "id": "e-1",
                "type": "contact.closed",
                "phone": "+46701740642",
                "occurred_at": "2026-11-23T09:55:00+01:00",
                "unit": "Kontaktcenter Örebro",
                "service": "Bygglov",
            }
        )
        assert status == 202
        yield running


@pytest.mark.parametrize(
    ("query", "says"),
    [
        (
            {"flow": "contact-centr"},
            "There is no flow 'contact-centr' (did you mean 'contact-centre'?)",
        ),
        (
            {"unit": "Kontaktcenter Örebr"},
            "There is no unit 'Kontaktcenter Örebr' (did you mean 'Kontaktcenter Örebro'?)",
        ),
        ({"service": "Bygglv"}, "There is no service 'Bygglv' (did you mean 'Bygglov'?)"),
    ],
)
async def test_an_unknown_name_on_the_dashboard_is_a_message(
    gw: Running, query: dict[str, str], says: str
) -> None:
    async with (
        signed_in(gw.url, ADMIN, "/ui/dashboard") as (browser, _),
        browser.get(gw.url + "/ui/dashboard", params=query) as page,
    ):
        text = await page.text()
    assert page.status == 200
    assert says.replace("'", "&#39;") in text
