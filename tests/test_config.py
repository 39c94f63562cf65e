"""Configuration: defaults, then config.toml, then SMSBOT_* environment variables."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from smsbot.config import Config, ConfigError, load_config, parse_duration

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def value(config: Config, dotted: str) -> Any:
    section, key = dotted.split(".")
    return getattr(getattr(config, section), key)


# --- defaults and the shipped file ---------------------------------------------------------------

DEFAULTS = [
    ("database.path", "var/smsbot.db"),
    ("flows.dir", "flows"),
    ("server.host", "127.0.0.1"),
    ("server.port", 8080),
    ("server.max_body_bytes", 65536),
    ("server.public_url", ""),
    ("server.admin_token", None),
    ("transport.kind", "simulator"),
    ("vonage.api_key", ""),
    ("vonage.api_secret", None),
    ("vonage.from_number", "smsbot"),
    ("vonage.signature_method", "sha256"),
    ("vonage.signature_secret", None),
    ("vonage.application_id", ""),
    ("vonage.private_key", None),
    ("vonage.rest_host", "rest.nexmo.com"),
    ("vonage.api_host", "api.nexmo.com"),
    ("vonage.timeout_seconds", 10),
    ("sending.rate_per_second", 30.0),
    ("sending.max_attempts", 5),
    ("sending.backoff_seconds", 2.0),
    ("sending.threads", 4),
    ("sending.loop_guard_count", 3),
    ("sending.loop_guard_window", "10m"),
    ("survey.default_region", "SE"),
    ("survey.timezone", "Europe/Stockholm"),
    ("survey.quiet_start", "21:00"),
    ("survey.quiet_end", "08:00"),
    ("survey.max_age", "24h"),
    ("survey.fatigue_days", 30),
    ("survey.stop_words", ("STOP", "STOPP", "SLUTA", "LOPETA")),
    ("survey.help_words", ("HELP", "HJÄLP", "APUA")),
    ("survey.answer_unknown", False),
    ("survey.reminder_after", ""),
    ("privacy.retention", "7d"),
    ("privacy.pseudonym_key", None),
    ("privacy.min_group_size", 5),
    ("logging.format", "auto"),
    ("logging.level", "info"),
]


@pytest.mark.parametrize(("key", "expected"), DEFAULTS)
def test_defaults_without_a_file(
    key: str, expected: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./config.toml here
    config = load_config(environ={})
    assert value(config, key) == expected
    assert config.path is None
    assert config.sources == {}
    assert config.source_tokens == {}


def test_default_texts_exist_in_every_language() -> None:
    texts = dataclasses.asdict(Config().texts)
    assert len(texts) == 9
    assert all(isinstance(text, str) and 10 < len(text) <= 160 for text in texts.values())
    assert (
        "STOP" in texts["help_sv"] and "STOP" in texts["help_en"] and "LOPETA" in texts["help_fi"]
    )


def test_the_shipped_file_holds_the_defaults() -> None:
    config = load_config(ROOT / "config.toml", environ={})
    defaults = Config()
    for section in ("server", "transport", "vonage", "sending", "survey", "texts", "privacy"):
        assert getattr(config, section) == getattr(defaults, section), section
    assert config.logging == defaults.logging
    assert config.database.path == str(ROOT / "var" / "smsbot.db")
    assert config.flows.dir == str(ROOT / "flows")
    assert set(config.sources) == {"demo"}
    assert config.path == ROOT / "config.toml"


def test_the_shipped_file_names_every_key() -> None:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    for field in DEFAULTS:
        section, key = field[0].split(".")
        assert f"[{section}]" in text
        assert f"{key} =" in text or f"{key}:" in text, key


def test_the_config_file_is_found_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "[server]\nport = 9000\n")
    monkeypatch.chdir(tmp_path)
    config = load_config(environ={})
    assert config.server.port == 9000
    assert config.path == tmp_path / "config.toml"


@pytest.mark.parametrize("below", ["", "a", "a/b/c"])
def test_the_config_file_is_found_in_the_nearest_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, below: str
) -> None:
    write(tmp_path, '[database]\npath = "var/smsbot.db"\n[flows]\ndir = "flows"\n')
    (tmp_path / below).mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(tmp_path / below)
    config = load_config(environ={})
    assert config.path == tmp_path / "config.toml"
    assert config.database.path == str(tmp_path / "var" / "smsbot.db")  # not ./var/smsbot.db
    assert config.flows.dir == str(tmp_path / "flows")


def test_a_nearer_config_file_wins(tmp_path: Path) -> None:
    write(tmp_path, "[server]\nport = 9000\n")
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "[server]\nport = 9001\n")
    assert load_config(environ={}, cwd=tmp_path / "sub").server.port == 9001
    assert load_config(environ={}, cwd=tmp_path).server.port == 9000


def test_smsbot_config_names_the_file(tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    other.write_text("[server]\nport = 9001\n", encoding="utf-8")
    assert load_config(environ={"SMSBOT_CONFIG": str(other)}).server.port == 9001


def test_a_missing_named_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml: configuration file not found"):
        load_config(tmp_path / "nope.toml", environ={})


def test_invalid_toml_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "[server\nport = 1\n")
    with pytest.raises(ConfigError, match=r"config.toml: not valid TOML: .*line 1"):
        load_config(path, environ={})


# --- values from the file ------------------------------------------------------------------------

FILE_VALUES = [
    ('[server]\nport = 9000\nhost = "0.0.0.0"', "server.port", 9000),
    ('[server]\nhost = "0.0.0.0"', "server.host", "0.0.0.0"),
    ('[transport]\nkind = "vonage-messages"', "transport.kind", "vonage-messages"),
    ('[vonage]\nsignature_method = "md5hash"', "vonage.signature_method", "md5hash"),
    ("[sending]\nrate_per_second = 5", "sending.rate_per_second", 5.0),
    ("[sending]\nbackoff_seconds = 0.5", "sending.backoff_seconds", 0.5),
    ('[survey]\nstop_words = ["NEJ", "STOP"]', "survey.stop_words", ("NEJ", "STOP")),
    ("[survey]\nanswer_unknown = true", "survey.answer_unknown", True),
    ('[survey]\ndefault_region = "fi"', "survey.default_region", "FI"),
    ('[survey]\ntimezone = "Europe/Helsinki"', "survey.timezone", "Europe/Helsinki"),
    ('[survey]\nreminder_after = "4h"', "survey.reminder_after", "4h"),
    ('[texts]\nhelp_en = "Hello"', "texts.help_en", "Hello"),
    ('[logging]\nformat = "json"\nlevel = "debug"', "logging.level", "debug"),
    ('[database]\npath = "/srv/smsbot.db"', "database.path", "/srv/smsbot.db"),
    ('[database]\npath = ":memory:"', "database.path", ":memory:"),
]


@pytest.mark.parametrize(("text", "key", "expected"), FILE_VALUES)
def test_file_values(text: str, key: str, expected: object, tmp_path: Path) -> None:
    config = load_config(write(tmp_path, text), environ={})
    assert value(config, key) == expected


def test_relative_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    path = write(tmp_path / "etc", '[database]\npath = "data/x.db"\n')
    config = load_config(path, environ={})
    assert config.database.path == str(tmp_path / "etc" / "data" / "x.db")
    assert config.flows.dir == str(tmp_path / "etc" / "flows")  # a default beside a file too


def test_relative_paths_from_the_environment_are_left_as_given(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    config = load_config(path, environ={"SMSBOT_DATABASE__PATH": "here.db"})
    assert config.database.path == "here.db"


def test_config_is_frozen() -> None:
    config = Config()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.server.port = 1  # type: ignore[misc]


# --- environment overrides -----------------------------------------------------------------------

ENV_VALUES = [
    ("SMSBOT_SERVER__PORT", "8081", "server.port", 8081),
    ("SMSBOT_SERVER__PORT", " 8081 ", "server.port", 8081),
    ("SMSBOT_SERVER__HOST", "0.0.0.0", "server.host", "0.0.0.0"),
    ("SMSBOT_DATABASE__PATH", "/tmp/x.db", "database.path", "/tmp/x.db"),
    ("SMSBOT_SERVER__ADMIN_TOKEN", "s3cret", "server.admin_token", "s3cret"),
    ("SMSBOT_SERVER__ADMIN_TOKEN", "", "server.admin_token", None),
    ("SMSBOT_VONAGE__SIGNATURE_SECRET", "abc", "vonage.signature_secret", "abc"),
    ("SMSBOT_VONAGE__API_SECRET", "xyz", "vonage.api_secret", "xyz"),
    ("SMSBOT_VONAGE__PRIVATE_KEY", "-----BEGIN", "vonage.private_key", "-----BEGIN"),
    ("SMSBOT_PRIVACY__PSEUDONYM_KEY", "k", "privacy.pseudonym_key", "k"),
    ("SMSBOT_TRANSPORT__KIND", "vonage-sms", "transport.kind", "vonage-sms"),
    ("SMSBOT_SENDING__RATE_PER_SECOND", "12.5", "sending.rate_per_second", 12.5),
    ("SMSBOT_SENDING__RATE_PER_SECOND", "7", "sending.rate_per_second", 7.0),
    ("SMSBOT_SURVEY__ANSWER_UNKNOWN", "true", "survey.answer_unknown", True),
    ("SMSBOT_SURVEY__ANSWER_UNKNOWN", "YES", "survey.answer_unknown", True),
    ("SMSBOT_SURVEY__ANSWER_UNKNOWN", "1", "survey.answer_unknown", True),
    ("SMSBOT_SURVEY__ANSWER_UNKNOWN", "no", "survey.answer_unknown", False),
    ("SMSBOT_SURVEY__ANSWER_UNKNOWN", "0", "survey.answer_unknown", False),
    ("SMSBOT_SURVEY__ANSWER_UNKNOWN", "False", "survey.answer_unknown", False),
    ("SMSBOT_SURVEY__STOP_WORDS", "STOP, NEJ ,", "survey.stop_words", ("STOP", "NEJ")),
    ("SMSBOT_SURVEY__FATIGUE_DAYS", "0", "survey.fatigue_days", 0),
    ("SMSBOT_SURVEY__MAX_AGE", "48h", "survey.max_age", "48h"),
    ("SMSBOT_LOGGING__FORMAT", "json", "logging.format", "json"),
]


@pytest.mark.parametrize(("name", "text", "key", "expected"), ENV_VALUES)
def test_environment_overrides(
    name: str, text: str, key: str, expected: object, tmp_path: Path
) -> None:
    path = write(tmp_path, "[server]\nport = 9000\n[survey]\nanswer_unknown = true\n")
    config = load_config(path, environ={name: text})
    assert value(config, key) == expected


def test_environment_wins_over_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[server]\nport = 9000\n")
    assert load_config(path, environ={"SMSBOT_SERVER__PORT": "9100"}).server.port == 9100


def test_secrets_are_not_in_repr() -> None:
    config = load_config(
        ROOT / "config.toml",
        environ={"SMSBOT_VONAGE__API_SECRET": "hush-1", "SMSBOT_TOKEN_DEMO": "hush-2"},
    )
    assert "hush" not in repr(config)


# --- errors --------------------------------------------------------------------------------------

FILE_ERRORS = [
    (
        '[server]\nport = "abc"',
        r"\[server\] port: expected a whole number from 1 to 65535, got 'abc'",
    ),
    (
        "[server]\nport = 70000",
        r"\[server\] port: expected a whole number from 1 to 65535, got 70000",
    ),
    ("[server]\nport = 80.5", r"\[server\] port: expected a whole number .*, got 80.5"),
    ("[server]\nport = true", r"\[server\] port: expected a whole number .*, got True"),
    ("[server]\nprot = 1", r"\[server\] prot: unknown key \(did you mean 'port'\?\)"),
    ("[server]\nzzz = 1", r"\[server\] zzz: unknown key$"),
    ("[servr]\nport = 1", r"\[servr\]: unknown section \(did you mean 'server'\?\)"),
    ("port = 1", r"\[port\]: unknown key outside any section"),
    ("server = 1", r"server: expected a table \[server\], got 1"),
    ("[server]\nhost = 1", r"\[server\] host: expected a string, got 1"),
    ("[survey]\nanswer_unknown = 'yes'", r"answer_unknown: expected true or false, got 'yes'"),
    (
        "[sending]\nrate_per_second = 0",
        r"rate_per_second: expected a number greater than 0, got 0.0",
    ),
    ("[sending]\nrate_per_second = 'x'", r"rate_per_second: expected a number, got 'x'"),
    (
        "[sending]\nbackoff_seconds = -1",
        r"backoff_seconds: expected a number of at least 0, got -1",
    ),
    ("[sending]\nthreads = 11", r"threads: expected a whole number from 1 to 10, got 11"),
    ("[sending]\nloop_guard_window = '10'", r"loop_guard_window: expected a duration .*got '10'"),
    ("[survey]\nstop_words = 'STOP'", r"stop_words: expected a list of strings, got 'STOP'"),
    ("[survey]\nstop_words = [1]", r"stop_words: expected a list of strings, got \[1\]"),
    ("[survey]\nstop_words = []", r"stop_words: expected a list of one or more non-empty words"),
    ("[survey]\ndefault_region = 'SWE'", r"default_region: expected a two-letter region code"),
    (
        "[survey]\ntimezone = 'Europe/Stokholm'",
        r"timezone: expected a time zone name .*got 'Europe/Stokholm' "
        r"\(did you mean 'Europe/Stockholm'\?\)",
    ),
    ("[survey]\ntimezone = '../etc'", r"timezone: expected a time zone name"),
    ("[survey]\nquiet_start = '25:00'", r"quiet_start: expected a time of day HH:MM"),
    ("[survey]\nquiet_end = '8:00'", r"quiet_end: expected a time of day HH:MM"),
    ("[survey]\nmax_age = '0s'", r"max_age: expected a duration longer than zero, got '0s'"),
    ("[survey]\nreminder_after = 'soon'", r"reminder_after: expected a duration"),
    ("[survey]\nfatigue_days = 4000", r"fatigue_days: expected a whole number from 0 to 3650"),
    ("[privacy]\nmin_group_size = 0", r"min_group_size: expected a whole number from 1 to 1000"),
    ("[vonage]\ntimeout_seconds = 0", r"timeout_seconds: expected a whole number from 1 to 120"),
    (
        "[transport]\nkind = 'vonage_sms'",
        r"kind: expected one of 'simulator', 'vonage-sms', 'vonage-messages', got 'vonage_sms' "
        r"\(did you mean 'vonage-sms'\?\)",
    ),
    ("[vonage]\nsignature_method = 'sha3'", r"signature_method: expected one of 'md5', "),
    ("[logging]\nlevel = 'verbose'", r"level: expected one of 'debug', 'info', 'warning', 'error'"),
    (
        "[sources.demo]\ndescr = 'x'",
        r"\[sources.demo\] descr: unknown key \(did you mean 'description'",
    ),
    ("[sources]\ndemo = 1", r"\[sources\] demo: expected a table \[sources.demo\], got 1"),
    ("[sources.Demo]", r"\[sources.Demo\]: a source name is lower-case letters"),
    ("sources = 1", r"sources: expected tables such as \[sources.demo\]"),
]


@pytest.mark.parametrize(("text", "message"), FILE_ERRORS)
def test_file_errors_name_the_key(text: str, message: str, tmp_path: Path) -> None:
    path = write(tmp_path, text + "\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert len(caught.value.problems) == 1, caught.value.problems
    problem = caught.value.problems[0]
    assert problem.startswith(f"{path}: "), problem
    assert re.search(message, problem), problem


ENV_ERRORS = [
    ("SMSBOT_SERVER__PORT", "abc", "expected a whole number from 1 to 65535, got 'abc'"),
    ("SMSBOT_SERVER__PORT", "0", "expected a whole number from 1 to 65535, got 0"),
    ("SMSBOT_SERVER__PORT", "1.5", "expected a whole number from 1 to 65535, got '1.5'"),
    ("SMSBOT_SURVEY__ANSWER_UNKNOWN", "maybe", "expected true or false, got 'maybe'"),
    ("SMSBOT_SENDING__RATE_PER_SECOND", "fast", "expected a number, got 'fast'"),
    ("SMSBOT_SENDING__RATE_PER_SECOND", "nan", "expected a number, got nan"),
    ("SMSBOT_SURVEY__STOP_WORDS", " , ", "expected a list of one or more non-empty words"),
    ("SMSBOT_TRANSPORT__KIND", "smtp", "expected one of 'simulator', 'vonage-sms'"),
    ("SMSBOT_SURVEY__MAX_AGE", "1 day", "expected a duration such as '30s'"),
    (
        "SMSBOT_SERVER__PROT",
        "1",
        "unknown configuration variable (did you mean 'SMSBOT_SERVER__PORT'?)",
    ),
    ("SMSBOT_NOPE__X", "1", "unknown configuration variable"),
]


@pytest.mark.parametrize(("name", "text", "message"), ENV_ERRORS)
def test_environment_errors_name_the_variable(name: str, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(ROOT / "config.toml", environ={name: text})
    assert str(caught.value) == f"{name}: {message}" or str(caught.value).startswith(
        f"{name}: {message}"
    ), str(caught.value)


def test_other_smsbot_variables_are_not_overrides() -> None:
    config = load_config(
        ROOT / "config.toml",
        environ={"SMSBOT_TOKEN_OTHER": "x", "SMSBOT_CONFIG": "", "SMSBOT_X": "1"},
    )
    assert config.source_tokens == {}


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, "[server]\nport = 'a'\nprot = 1\n[survey]\nquiet_end = 'x'\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={"SMSBOT_SENDING__THREADS": "99"})
    assert len(caught.value.problems) == 4
    assert str(caught.value).count("\n") == 3


SECRETS = [
    ("server", "admin_token", "SMSBOT_SERVER__ADMIN_TOKEN"),
    ("vonage", "api_secret", "SMSBOT_VONAGE__API_SECRET"),
    ("vonage", "signature_secret", "SMSBOT_VONAGE__SIGNATURE_SECRET"),
    ("vonage", "private_key", "SMSBOT_VONAGE__PRIVATE_KEY"),
    ("privacy", "pseudonym_key", "SMSBOT_PRIVACY__PSEUDONYM_KEY"),
]


@pytest.mark.parametrize(("section", "key", "env_name"), SECRETS)
def test_a_secret_in_the_file_is_refused(
    section: str, key: str, env_name: str, tmp_path: Path
) -> None:
    path = write(tmp_path, f'[{section}]\n{key} = "hush"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={env_name: "also"})
    assert str(caught.value) == (
        f"{path}: [{section}] {key}: "
        f"a secret may not be written in the file; set {env_name} instead"
    )
    assert "hush" not in str(caught.value)


# --- event sources and their tokens --------------------------------------------------------------

TOKENS = [
    ({}, {}),
    ({"SMSBOT_TOKEN_DEMO": "t1"}, {"demo": "t1"}),
    ({"SMSBOT_TOKEN_DEMO": "  t1\n"}, {"demo": "t1"}),
    ({"SMSBOT_TOKEN_DEMO": ""}, {}),
    (
        {"SMSBOT_TOKEN_DEMO": "t1", "SMSBOT_TOKEN_CONTACT_CENTRE": "t2"},
        {"demo": "t1", "contact-centre": "t2"},
    ),
    ({"SMSBOT_TOKEN_UNDECLARED": "t3"}, {}),
    ({"smsbot_token_demo": "t1"}, {}),
]


@pytest.mark.parametrize(("environ", "expected"), TOKENS)
def test_source_tokens(environ: dict[str, str], expected: dict[str, str], tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[sources.demo]\ndescription = "Demo"\n[sources.contact-centre]\n',
    )
    config = load_config(path, environ=environ)
    assert dict(config.source_tokens) == expected
    assert config.sources["demo"].description == "Demo"
    assert config.sources["contact-centre"].description == ""


def test_the_shipped_file_declares_demo() -> None:
    config = load_config(ROOT / "config.toml", environ={"SMSBOT_TOKEN_DEMO": "demo"})
    assert dict(config.source_tokens) == {"demo": "demo"}


def test_two_sources_with_one_token_variable_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "[sources.a-b]\n[sources.a_b]\n")
    with pytest.raises(ConfigError, match="SMSBOT_TOKEN_A_B is also the one of"):
        load_config(path, environ={})


def test_a_source_description_can_come_from_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "[sources.demo]\n")
    config = load_config(path, environ={"SMSBOT_SOURCES__DEMO__DESCRIPTION": "From env"})
    assert config.sources["demo"].description == "From env"


# --- durations -----------------------------------------------------------------------------------

DURATIONS = [
    ("30s", 30),
    ("15m", 900),
    ("48h", 172800),
    ("7d", 604800),
    ("0s", 0),
    (" 10M ", 600),
    ("1h30m", 5400),
]


@pytest.mark.parametrize(("text", "seconds"), DURATIONS)
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text", ["", "10", "s", "1.5h", "-1h", "1 h", "1w", "ten minutes", "1h 30m"]
)
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(
        ValueError, match=r"expected a duration such as '30s', '15m', '48h' or '7d'"
    ):
        parse_duration(text)
