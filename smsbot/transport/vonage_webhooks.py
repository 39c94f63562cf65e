"""Vonage webhooks: read them (GET query, POST form or JSON), check they are Vonage's, parse them.

Framework-free: the web layer hands in the method, content type, query and raw body.
SMS API signatures: sort the parameters (without `sig`) by key, replace `&` and `=` in values
with `_`, join as `&k=v&k2=v2`, then an HMAC keyed by the secret ('md5', 'sha1', 'sha256',
'sha512', checked with the SDK's `check_signature`) or the plain "MD5 hash" of that string with
the secret appended ('md5hash'). Messages API: a `Bearer` JWT (HS256) whose `payload_hash` claim
is the SHA-256 of the raw body, which the SDK does not check: we do.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import jwt
import vonage
import vonage_jwt

from smsbot.domain import DeliveryReceipt, InboundPart, InboundSms

__all__ = [
    "PayloadError",
    "SignatureCheck",
    "extract_params",
    "parse_messages_inbound",
    "parse_messages_status",
    "parse_sms_inbound",
    "parse_sms_receipt",
    "sign_messages_body",
    "sign_sms_params",
    "verify_messages_jwt",
    "verify_sms_signature",
]

_HMAC_METHODS = ("md5", "sha1", "sha256", "sha512")


class PayloadError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class SignatureCheck:
    ok: bool
    reason: str  # ok | missing_signature | bad_signature | stale | bad_timestamp | payload_mismatch


# --- reading -----------------------------------------------------------------------------------


def extract_params(
    method: str, content_type: str, query: Mapping[str, str], body: bytes
) -> dict[str, str]:
    """All of a webhook's parameters as strings, however Vonage sent them."""
    if method.upper() == "GET" or not body:
        return {str(k): str(v) for k, v in query.items()}
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PayloadError("the body is not UTF-8 text") from error
    if "json" in content_type:
        return _json_params(text)
    return dict(parse_qsl(text, keep_blank_values=True))


def _json_params(text: str) -> dict[str, str]:
    try:
        data = json.loads(text)
    except ValueError as error:
        raise PayloadError(f"the body is not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise PayloadError("the body must be a JSON object")
    params: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, dict | list):
            raise PayloadError(f"'{key}' must be a plain value", str(key))
        params[str(key)] = _as_string(value)
    return params


def _as_string(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- SMS API -----------------------------------------------------------------------------------


def _required(params: Mapping[str, str], key: str) -> str:
    value = params.get(key, "").strip()
    if not value:
        raise PayloadError(f"missing '{key}'", key)
    return value


def _msisdn(params: Mapping[str, str], key: str) -> str:
    value = _required(params, key).lstrip("+")
    if not value.isdigit() or not 6 <= len(value) <= 15:
        raise PayloadError(f"'{key}' is not a phone number", key)
    return f"+{value}"


def _vonage_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return _iso_time(value)


def _iso_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_sms_inbound(params: Mapping[str, str]) -> InboundSms | InboundPart:
    phone = _msisdn(params, "msisdn")
    to = _required(params, "to")
    ref = _required(params, "messageId")
    if params.get("type", "text") == "binary":
        raise PayloadError("binary messages are not supported", "type")
    text = params.get("text", "")
    at = _vonage_time(params.get("message-timestamp"))
    if params.get("concat", "").lower() != "true":
        return InboundSms(phone, to, text, ref, at)
    total, part = _concat_numbers(params)
    concat_ref = _required(params, "concat-ref")
    return InboundPart(phone, to, text, ref, concat_ref, total, part, at)


def _concat_numbers(params: Mapping[str, str]) -> tuple[int, int]:
    total_text, part_text = _required(params, "concat-total"), _required(params, "concat-part")
    if not (total_text.isdigit() and part_text.isdigit()):
        raise PayloadError("'concat-total' and 'concat-part' must be whole numbers", "concat-part")
    total, part = int(total_text), int(part_text)
    if not 1 <= part <= total <= 255:
        raise PayloadError(f"part {part} of {total} is not possible", "concat-part")
    return total, part


def parse_sms_receipt(params: Mapping[str, str]) -> DeliveryReceipt:
    status = _required(params, "status").lower()
    if not status.replace("_", "").isalpha() or len(status) > 20:
        raise PayloadError(f"'status' {status!r} is not a status", "status")
    return DeliveryReceipt(
        provider_ref=_required(params, "messageId"),
        status=status,
        error_code=params.get("err-code", "0") or "0",
        client_ref=params.get("client-ref") or None,
        phone=_msisdn(params, "msisdn"),
        price=_price(params.get("price")),
        at=_vonage_time(params.get("message-timestamp")),
    )


def _price(value: object) -> float | None:
    try:
        return float(str(value)) if value not in (None, "") else None
    except ValueError:
        return None


# --- Messages API ------------------------------------------------------------------------------


def _text_field(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PayloadError(f"missing '{key}'", key)
    return value.strip()


def parse_messages_inbound(body: Mapping[str, Any]) -> InboundSms:
    channel = body.get("channel", "sms")
    if channel != "sms":
        raise PayloadError(f"channel {channel!r} is not sms", "channel")
    if body.get("message_type", "text") != "text":
        raise PayloadError("only text messages are supported", "message_type")
    phone = _msisdn({"from": _text_field(body, "from")}, "from")
    text = body.get("text", "")
    if not isinstance(text, str):
        raise PayloadError("'text' must be a string", "text")
    to = _text_field(body, "to")
    return InboundSms(
        phone, to, text, _text_field(body, "message_uuid"), _iso_time(body.get("timestamp"))
    )


def parse_messages_status(body: Mapping[str, Any]) -> DeliveryReceipt:
    usage = body.get("usage") if isinstance(body.get("usage"), Mapping) else {}
    error = body.get("error") if isinstance(body.get("error"), Mapping) else None
    to = body.get("to")
    return DeliveryReceipt(
        provider_ref=_text_field(body, "message_uuid"),
        status=_text_field(body, "status").lower(),
        error_code=_error_code(error),
        client_ref=str(body["client_ref"]) if body.get("client_ref") else None,
        phone=_msisdn({"to": to}, "to") if isinstance(to, str) and to else None,
        price=_price(usage.get("price")) if usage else None,
        currency=str(usage.get("currency")) if usage and usage.get("currency") else None,
        at=_iso_time(body.get("timestamp")),
    )


def _error_code(error: Mapping[str, Any] | None) -> str:
    if not error:
        return "0"
    kind = str(error.get("type", "")).rstrip("/").rsplit("/", 1)[-1]
    return kind or str(error.get("title", "error"))


# --- authenticity ------------------------------------------------------------------------------


def _signing_string(params: Mapping[str, str]) -> str:
    items = sorted((k, v) for k, v in params.items() if k != "sig")
    return "".join(f"&{k}={v.replace('&', '_').replace('=', '_')}" for k, v in items)


def _signature(params: Mapping[str, str], secret: str, method: str) -> str:
    if method == "md5hash":
        return hashlib.md5((_signing_string(params) + secret).encode()).hexdigest()
    auth = vonage.Auth(api_key="webhooks", signature_secret=secret, signature_method=method)
    return str(auth.sign_params({k: v for k, v in params.items() if k != "sig"}))


def verify_sms_signature(
    params: Mapping[str, str],
    secret: str,
    method: str,
    *,
    now: datetime,
    max_age_seconds: int = 300,
) -> SignatureCheck:
    """Is this SMS API webhook signed by Vonage with our secret, and recent?"""
    given = params.get("sig", "").lower()
    if not given:
        return SignatureCheck(False, "missing_signature")
    if method not in (*_HMAC_METHODS, "md5hash"):
        return SignatureCheck(False, "bad_signature")
    if not hmac.compare_digest(given, _signature(params, secret, method).lower()):
        return SignatureCheck(False, "bad_signature")
    stamp = params.get("timestamp", "")
    if not stamp.isdigit():
        return SignatureCheck(False, "bad_timestamp")
    if abs(now.timestamp() - int(stamp)) > max_age_seconds:
        return SignatureCheck(False, "stale")
    return SignatureCheck(True, "ok")


def sign_sms_params(
    params: Mapping[str, str], secret: str, method: str, *, timestamp: int
) -> dict[str, str]:
    """Sign parameters as Vonage does (for tests, the benchmark and the simulator)."""
    signed = {**params, "timestamp": str(timestamp), "nonce": secrets.token_hex(8)}
    signed.pop("sig", None)
    signed["sig"] = _signature(signed, secret, method)
    return signed


def verify_messages_jwt(authorization: str | None, raw_body: bytes, secret: str) -> SignatureCheck:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return SignatureCheck(False, "missing_signature")
    try:
        if not vonage_jwt.verify_signature(token.strip(), secret):
            return SignatureCheck(False, "bad_signature")
    except Exception:  # the SDK wraps every decoding problem in its own error
        return SignatureCheck(False, "bad_signature")
    claims = jwt.decode(token.strip(), options={"verify_signature": False})
    expected = hashlib.sha256(raw_body).hexdigest()
    if not hmac.compare_digest(str(claims.get("payload_hash", "")), expected):
        return SignatureCheck(False, "payload_mismatch")
    return SignatureCheck(True, "ok")


def sign_messages_body(raw_body: bytes, secret: str, *, iat: int) -> str:
    """An `Authorization` header as Vonage sends with a Messages API webhook (for tests)."""
    claims = {
        "iat": iat,
        "jti": secrets.token_hex(8),
        "api_key": "abcd1234",
        "payload_hash": hashlib.sha256(raw_body).hexdigest(),
    }
    return "Bearer " + jwt.encode(claims, secret, algorithm="HS256")
