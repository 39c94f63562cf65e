"""Logging: JSON lines, bound context, masked phone numbers, no message bodies at info."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import pytest
import structlog

from smsbot.logs import configure_logging, drop_bodies, get_logger, mask_phone, mask_phones


@pytest.fixture(autouse=True)
def _reset_structlog() -> Iterator[None]:
    yield
    structlog.contextvars.clear_contextvars()
    structlog.reset_defaults()


class Pair(NamedTuple):
    phone: str
    n: int


class TtyStream(io.StringIO):
    def isatty(self) -> bool:
        return True


def json_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def log_one(level: str = "info", method: str = "info", **values: Any) -> dict[str, Any]:
    stream = io.StringIO()
    configure_logging("json", level, stream=stream)
    getattr(get_logger("smsbot.test"), method)("something_happened", **values)
    lines = json_lines(stream)
    assert len(lines) == 1, lines
    return lines[0]


MASKS = [
    ("+358401234567", "+35840*****67"),
    ("+46701740642", "+46701****42"),
    ("+123456789", "+12345**89"),
    ("+1234567", "+*******"),
    ("+12345", "+*****"),
    ("46701740642", "467017***42"),
    ("1234", "****"),
    ("", ""),
]


@pytest.mark.parametrize(("number", "masked"), MASKS)
def test_mask_phone(number: str, masked: str) -> None:
    assert mask_phone(number) == masked
    assert len(mask_phone(number)) == len(number)


def test_json_lines_have_event_level_timestamp_and_values() -> None:
    before = datetime.now(UTC)
    line = log_one(unit="Kontaktcenter Örebro", count=3)
    assert line["event"] == "something_happened"
    assert line["level"] == "info"
    assert line["logger"] == "smsbot.test"
    assert line["unit"] == "Kontaktcenter Örebro"
    assert line["count"] == 3
    stamp = datetime.fromisoformat(line["timestamp"])
    assert stamp.utcoffset() == timedelta(0)
    assert abs(stamp - before) < timedelta(seconds=5)


def test_one_event_per_line() -> None:
    stream = io.StringIO()
    configure_logging("json", stream=stream)
    log = get_logger()
    log.info("first", note="two\nlines")
    log.warning("second")
    lines = json_lines(stream)
    assert [(line["event"], line["level"]) for line in lines] == [
        ("first", "info"),
        ("second", "warning"),
    ]
    assert "logger" not in lines[0]


def test_levels_below_the_configured_one_are_dropped() -> None:
    stream = io.StringIO()
    configure_logging("json", "warning", stream=stream)
    log = get_logger("x")
    log.debug("a")
    log.info("b")
    log.warning("c")
    log.error("d")
    assert [line["event"] for line in json_lines(stream)] == ["c", "d"]


def test_bound_context_is_included_and_masked() -> None:
    stream = io.StringIO()
    configure_logging("json", stream=stream)
    structlog.contextvars.bind_contextvars(
        request_id="r-1", conversation_id="c-9", flow="health-visit", phone="+46701740642"
    )
    get_logger().info("answered")
    (line,) = json_lines(stream)
    assert line["request_id"] == "r-1"
    assert line["conversation_id"] == "c-9"
    assert line["flow"] == "health-visit"
    assert line["phone"] == "+46701****42"


MASKED_VALUES: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"phone": "+358401234567"}, {"phone": "+35840*****67"}),
    ({"msisdn": "46701740642"}, {"msisdn": "467017***42"}),
    ({"msisdn": 46701740642}, {"msisdn": "467017***42"}),
    ({"to": "+46701740642", "from": "smsbot"}, {"to": "+46701****42", "from": "smsbot"}),
    ({"PHONE": "070-174 06 42"}, {"PHONE": "070-17*****42"}),
    ({"recipient": "+46701740642"}, {"recipient": "+46701****42"}),
    ({"error": "no route to +46701740642 today"}, {"error": "no route to +46701****42 today"}),
    (
        {"params": {"msisdn": "46701740642", "keyword": "4"}},
        {"params": {"msisdn": "467017***42", "keyword": "4"}},
    ),
    (
        {"batch": [{"phone": "+46701740642"}, "+358401234567"]},
        {"batch": [{"phone": "+46701****42"}, "+35840*****67"]},
    ),
    ({"deep": {"a": {"b": ("+358401234567",)}}}, {"deep": {"a": {"b": ["+35840*****67"]}}}),
    ({"count": 46701740642, "amount": "12345678"}, {"count": 46701740642, "amount": "12345678"}),
    ({"to": None, "phone": True}, {"to": None, "phone": True}),
    ({"pair": Pair("+358401234567", 2)}, {"pair": ["+35840*****67", 2]}),
    ({"numbers": {"+358401234567"}}, {"numbers": ["+35840*****67"]}),
]


@pytest.mark.parametrize(("values", "expected"), MASKED_VALUES)
def test_phone_numbers_are_masked_wherever_they_are(
    values: dict[str, Any], expected: dict[str, Any]
) -> None:
    line = log_one(**values)
    assert {key: line[key] for key in expected} == expected


def test_the_event_text_itself_is_masked() -> None:
    stream = io.StringIO()
    configure_logging("json", stream=stream)
    get_logger().info("sent to +46701740642")
    assert json_lines(stream)[0]["event"] == "sent to +46701****42"


def test_tracebacks_are_masked() -> None:
    stream = io.StringIO()
    configure_logging("json", stream=stream)
    try:
        raise ValueError("bad number +46701740642")
    except ValueError:
        get_logger().exception("failed")
    (line,) = json_lines(stream)
    assert line["level"] == "error"
    assert "ValueError: bad number +46701****42" in line["exception"]
    assert "+46701740642" not in stream.getvalue()


BODIES = [
    # (configured level, method, values, keys kept)
    ("info", "info", {"text": "Ja", "body": "{}", "status": "ok"}, {"status"}),
    ("info", "warning", {"TEXT": "Ja", "status": "ok"}, {"status"}),
    ("debug", "info", {"text": "Ja", "body": "{}", "status": "ok"}, {"text", "body", "status"}),
    ("debug", "debug", {"text": "Ja"}, {"text"}),
]


@pytest.mark.parametrize(("level", "method", "values", "kept"), BODIES)
def test_message_bodies_only_at_debug(
    level: str, method: str, values: dict[str, Any], kept: set[str]
) -> None:
    line = log_one(level, method, **values)
    assert set(values) & set(line) == kept


def test_nested_bodies_are_dropped_at_info() -> None:
    line = log_one(message={"to": "+46701740642", "text": "Hej", "parts": [{"body": "x", "n": 1}]})
    assert line["message"] == {"to": "+46701****42", "parts": [{"n": 1}]}


def test_nested_bodies_are_kept_at_debug() -> None:
    line = log_one("debug", message={"text": "Hej +46701740642"})
    assert line["message"] == {"text": "Hej +46701****42"}


def test_processors_work_with_capture_logs() -> None:
    with structlog.testing.capture_logs(processors=[mask_phones, drop_bodies]) as captured:
        get_logger("smsbot.test").info("inbound", msisdn="46701740642", text="STOP")
    assert captured == [{"event": "inbound", "msisdn": "467017***42", "log_level": "info"}]


FORMATS = [
    ("json", io.StringIO, True),
    ("auto", io.StringIO, True),
    ("auto", TtyStream, False),
    ("console", io.StringIO, False),
    ("console", TtyStream, False),
]


@pytest.mark.parametrize(("format", "stream_type", "is_json"), FORMATS)
def test_renderer_follows_format_and_terminal(
    format: str, stream_type: type[io.StringIO], is_json: bool
) -> None:
    stream = stream_type()
    configure_logging(format, stream=stream)
    get_logger("x").info("hello", phone="+358401234567", text="secret body")
    output = stream.getvalue()
    assert output.lstrip().startswith("{") == is_json
    assert "hello" in output
    assert "+35840*****67" in output
    assert "secret body" not in output


def test_console_renders_masked_tracebacks() -> None:
    stream = io.StringIO()
    configure_logging("console", stream=stream)
    try:
        raise RuntimeError("to +46701740642")
    except RuntimeError:
        get_logger().exception("failed")
    output = stream.getvalue()
    assert "RuntimeError: to +46701****42" in output
    assert "+46701740642" not in output


@pytest.mark.parametrize(("format", "level"), [("xml", "info"), ("json", "loud")])
def test_bad_format_or_level_is_refused(format: str, level: str) -> None:
    with pytest.raises(ValueError, match="unknown log"):
        configure_logging(format, level, stream=io.StringIO())


def test_default_stream_is_standard_error(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("json")
    get_logger().info("to_stderr")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert json.loads(captured.err)["event"] == "to_stderr"
