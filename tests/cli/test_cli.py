"""The `smsbot` command as a service designer uses it: flows check and chat."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from smsbot.cli import main

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(str(p) for p in (ROOT / "flows").glob("*.yaml") if p.name != "tags.yaml")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "SMSBOT_DATABASE__PATH": str(tmp_path / "chat.db"),
        "SMSBOT_FLOWS__DIR": str(ROOT / "flows"),
        "SMSBOT_PRIVACY__PSEUDONYM_KEY": "k",
        "SMSBOT_CONFIG": str(ROOT / "config.toml"),
    }


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin, env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_shipped_flows_pass_the_check(env: dict[str, str]) -> None:
    code, out, err = run(env, "flows", "check", *SHIPPED)
    assert (code, out) == (0, "")
    assert f"{len(SHIPPED)} file(s) checked: 0 error(s), 0 warning(s)" in err


def test_a_broken_flow_fails_with_located_messages(env: dict[str, str], tmp_path: Path) -> None:
    broken = tmp_path / "visit.yaml"
    text = (ROOT / "flows" / "health-visit.yaml").read_text()
    broken.write_text(text.replace("preset: csat", "min: 9\n    max: 8", 1))
    code, out, _ = run(env, "flows", "check", str(broken))
    assert code == 1
    assert "max (8) must be greater than min (9)" in out
    line = out.split(":")[1]
    assert line.isdigit() and int(line) > 1


def test_chat_holds_a_whole_conversation_and_stores_it(env: dict[str, str]) -> None:
    flow = str(ROOT / "flows" / "contact-centre.yaml")
    replies = "2\nnej\n1\nnej\nJag hittade inget på webben\nnej\n"  # and no to a call
    code, out, _ = run(env, "chat", flow, "--lang", "sv", "--event-field", "unit=KC", stdin=replies)
    assert code == 0, out
    assert out.count("bot › ") >= 6
    assert "[1 SMS, GSM-7," in out
    assert "you › nej" in out
    assert "conversation completed" in out
    with sqlite3.connect(env["SMSBOT_DATABASE__PATH"]) as db:
        answers = db.execute("SELECT question_id, raw_text FROM answers ORDER BY id").fetchall()
        status = db.execute("SELECT status, unit FROM conversations").fetchall()
    assert [a[1] for a in answers] == replies.splitlines()
    assert status == [("completed", "KC")]


def test_chat_end_of_input_expires_the_conversation(env: dict[str, str]) -> None:
    flow = str(ROOT / "flows" / "health-visit.yaml")
    unit = "--event-field=unit=Kajaanin terveysasema"
    code, out, _ = run(env, "chat", flow, "--lang", "fi", unit, stdin="4\n")
    assert code == 0
    assert "expired" in out
    with sqlite3.connect(env["SMSBOT_DATABASE__PATH"]) as db:
        assert db.execute("SELECT status, language FROM conversations").fetchall() == [
            ("expired", "fi")
        ]


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ([], "uses {unit} in its texts: give it with --event-field unit=VALUE"),
        (
            ["--event-field", "unit= "],
            "uses {unit} in its texts: give it with --event-field unit=VALUE",
        ),
    ],
    ids=["not given", "blank"],
)
def test_chat_names_a_field_the_flows_texts_use_before_any_sms(
    env: dict[str, str], given: list[str], says: str
) -> None:
    flow = str(ROOT / "flows" / "contact-centre.yaml")
    code, out, err = run(env, "chat", flow, *given, stdin="6\n")
    assert code == 1
    assert out == ""  # no SMS, no "Hej från !"
    assert err.splitlines()[-1] == f"Error: the flow 'contact-centre' {says}"
    assert not Path(env["SMSBOT_DATABASE__PATH"]).exists()


def test_chat_names_every_missing_field(env: dict[str, str], tmp_path: Path) -> None:
    flow = tmp_path / "fields.yaml"
    text = (ROOT / "flows" / "contact-centre.yaml").read_text(encoding="utf-8")
    flow.write_text(text.replace("Tack för din kontakt.", "Tack för din kontakt om {service}."))
    code, _, err = run(env, "chat", str(flow), "--lang", "sv", stdin="")
    assert code == 1
    assert err.splitlines()[-1] == (
        "Error: the flow 'contact-centre' uses {unit}, {service} in its texts: give them with "
        "--event-field unit=VALUE --event-field service=VALUE"
    )


def test_chat_refuses_a_flow_with_errors(env: dict[str, str], tmp_path: Path) -> None:
    broken = tmp_path / "x.yaml"
    broken.write_text("format: 1\nid: x\n")
    code, _, err = run(env, "chat", str(broken))
    assert code == 1
    assert "x.yaml" in err


def test_a_config_error_names_the_key(env: dict[str, str]) -> None:
    code, _, err = run({**env, "SMSBOT_SERVER__PORT": "abc"}, "flows", "check")
    assert code == 1
    assert "SMSBOT_SERVER__PORT" in err


# --- which configuration and database a command uses ----------------------------------------

NO_SMSBOT_ENV = {
    "SMSBOT_CONFIG": None,
    "SMSBOT_DATABASE__PATH": None,
    "SMSBOT_FLOWS__DIR": None,
    "SMSBOT_PRIVACY__PSEUDONYM_KEY": "k",
}
EVENTS_CSV = (
    "id,type,phone,occurred_at,unit,service\n"
    "e1,contact.closed,070-174 06 50,2026-11-23T10:15:00+01:00,KC,Bygglov\n"
)


def a_project(folder: Path) -> Path:
    """A project folder: config.toml, its flows, and a sub-folder to run commands from."""
    shutil.copytree(ROOT / "flows", folder / "flows")
    shutil.copy(ROOT / "config.toml", folder / "config.toml")
    (folder / "exports" / "nightly").mkdir(parents=True)
    (folder / "exports" / "nightly" / "events.csv").write_text(EVENTS_CSV, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    "args",
    [
        ("events", "import", "events.csv"),
        ("chat", "../../flows/contact-centre.yaml", "--event-field", "unit=KC"),
    ],
    ids=["events import", "chat"],
)
def test_a_command_run_inside_the_project_uses_the_projects_config_and_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    project = a_project(tmp_path / "project")
    monkeypatch.chdir(project / "exports" / "nightly")
    code, _, err = run(NO_SMSBOT_ENV, *args, stdin="")
    database = project / "var" / "smsbot.db"
    assert err.splitlines()[0] == f"using config {project / 'config.toml'}, database {database}"
    assert code == 0, err
    assert database.is_file()
    assert not (project / "exports" / "nightly" / "var").exists()


def test_without_a_config_file_a_command_says_so_and_what_it_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "events.csv").write_text(EVENTS_CSV, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, _, err = run(NO_SMSBOT_ENV, "events", "import", "events.csv")
    assert code == 1
    assert err.splitlines() == [
        f"using no config file (none in {tmp_path} or its parents: defaults), "
        f"database {tmp_path / 'var' / 'smsbot.db'}",
        f"Error: the flows folder {tmp_path / 'flows'} does not exist (set SMSBOT_FLOWS__DIR)",
    ]
    assert not (tmp_path / "var").exists()  # no new, empty database


@pytest.mark.parametrize(
    "args",
    [("report",), ("export", "answers"), ("feedback", "list"), ("purge",)],
    ids=["report", "export", "feedback", "purge"],
)
def test_a_command_that_reads_stored_data_does_not_make_an_empty_database(
    env: dict[str, str], args: tuple[str, ...]
) -> None:
    database = env["SMSBOT_DATABASE__PATH"]
    code, _, err = run(env, *args)
    assert code == 1
    assert err.splitlines()[-1] == (
        f"Error: there is no database at {database}: run smsbot where the project's "
        "config.toml is, give --config, or set SMSBOT_DATABASE__PATH"
    )
    assert not Path(database).exists()


@pytest.mark.parametrize(
    ("args", "uses"),
    [
        (("flows", "check"), f"flows {ROOT / 'flows'}"),
        (("simulate", "reply", "+46701740650", "hej", "--url", "http://127.0.0.1:9"), None),
    ],
    ids=["flows check", "simulate reply"],
)
def test_commands_without_a_database_say_what_they_use(
    env: dict[str, str], args: tuple[str, ...], uses: str | None
) -> None:
    _, _, err = run(env, *args)
    shown = uses or "gateway http://127.0.0.1:8080"
    assert err.splitlines()[0] == f"using config {ROOT / 'config.toml'}, {shown}"


def test_help_says_nothing_about_the_configuration(env: dict[str, str]) -> None:
    code, out, err = run(env, "report", "--help")
    assert code == 0 and "Usage:" in out
    assert err == ""
