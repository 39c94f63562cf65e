"""Vonage webhooks: read every documented shape every way Vonage sends it; check authenticity."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jwt
import pytest
import vonage
from hypothesis import given, settings
from hypothesis import strategies as st

from smsbot.domain import DeliveryReceipt, IgnoredInbound, InboundPart, InboundSms
from smsbot.providers.vonage.webhooks import (
    JWT_LEEWAY_SECONDS,
    SIGNATURE_METHODS,
    PayloadError,
    SignatureCheck,
    extract_params,
    parse_messages_inbound,
    parse_messages_status,
    parse_sms_inbound,
    parse_sms_receipt,
    sign_messages_body,
    sign_sms_params,
    verify_messages_jwt,
    verify_sms_signature,
)

PAYLOADS = Path(__file__).parent / "payloads"
FILES = sorted(PAYLOADS.glob("*.json"))
SECRET = "webhook-signature-secret-of-32-bytes-or-more"  # PyJWT warns under 32 bytes (HS256)
HMACS = sorted(SIGNATURE_METHODS - {"md5hash"})
FORM = "application/x-www-form-urlencoded"
STAMP = 1_714_636_862  # 2024-05-02 08:01:02 UTC
NOW = datetime.fromtimestamp(STAMP, UTC)
Parsed = InboundSms | InboundPart | IgnoredInbound | DeliveryReceipt


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def files(api: str) -> list[Any]:
    return [pytest.param(load(path), id=path.stem) for path in FILES if load(path)["api"] == api]


def as_expected(parsed: Parsed) -> dict[str, Any]:
    fields = dataclasses.asdict(parsed)
    for key, value in fields.items():
        if isinstance(value, datetime):
            fields[key] = value.isoformat()
    return {"kind": type(parsed).__name__, **fields}


def as_get(params: Mapping[str, str]) -> dict[str, str]:
    return extract_params("GET", "", params, b"")


def as_form(params: Mapping[str, str]) -> dict[str, str]:
    return extract_params("POST", f"{FORM}; charset=UTF-8", {}, urlencode(params).encode())


def as_json(params: Mapping[str, str]) -> dict[str, str]:
    body = json.dumps(params, ensure_ascii=False).encode()
    return extract_params("POST", "application/json", {}, body)


HOW: dict[str, Callable[[Mapping[str, str]], dict[str, str]]] = {
    "get": as_get,
    "form": as_form,
    "json": as_json,
}
SMS_PARSERS: dict[str, Callable[[Mapping[str, str]], Parsed]] = {
    "inbound": parse_sms_inbound,
    "status": parse_sms_receipt,
}
MESSAGES_PARSERS: dict[str, Callable[[Mapping[str, object]], Parsed]] = {
    "inbound": parse_messages_inbound,
    "status": parse_messages_status,
}


# --- every payload file, every way it can arrive -----------------------------------------------


def test_the_payload_files_cover_the_documented_shapes() -> None:
    names = {path.stem for path in FILES}
    assert {
        "sms_inbound_text_sv",
        "sms_inbound_unicode_emoji",
        "sms_inbound_concat_3parts",
        "sms_inbound_empty",
        "sms_receipt_delivered",
        "sms_receipt_failed",
        "sms_receipt_expired",
        "messages_inbound_sms",
        "messages_status_submitted",
        "messages_status_delivered",
        "messages_status_rejected",
        "messages_status_error_shapes",
        "sms_inbound_binary",
        "messages_inbound_not_text",
    } <= names
    for path in FILES:
        data = load(path)
        assert len(data["payloads"]) == len(data["expected"]), path.name


@pytest.mark.parametrize("how", sorted(HOW))
@pytest.mark.parametrize("data", files("sms"))
def test_sms_api_payloads(data: dict[str, Any], how: str) -> None:
    parse = SMS_PARSERS[data["webhook"]]
    for payload, expected in zip(data["payloads"], data["expected"], strict=True):
        params = HOW[how](payload)
        assert params == payload
        assert as_expected(parse(params)) == expected


@pytest.mark.parametrize("data", files("messages"))
def test_messages_api_payloads(data: dict[str, Any]) -> None:
    parse = MESSAGES_PARSERS[data["webhook"]]
    for payload, expected in zip(data["payloads"], data["expected"], strict=True):
        body = json.loads(json.dumps(payload).encode())
        assert as_expected(parse(body)) == expected


def test_the_three_parts_make_the_whole_reply() -> None:
    data = load(PAYLOADS / "sms_inbound_concat_3parts.json")
    parts = [parse_sms_inbound(payload) for payload in data["payloads"]]
    assert all(isinstance(part, InboundPart) for part in parts)
    ordered = sorted((p for p in parts if isinstance(p, InboundPart)), key=lambda p: p.part)
    assert [p.part for p in ordered] == [1, 2, 3]
    assert {(p.phone, p.concat_ref, p.total) for p in ordered} == {("+46701740642", "108", 3)}
    assert "".join(p.text for p in ordered) == data["whole_text"]
    assert [len(p.text) for p in ordered][:2] == [153, 153]


def test_receipt_statuses_are_final_and_failed_as_the_domain_says() -> None:
    seen = {}
    for name in ("delivered", "failed", "expired"):
        receipt = parse_sms_receipt(load(PAYLOADS / f"sms_receipt_{name}.json")["payloads"][0])
        seen[name] = (receipt.final, receipt.failed)
    assert seen == {"delivered": (True, False), "failed": (True, True), "expired": (True, True)}


# --- reading the body --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "params"),
    [
        ({"concat": True, "concat-part": 2, "concat-total": 3}, {"concat": "true",
         "concat-part": "2", "concat-total": "3"}),
        ({"price": 0.0333, "flag": False}, {"price": "0.0333", "flag": "false"}),
        ({"text": None, "msisdn": "46701740642"}, {"msisdn": "46701740642"}),
        ({"text": "å=ä&ö 👍"}, {"text": "å=ä&ö 👍"}),
    ],
)  # fmt: skip
def test_json_values_become_strings(body: dict[str, Any], params: dict[str, str]) -> None:
    raw = json.dumps(body).encode()
    assert extract_params("POST", "application/json; charset=utf-8", {}, raw) == params


def test_form_and_query_reading() -> None:
    body = b"msisdn=46701740642&text=Fyra+%C3%A4r+bra%21&keyword=&"
    expected = {"msisdn": "46701740642", "text": "Fyra är bra!", "keyword": ""}
    assert extract_params("POST", FORM, {}, body) == expected
    assert extract_params("post", "", {}, body) == expected  # no content type: a form
    assert extract_params("GET", FORM, {"a": "1"}, b"ignored") == {"a": "1"}
    assert extract_params("POST", FORM, {"a": "1"}, b"") == {"a": "1"}  # POSTed without a body


@pytest.mark.parametrize(
    ("content_type", "body", "message"),
    [
        ("application/json", b"\xff\xfe", "not UTF-8"),
        ("application/json", b"{not json", "not valid JSON"),
        ("application/json", b"[1, 2]", "must be a JSON object"),
        ("application/json", b'"text"', "must be a JSON object"),
        ("application/json", b'{"a": NaN}', "not valid JSON"),
        ("application/json", b'{"text": {"x": 1}}', "'text' must be a plain value"),
        ("application/json", b'{"text": ["a"]}', "'text' must be a plain value"),
        ("application/json", b"[" * 100_000, "not valid JSON"),
        ("application/json", b'{"text": "1", "text": "2"}', "'text' is given twice"),
        (FORM, b"msisdn=1&just-a-word", "not a form"),
        (FORM, b"text=%ff%fe", "not UTF-8"),
        (FORM, b"text=a&text=b", "'text' is given twice"),
        ("text/plain", b"msisdn=1", "neither a form nor JSON"),
        ("multipart/form-data; boundary=x", b"--x", "neither a form nor JSON"),
    ],
)
def test_unreadable_bodies(content_type: str, body: bytes, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        extract_params("POST", content_type, {}, body)


# --- missing and invalid fields ----------------------------------------------------------------

INBOUND = load(PAYLOADS / "sms_inbound_text_sv.json")["payloads"][0]
PART = load(PAYLOADS / "sms_inbound_concat_3parts.json")["payloads"][1]
RECEIPT = load(PAYLOADS / "sms_receipt_failed.json")["payloads"][0]


def change(base: Mapping[str, str], **changes: str | None) -> dict[str, str]:
    """The payload with fields changed (`field_name` for 'field-name'); None drops a field."""
    params = dict(base)
    for key, value in changes.items():
        real = key if key in params or key == "messageId" else key.replace("_", "-")
        params.pop(real, None)
        if value is not None:
            params[real] = value
    return params


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        (change(INBOUND, msisdn=None), "msisdn", "missing 'msisdn'"),
        (change(INBOUND, msisdn="  "), "msisdn", "missing 'msisdn'"),
        (change(INBOUND, msisdn="0701740642"), "msisdn", "'msisdn' is not a phone number"),
        (change(INBOUND, msisdn="4670174064x"), "msisdn", "'msisdn' is not a phone number"),
        (change(INBOUND, msisdn="467٠١٧٤٠٦٤٢"), "msisdn", "'msisdn' is not a phone number"),
        (change(INBOUND, msisdn="1234"), "msisdn", "'msisdn' is not a phone number"),
        (change(INBOUND, msisdn="4670174064212345"), "msisdn", "'msisdn' is not a phone number"),
        (change(INBOUND, to=None), "to", "missing 'to'"),
        (change(INBOUND, messageId=None), "messageId", "missing 'messageId'"),
        (change(INBOUND, messageId="x" * 129), "messageId", "'messageId' is too long"),
        (change(INBOUND, text="\ud83d"), "text", "'text' is not valid Unicode text"),
        (change(PART, concat_ref=None), "concat-ref", "missing 'concat-ref'"),
        (change(PART, concat_total=None), "concat-total", "missing 'concat-total'"),
        (change(PART, concat_part="x"), "concat-part", "'concat-part' is not a whole number"),
        (change(PART, concat_part="²"), "concat-part", "'concat-part' is not a whole number"),
        (change(PART, concat_part="0"), "concat-part", "part 0 of 3 is not possible"),
        (change(PART, concat_part="4"), "concat-part", "part 4 of 3 is not possible"),
        (change(PART, concat_total="256", concat_part="1"), "concat-part",
         "part 1 of 256 is not possible"),
    ],
)  # fmt: skip
def test_inbound_field_errors(params: dict[str, str], field: str, message: str) -> None:
    with pytest.raises(PayloadError, match=f"^{re.escape(message)}$") as caught:
        parse_sms_inbound(params)
    assert caught.value.field == field


def test_inbound_leniencies() -> None:
    assert parse_sms_inbound(change(INBOUND, msisdn="+46701740642")).phone == "+46701740642"
    assert parse_sms_inbound(change(INBOUND, type=None)).text == "Fyra"  # type defaults to text
    assert parse_sms_inbound(change(INBOUND, type="UNICODE")).text == "Fyra"
    assert isinstance(parse_sms_inbound(change(PART, concat="false")), InboundSms)
    # a timestamp is metadata: unreadable or absent it is None, the reply is still taken
    assert parse_sms_inbound(change(INBOUND, message_timestamp="soon")).received_at is None
    assert parse_sms_inbound(change(INBOUND, message_timestamp=None)).received_at is None
    iso = parse_sms_inbound(change(INBOUND, message_timestamp="2024-05-02T08:01:02Z"))
    assert iso.received_at == NOW


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        (change(RECEIPT, messageId=None), "messageId", "missing 'messageId'"),
        (change(RECEIPT, status=None), "status", "missing 'status'"),
        (change(RECEIPT, status="no such status!"), "status",
         "'status' 'no such status!' is not a status"),
        (change(RECEIPT, status="x" * 31), "status", f"'status' '{'x' * 31}' is not a status"),
        (change(RECEIPT, msisdn=None), "msisdn", "missing 'msisdn'"),
        (change(RECEIPT, msisdn="Kommunen"), "msisdn", "'msisdn' is not a phone number"),
        (change(RECEIPT, err_code="E9"), "err-code", "'err-code' 'E9' is not an error code"),
    ],
)  # fmt: skip
def test_receipt_field_errors(params: dict[str, str], field: str, message: str) -> None:
    with pytest.raises(PayloadError, match=f"^{re.escape(message)}$") as caught:
        parse_sms_receipt(params)
    assert caught.value.field == field


def test_receipt_leniencies() -> None:
    receipt = parse_sms_receipt(change(RECEIPT, status="Undelivered", err_code=None, price="n/a"))
    assert (receipt.status, receipt.error_code, receipt.price) == ("undelivered", "0", None)
    assert receipt.final and receipt.failed
    assert parse_sms_receipt(change(RECEIPT, status="some_new_state")).status == "some_new_state"
    assert parse_sms_receipt(change(RECEIPT, price="nan")).price is None
    assert parse_sms_receipt(change(RECEIPT, price="0\x1f")).price == 0.0  # found by hypothesis
    assert parse_sms_receipt(change(RECEIPT, client_ref=None)).client_ref is None
    at_scts = parse_sms_receipt(change(RECEIPT, message_timestamp=None, scts="2405020803"))
    assert at_scts.at == datetime(2024, 5, 2, 8, 3, tzinfo=UTC)


MESSAGE_IN = load(PAYLOADS / "messages_inbound_sms.json")["payloads"][0]
MESSAGE_STATUS = load(PAYLOADS / "messages_status_rejected.json")["payloads"][0]


def put(base: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    body = dict(base)
    for key, value in changes.items():
        real = "from" if key == "from_" else key
        body.pop(real, None)
        if value is not ...:
            body[real] = value
    return body


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (put(MESSAGE_IN, channel=...), "channel", "missing 'channel'"),
        (put(MESSAGE_IN, from_=...), "from", "missing 'from'"),
        (put(MESSAGE_IN, from_=46701740642), "from", "missing 'from'"),
        (put(MESSAGE_IN, from_="Kommunen"), "from", "'from' is not a phone number"),
        (put(MESSAGE_IN, to=...), "to", "missing 'to'"),
        (put(MESSAGE_IN, message_uuid=...), "message_uuid", "missing 'message_uuid'"),
        (put(MESSAGE_IN, text=5), "text", "'text' must be a string"),
    ],
)  # fmt: skip
def test_messages_inbound_field_errors(body: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(PayloadError, match=f"^{re.escape(message)}$") as caught:
        parse_messages_inbound(body)
    assert caught.value.field == field


BINARY = load(PAYLOADS / "sms_inbound_binary.json")["payloads"][0]
NO_TEXT = "no text to read"


@pytest.mark.parametrize(
    ("parse", "body", "reason"),
    [
        (parse_sms_inbound, BINARY, f"type 'binary': {NO_TEXT}"),
        (parse_sms_inbound, change(INBOUND, type="Binary"), f"type 'binary': {NO_TEXT}"),
        (parse_sms_inbound, change(PART, type="binary"), f"type 'binary': {NO_TEXT}"),
        (parse_sms_inbound, change(INBOUND, type="vcard"), f"type 'vcard': {NO_TEXT}"),
        (parse_sms_inbound, change(INBOUND, type="x" * 99), f"type '{'x' * 40}': {NO_TEXT}"),
        (parse_messages_inbound, put(MESSAGE_IN, channel="whatsapp"),
         "channel 'whatsapp': not SMS"),
        (parse_messages_inbound, put(MESSAGE_IN, channel="mms", message_type="image"),
         "channel 'mms': not SMS"),
        (parse_messages_inbound, put(MESSAGE_IN, message_type="image"),
         f"message type 'image': {NO_TEXT}"),
        (parse_messages_inbound, put(MESSAGE_IN, message_type="unsupported", text=...),
         f"message type 'unsupported': {NO_TEXT}"),
        (parse_messages_inbound, put(MESSAGE_IN, message_type=5), f"message type '5': {NO_TEXT}"),
    ],
)  # fmt: skip
def test_inbound_we_cannot_use_is_ignored_not_refused(
    parse: Callable[[Any], Parsed], body: dict[str, Any], reason: str
) -> None:
    """Vonage retries a refused webhook for a day: what we cannot use is answered and kept."""
    ignored = parse(body)
    assert isinstance(ignored, IgnoredInbound)
    assert (ignored.phone, ignored.to, ignored.reason) == ("+46701740642", "46701740000", reason)


@pytest.mark.parametrize(
    ("parse", "body", "field"),
    [
        (parse_sms_inbound, change(BINARY, msisdn=None), "msisdn"),
        (parse_sms_inbound, change(BINARY, messageId=None), "messageId"),
        (parse_messages_inbound, put(MESSAGE_IN, channel="whatsapp", message_uuid=...),
         "message_uuid"),
        (parse_messages_inbound, put(MESSAGE_IN, message_type="image", to=...), "to"),
    ],
)  # fmt: skip
def test_what_we_ignore_must_still_say_who_and_which(
    parse: Callable[[Any], Parsed], body: dict[str, Any], field: str
) -> None:
    with pytest.raises(PayloadError) as caught:
        parse(body)
    assert caught.value.field == field


def test_a_messenger_id_is_not_kept_as_a_number() -> None:
    body = put(MESSAGE_IN, channel="messenger", from_="1234567890123456", to="6543210987")
    ignored = parse_messages_inbound(body)
    assert isinstance(ignored, IgnoredInbound)
    assert (ignored.phone, ignored.reason) == (None, "channel 'messenger': not SMS")


def test_messages_inbound_leniencies() -> None:
    assert parse_messages_inbound(put(MESSAGE_IN, text=...)).text == ""
    assert parse_messages_inbound(put(MESSAGE_IN, timestamp="yesterday")).received_at is None
    older = put(MESSAGE_IN, from_={"type": "sms", "number": "46701740642"})
    assert parse_messages_inbound(older).phone == "+46701740642"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (put(MESSAGE_STATUS, message_uuid=...), "message_uuid", "missing 'message_uuid'"),
        (put(MESSAGE_STATUS, status=...), "status", "missing 'status'"),
        (put(MESSAGE_STATUS, status="??"), "status", "'status' '??' is not a status"),
        (put(MESSAGE_STATUS, channel="viber"), "channel", "channel 'viber' is not sms"),
        (put(MESSAGE_STATUS, usage="0.03"), "usage", "'usage' must be an object"),
        (put(MESSAGE_STATUS, error="bad"), "error", "'error' must be an object"),
        (put(MESSAGE_STATUS, to="0701"), "to", "'to' is not a phone number"),
    ],
)  # fmt: skip
def test_messages_status_field_errors(body: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(PayloadError, match=f"^{re.escape(message)}$") as caught:
        parse_messages_status(body)
    assert caught.value.field == field


ERRORS = "https://developer.vonage.com/api-errors/messages"


@pytest.mark.parametrize(
    ("error", "code", "reason"),
    [
        ({"type": f"{ERRORS}#1250", "title": "1250"}, "1250", None),
        ({"type": f"{ERRORS}#1250", "title": "Unroutable"}, "1250", "Unroutable"),
        ({"type": ERRORS, "title": 1020}, "1020", None),
        ({"type": f"{ERRORS}/throttled/"}, "throttled", None),
        ({"title": "Unroutable", "detail": "..."}, "Unroutable", "..."),
        ({"detail": "no type, no title"}, "error", "no type, no title"),
        ({"code": 1300, "reason": "Not part of the provider network"}, "1300",
         "Not part of the provider network"),  # the v0.1 shape
        ({"code": "1320", "reason": 5}, "1320", None),
        ({"type": f"{ERRORS}#1250", "detail": "Number 46701740642 barred"}, "1250",
         "Number [number] barred"),  # never a number in a record
        ({"type": f"{ERRORS}#1250", "detail": "x" * 300}, "1250", "x" * 199 + "…"),
        (..., "0", None),
    ],
)  # fmt: skip
def test_messages_status_error_codes(error: Any, code: str, reason: str | None) -> None:
    receipt = parse_messages_status(put(MESSAGE_STATUS, error=error))
    assert (receipt.error_code, receipt.error_reason) == (code, reason)


def test_messages_status_leniencies() -> None:
    bare = {"message_uuid": "u-1", "status": "Delivered"}
    assert parse_messages_status(bare) == DeliveryReceipt("u-1", "delivered")
    odd = put(MESSAGE_STATUS, usage={"price": None, "currency": 5}, client_ref=7, timestamp=1)
    receipt = parse_messages_status(odd)
    assert (receipt.price, receipt.currency, receipt.client_ref, receipt.at) == (None,) * 4
    assert parse_messages_status(put(MESSAGE_STATUS, usage={"price": 0.05})).price == 0.05


# --- SMS API signatures ------------------------------------------------------------------------

SMS_PAYLOADS = [p for path in FILES if load(path)["api"] == "sms" for p in load(path)["payloads"]]


def check(params: Mapping[str, str], method: str = "sha256", **kwargs: Any) -> SignatureCheck:
    kwargs.setdefault("now", NOW)
    return verify_sms_signature(params, SECRET, method, **kwargs)


def sdk_auth(method: str, secret: str = SECRET) -> Any:
    return vonage.Auth(api_key="abcd1234", signature_secret=secret, signature_method=method)


@pytest.mark.parametrize("method", sorted(SIGNATURE_METHODS))
@pytest.mark.parametrize("how", sorted(HOW))
def test_signed_payloads_verify_every_way_they_arrive(method: str, how: str) -> None:
    for payload in SMS_PAYLOADS:
        signed = sign_sms_params(payload, SECRET, method, timestamp=STAMP)
        assert set(signed) == {*payload, "timestamp", "nonce", "sig"}
        assert check(HOW[how](signed), method) == SignatureCheck(True, "ok")


@pytest.mark.parametrize("method", HMACS)
def test_hmac_signatures_round_trip_with_the_sdk(method: str) -> None:
    for payload in SMS_PAYLOADS:
        signed = sign_sms_params(payload, SECRET, method, timestamp=STAMP)
        assert signed["sig"] == signed["sig"].upper()  # Vonage sends upper-case hex
        assert sdk_auth(method).check_signature(dict(signed)) is True
        unsigned = {k: v for k, v in signed.items() if k != "sig"}
        assert sdk_auth(method).sign_params(unsigned) == signed["sig"].lower()
        assert sdk_auth(method, SECRET + "x").check_signature(dict(signed)) is False


def test_the_signing_string_is_vonages() -> None:
    """Pinned by hand: sorted keys, '&' and '=' in values made '_', a leading '&'."""
    params = {"text": "a=b&c", "msisdn": "46701740642", "to": "46701740000"}
    signed = sign_sms_params(params, SECRET, "md5hash", timestamp=STAMP, nonce="n-1")
    base = f"&msisdn=46701740642&nonce=n-1&text=a_b_c&timestamp={STAMP}&to=46701740000"
    assert signed["sig"] == hashlib.md5((base + SECRET).encode()).hexdigest()
    for method in HMACS:
        signed = sign_sms_params(params, SECRET, method, timestamp=STAMP, nonce="n-1")
        expected = hmac.new(SECRET.encode(), base.encode(), method).hexdigest().upper()
        assert signed["sig"] == expected


@pytest.mark.parametrize("method", sorted(SIGNATURE_METHODS))
def test_forged_stale_and_unsigned_webhooks(method: str) -> None:
    signed = sign_sms_params(INBOUND, SECRET, method, timestamp=STAMP)

    def reason(params: Mapping[str, str], **kwargs: Any) -> str:
        result = check(params, method, **kwargs)
        assert result.ok == (result.reason == "ok")
        return result.reason

    assert reason(signed) == "ok"
    assert reason({**signed, "sig": signed["sig"].swapcase()}) == "ok"  # hex in either case
    assert reason({**signed, "text": "Ett"}) == "bad_signature"  # forged: text changed
    assert reason({**signed, "extra": "1"}) == "bad_signature"
    assert reason({k: v for k, v in signed.items() if k != "nonce"}) == "bad_signature"
    assert reason({**signed, "timestamp": str(STAMP + 1)}) == "bad_signature"
    assert reason({**signed, "sig": "0" * len(signed["sig"])}) == "bad_signature"
    assert reason({**signed, "sig": "not hex at all"}) == "bad_signature"
    assert reason({**signed, "sig": "é" * 64}) == "bad_signature"
    assert reason({**signed, "text": "\ud83d"}) == "bad_signature"
    assert verify_sms_signature(signed, "another-secret", method, now=NOW).reason == (
        "bad_signature"
    )
    assert reason({k: v for k, v in signed.items() if k != "sig"}) == "missing_signature"
    assert reason({**signed, "sig": ""}) == "missing_signature"
    assert reason({k: v for k, v in signed.items() if k != "timestamp"}) == "bad_timestamp"
    assert reason({**signed, "timestamp": "2024-05-02"}) == "bad_timestamp"
    assert reason(signed, now=NOW + timedelta(seconds=300)) == "ok"
    assert reason(signed, now=NOW + timedelta(seconds=301)) == "stale"
    assert reason(signed, now=NOW - timedelta(seconds=301)) == "stale"  # from the future
    assert reason(signed, now=NOW + timedelta(hours=1), max_age_seconds=3600) == "ok"


def test_methods_are_not_interchangeable() -> None:
    signed = sign_sms_params(INBOUND, SECRET, "sha256", timestamp=STAMP)
    assert check(signed, "sha512").reason == "bad_signature"
    md5 = sign_sms_params(INBOUND, SECRET, "md5", timestamp=STAMP)  # HMAC-MD5 ...
    assert check(md5, "md5hash").reason == "bad_signature"  # ... is not the plain MD5 hash
    assert check(sign_sms_params(INBOUND, SECRET, "md5hash", timestamp=STAMP), "md5").reason == (
        "bad_signature"
    )


def test_configuration_mistakes_are_loud() -> None:
    signed = sign_sms_params(INBOUND, SECRET, "sha256", timestamp=STAMP)
    with pytest.raises(ValueError, match="unknown signature method 'sha384'"):
        check(signed, "sha384")
    with pytest.raises(ValueError, match="empty"):
        verify_sms_signature(signed, "", "sha256", now=NOW)
    with pytest.raises(ValueError, match="unknown signature method"):
        sign_sms_params(INBOUND, SECRET, "SHA256", timestamp=STAMP)


def test_verifying_does_not_change_the_params() -> None:
    signed = sign_sms_params(INBOUND, SECRET, "sha1", timestamp=STAMP)
    before = dict(signed)
    check(signed, "sha1")
    assert signed == before


# --- Messages API JWT --------------------------------------------------------------------------

BODY = json.dumps(MESSAGE_IN).encode()


def fresh_header(body: bytes = BODY, secret: str = SECRET) -> str:
    return sign_messages_body(body, secret, iat=int(time.time()) - 5)


def jwt_check(header: str | None, body: bytes = BODY, **kwargs: Any) -> SignatureCheck:
    kwargs.setdefault("now", datetime.now(UTC))
    return verify_messages_jwt(header, body, SECRET, **kwargs)


def test_jwt_ok_and_its_claims() -> None:
    header = fresh_header()
    assert jwt_check(header) == SignatureCheck(True, "ok")
    assert jwt_check("bearer  " + header.split()[1]).ok
    claims = jwt.decode(header.split()[1], SECRET, algorithms=["HS256"])
    assert set(claims) == {"iat", "jti", "iss", "api_key", "payload_hash"}
    assert claims["payload_hash"] == hashlib.sha256(BODY).hexdigest()


@pytest.mark.parametrize(
    ("header", "body", "reason"),
    [
        (None, BODY, "missing_signature"),
        ("", BODY, "missing_signature"),
        ("Bearer", BODY, "missing_signature"),
        ("Bearer   ", BODY, "missing_signature"),
        ("Basic YWJjZDEyMzQ6c2VjcmV0", BODY, "missing_signature"),
        ("Bearer not.a.jwt", BODY, "bad_signature"),
        ("Bearer ünïcode", BODY, "bad_signature"),
        ("Bearer \ud800", BODY, "bad_signature"),  # found by hypothesis
        ("forged", BODY, "bad_signature"),
        ("changed", BODY.replace(b"Fyra", b"Ett"), "payload_mismatch"),
        ("changed", b"", "payload_mismatch"),
        ("unsigned", BODY, "bad_signature"),
        ("expired", BODY, "stale"),
    ],
)
def test_jwt_refusals(header: str | None, body: bytes, reason: str) -> None:
    payload_hash = hashlib.sha256(BODY).hexdigest()
    made = {
        "forged": fresh_header(secret="another-secret-that-is-long-enough-32b"),
        "changed": fresh_header(),
        "unsigned": "Bearer " + jwt.encode({"payload_hash": payload_hash}, "", algorithm="none"),
        "expired": "Bearer "
        + jwt.encode(
            {"iat": int(time.time()), "exp": int(time.time()) - 3600, "payload_hash": payload_hash},
            SECRET,
            algorithm="HS256",
        ),
    }
    given = made.get(header or "", header)
    assert jwt_check(given, body) == SignatureCheck(False, reason)


@pytest.mark.parametrize(
    ("issued", "reason"),
    [
        (-10 * 365 * 86400, "stale"),  # a correctly signed token issued years ago
        (-300 - JWT_LEEWAY_SECONDS - 1, "stale"),
        (-300 - JWT_LEEWAY_SECONDS, "ok"),
        (-5, "ok"),
        (0, "ok"),
        (1, "ok"),  # our clock a second behind Vonage's
        (2, "ok"),
        (JWT_LEEWAY_SECONDS, "ok"),
        (JWT_LEEWAY_SECONDS + 1, "stale"),
        (3600, "stale"),
    ],
)
def test_jwt_freshness_with_a_stated_leeway_both_ways(issued: int, reason: str) -> None:
    """`issued`: seconds from our clock's now to the token's `iat` (positive: Vonage's clock
    is ahead of ours). Our clock is the real one here, as PyJWT's is."""
    now = datetime.now(UTC).replace(microsecond=0)
    header = sign_messages_body(BODY, SECRET, iat=int(now.timestamp()) + issued)
    assert jwt_check(header, now=now) == SignatureCheck(reason == "ok", reason)


@pytest.mark.parametrize("iat", [..., "1714636862", float("nan"), True, None])
def test_jwt_without_a_usable_iat(iat: Any) -> None:
    claims = {"payload_hash": hashlib.sha256(BODY).hexdigest()}
    if iat is not ...:
        claims["iat"] = iat
    header = "Bearer " + jwt.encode(claims, SECRET, algorithm="HS256")
    assert jwt_check(header) == SignatureCheck(False, "bad_timestamp")


def test_jwt_age_is_measured_on_our_clock() -> None:
    iat = STAMP
    header = sign_messages_body(BODY, SECRET, iat=iat)
    assert jwt_check(header, now=NOW).ok
    assert jwt_check(header, now=NOW + timedelta(seconds=360)).ok
    assert jwt_check(header, now=NOW + timedelta(seconds=361)).reason == "stale"
    assert jwt_check(header, now=NOW + timedelta(seconds=30), max_age_seconds=20).ok
    assert jwt_check(header, now=NOW + timedelta(seconds=81), max_age_seconds=20).reason == (
        "stale"
    )


# --- anything at all: a value or a PayloadError, never anything else ---------------------------

FIELDS = sorted({key for payload in SMS_PAYLOADS for key in payload})
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
any_key = st.sampled_from(FIELDS) | any_text
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | any_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
    max_leaves=10,
)
FUZZ = settings(max_examples=200, deadline=None)


def value_or_payload_error(parse: Callable[[Any], Parsed], arg: Any) -> None:
    try:
        parsed = parse(arg)
    except PayloadError as error:
        assert str(error)
        return
    assert isinstance(parsed, InboundSms | InboundPart | IgnoredInbound | DeliveryReceipt)


@FUZZ
@given(params=st.dictionaries(any_key, any_text, max_size=14))
def test_any_params(params: dict[str, str]) -> None:
    value_or_payload_error(parse_sms_inbound, params)
    value_or_payload_error(parse_sms_receipt, params)
    assert isinstance(check(params), SignatureCheck)
    assert isinstance(check(params, "md5hash"), SignatureCheck)


@FUZZ
@given(base=st.sampled_from(SMS_PAYLOADS), changes=st.dictionaries(any_key, any_text, max_size=4))
def test_payloads_with_any_changes(base: dict[str, str], changes: dict[str, str]) -> None:
    params = {**base, **changes}
    value_or_payload_error(parse_sms_inbound, params)
    value_or_payload_error(parse_sms_receipt, params)


@FUZZ
@given(
    body=st.binary(max_size=300),
    content_type=st.sampled_from(["application/json", FORM, "", "text/plain"]),
)
def test_any_bytes(body: bytes, content_type: str) -> None:
    try:
        params = extract_params("POST", content_type, {}, body)
    except PayloadError:
        return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in params.items())
    value_or_payload_error(parse_sms_inbound, params)
    value_or_payload_error(parse_sms_receipt, params)


@FUZZ
@given(value=json_values)
def test_any_json(value: Any) -> None:
    raw = json.dumps(value).encode()
    try:
        params = extract_params("POST", "application/json", {}, raw)
    except PayloadError:
        return
    value_or_payload_error(parse_sms_inbound, params)
    value_or_payload_error(parse_sms_receipt, params)


@FUZZ
@given(
    base=st.sampled_from([MESSAGE_IN, MESSAGE_STATUS, {}]),
    changes=st.dictionaries(
        st.sampled_from(sorted({*MESSAGE_IN, *MESSAGE_STATUS})) | any_text, json_values, max_size=5
    ),
)
def test_any_messages_bodies(base: dict[str, Any], changes: dict[str, Any]) -> None:
    body = {**base, **changes}
    value_or_payload_error(parse_messages_inbound, body)
    value_or_payload_error(parse_messages_status, body)


@FUZZ
@given(header=st.none() | any_text | any_text.map("Bearer ".__add__), body=st.binary(max_size=50))
def test_any_authorization(header: str | None, body: bytes) -> None:
    assert jwt_check(header, body).ok is False


@settings(max_examples=60, deadline=None)
@given(
    params=st.dictionaries(st.text(max_size=12), st.text(max_size=40), max_size=8),
    method=st.sampled_from(sorted(SIGNATURE_METHODS)),
)
def test_any_params_sign_and_verify(params: dict[str, str], method: str) -> None:
    signed = sign_sms_params(params, SECRET, method, timestamp=STAMP)
    assert check(signed, method).ok
    if method != "md5hash":
        assert sdk_auth(method).check_signature(dict(signed)) is True
