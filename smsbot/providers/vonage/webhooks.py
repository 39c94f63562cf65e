"""Vonage webhooks: read them (GET query, POST form or JSON), check they are Vonage's, parse them.

Framework-free: the web layer hands in the method, content type, query and raw body; every
problem with what came in is a `PayloadError` (a `ValueError`) naming the field.

SMS API signatures (as Vonage's SDKs compute them): drop `sig`, sort the parameters by key,
replace `&` and `=` in every value with `_`, join as `&k1=v1&k2=v2` (a leading `&`, values not
URL-encoded), then either an HMAC of that string keyed by the secret ('md5', 'sha1', 'sha256',
'sha512'; Vonage sends upper-case hex) or the plain MD5 of that string with the secret appended
('md5hash', lower-case hex). The `sig` is compared case-insensitively; the signed `timestamp`
(unix seconds) must be recent, since the signature alone does not stop a replay.

Messages API: `Authorization: Bearer <JWT>`, HS256 with the signature secret; its `payload_hash`
claim is the SHA-256 hex of the raw body, which the SDK does not check: we do. Its `iat` must be
recent, as the SMS API's `timestamp` must: the SDK's check (PyJWT's) refuses a token issued a
second after its own clock's now and takes one issued years ago, so PyJWT is called directly.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

import jwt
import vonage

from smsbot.domain import DeliveryReceipt, IgnoredInbound, InboundPart, InboundSms

__all__ = [
    "JWT_LEEWAY_SECONDS",
    "SIGNATURE_METHODS",
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

_HMAC_METHODS = frozenset({"md5", "sha1", "sha256", "sha512"})
SIGNATURE_METHODS = _HMAC_METHODS | {"md5hash"}

_MAX_ID = 128  # messageId, concat-ref, our number, client-ref: Vonage's are far shorter
_STATUS = re.compile(r"[a-z][a-z_-]{0,29}")
_ERR_CODE = re.compile(r"[0-9]{1,6}")
_PRICE = re.compile(r"[0-9]{1,9}(\.[0-9]{1,12})?")
_SIG = re.compile(r"[0-9a-fA-F]{32,128}")
_STAMP = re.compile(r"[0-9]{1,12}")
_NUMBERISH = re.compile(r"\+?[0-9]{7,}")  # a phone number, in any error text we keep
_MAX_REASON = 200
_NO_TEXT = "no text to read"
JWT_LEEWAY_SECONDS = 60  # a Messages API token from up to a minute "in the future" is fresh


class PayloadError(ValueError):
    """A webhook we cannot accept; the message says why and `field` names the culprit."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class SignatureCheck:
    ok: bool
    reason: str  # ok | missing_signature | bad_signature | stale | bad_timestamp | payload_mismatch


_OK = SignatureCheck(True, "ok")


# --- reading -----------------------------------------------------------------------------------


def extract_params(
    method: str, content_type: str, query: Mapping[str, str], body: bytes
) -> dict[str, str]:
    """All of an SMS API webhook's parameters as strings, however Vonage sent them."""
    if method.upper() in ("GET", "HEAD") or not body:
        return {str(key): str(value) for key, value in query.items()}
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PayloadError("the body is not UTF-8 text") from error
    kind = content_type.partition(";")[0].strip().lower()
    if kind == "application/json" or kind.endswith("+json"):
        return _json_params(text)
    if kind in ("application/x-www-form-urlencoded", ""):
        return _form_params(text)
    raise PayloadError(f"content type {kind!r} is neither a form nor JSON", "content-type")


def _form_params(text: str) -> dict[str, str]:
    if any("=" not in pair for pair in text.split("&") if pair):
        raise PayloadError("the body is not a form (name=value&...)")
    try:
        pairs = parse_qsl(text, keep_blank_values=True, errors="strict")
    except ValueError as error:  # also UnicodeDecodeError: %-escapes that are not UTF-8
        raise PayloadError("the form is not UTF-8 text") from error
    return _unique(pairs)


def _unique(pairs: list[tuple[str, str]]) -> dict[str, str]:
    params: dict[str, str] = {}
    for key, value in pairs:
        if key in params:
            raise PayloadError(f"'{key[:40]}' is given twice", key)
        params[key] = value
    return params


def _json_params(text: str) -> dict[str, str]:
    try:
        data = json.loads(text, parse_constant=_no_constant, object_pairs_hook=_unique)
    except PayloadError:
        raise
    except (ValueError, RecursionError) as error:
        raise PayloadError("the body is not valid JSON") from error
    if not isinstance(data, dict):
        raise PayloadError("the body must be a JSON object")
    params: dict[str, str] = {}
    for key, value in data.items():
        if value is None:
            continue  # null: as if absent
        if isinstance(value, dict | list):
            kind = type(value).__name__
            raise PayloadError(f"'{key[:40]}' must be a plain value, not {kind}", key)
        params[key] = _as_string(value)
    return params


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a number")


def _as_string(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- fields ------------------------------------------------------------------------------------


def _encodes(value: str) -> bool:
    """False for lone surrogates (JSON's "\\ud83d" can carry them): nothing could store them."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _unicode(value: str, key: str) -> str:
    if not (value.isascii() or _encodes(value)):
        raise PayloadError(f"'{key}' is not valid Unicode text", key)
    return value


def _identifier(value: str, key: str) -> str:
    value = value.strip()
    if not value:
        raise PayloadError(f"missing '{key}'", key)
    if len(value) > _MAX_ID:
        raise PayloadError(f"'{key}' is too long", key)
    return _unicode(value, key)


def _required(params: Mapping[str, str], key: str) -> str:
    return _identifier(params.get(key, ""), key)


def _phone(value: str, key: str) -> str:
    """Vonage's msisdn (international digits, no '+') as E.164 with '+'."""
    digits = value.strip().removeprefix("+")
    if not (digits.isascii() and digits.isdigit() and 7 <= len(digits) <= 15):
        raise PayloadError(f"'{key}' is not a phone number", key)
    if digits.startswith("0"):
        raise PayloadError(f"'{key}' is not a phone number", key)
    return f"+{digits}"


def _msisdn(params: Mapping[str, str], key: str) -> str:
    return _phone(_required(params, key), key)


def _sms_time(value: str | None) -> datetime | None:
    """'2024-05-02 08:01:02' (UTC) as an aware datetime; None when absent or unreadable."""
    if not value or not value.strip():
        return None
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return _iso_time(value)


def _scts_time(value: str | None) -> datetime | None:
    """The SMSC's 'YYMMDDHHMM' (UTC) of a delivery receipt."""
    if not value or len(value.strip()) != 10:
        return None
    try:
        return datetime.strptime(value.strip(), "%y%m%d%H%M").replace(tzinfo=UTC)
    except ValueError:
        return None


def _iso_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _status(value: str) -> str:
    status = value.strip().lower()
    if not _STATUS.fullmatch(status):
        raise PayloadError(f"'status' {value[:40]!r} is not a status", "status")
    return status


def _price(value: object) -> float | None:
    """A price as Vonage writes it ('0.03330000'); None when absent or not a plain number."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and _PRICE.fullmatch(value.strip()):
        return float(value.strip())  # str.strip knows more spaces than float() (U+001F)
    return None


# --- SMS API -----------------------------------------------------------------------------------


def parse_sms_inbound(params: Mapping[str, str]) -> InboundSms | InboundPart | IgnoredInbound:
    """An SMS API inbound webhook: a whole SMS, one part of a long one, or one we cannot use."""
    phone = _msisdn(params, "msisdn")
    to = _required(params, "to")
    ref = _required(params, "messageId")
    at = _sms_time(params.get("message-timestamp"))
    kind = params.get("type", "").strip().lower() or "text"
    if kind not in ("text", "unicode"):  # binary: a hex `udh` and `data`, no text
        return IgnoredInbound(phone, to, ref, f"type {kind[:40]!r}: {_NO_TEXT}", at)
    text = _unicode(params.get("text", ""), "text")
    if params.get("concat", "").strip().lower() != "true":
        return InboundSms(phone, to, text, ref, at)
    total, part = _concat_numbers(params)
    concat_ref = _required(params, "concat-ref")
    return InboundPart(phone, to, text, ref, concat_ref, total, part, at)


def _concat_numbers(params: Mapping[str, str]) -> tuple[int, int]:
    numbers: list[int] = []
    for key in ("concat-total", "concat-part"):
        value = _required(params, key)
        if not (value.isascii() and value.isdigit() and len(value) <= 3):
            raise PayloadError(f"'{key}' is not a whole number", key)
        numbers.append(int(value))
    total, part = numbers
    if not 1 <= part <= total <= 255:
        raise PayloadError(f"part {part} of {total} is not possible", "concat-part")
    return total, part


def parse_sms_receipt(params: Mapping[str, str]) -> DeliveryReceipt:
    """An SMS API delivery receipt (one per part of a multi-part SMS)."""
    return DeliveryReceipt(
        provider_ref=_required(params, "messageId"),
        status=_status(_required(params, "status")),
        error_code=_err_code(params.get("err-code", "")),
        client_ref=_optional(params.get("client-ref")),
        phone=_msisdn(params, "msisdn"),
        price=_price(params.get("price")),
        at=_sms_time(params.get("message-timestamp")) or _scts_time(params.get("scts")),
    )


def _err_code(value: str) -> str:
    code = value.strip() or "0"
    if not _ERR_CODE.fullmatch(code):
        raise PayloadError(f"'err-code' {value[:40]!r} is not an error code", "err-code")
    return code


# --- Messages API ------------------------------------------------------------------------------


def _text_field(body: Mapping[str, object], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str):
        raise PayloadError(f"missing '{key}'", key)
    return _identifier(value, key)


def _optional(value: object) -> str | None:
    """client-ref, currency: a short string or nothing (they are only metadata)."""
    if not isinstance(value, str) or len(value.strip()) > _MAX_ID or not _encodes(value):
        return None
    return value.strip() or None


def _party(body: Mapping[str, object], key: str) -> str:
    """`from`/`to`: a string of digits (v1), or {"type": ..., "number": ...} (older shape)."""
    value = body.get(key)
    if isinstance(value, Mapping):
        return _text_field(value, "number")
    return _text_field(body, key)


def _mapping(body: Mapping[str, object], key: str) -> Mapping[str, object]:
    value = body.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise PayloadError(f"'{key}' must be an object", key)
    return value


def _check_channel(body: Mapping[str, object]) -> None:
    channel = body.get("channel")
    if channel is not None and channel != "sms":
        raise PayloadError(f"channel {str(channel)[:40]!r} is not sms", "channel")


def _unusable(body: Mapping[str, object]) -> str | None:
    """Why we cannot use this Messages API inbound message, if we cannot."""
    channel = body.get("channel")
    if channel is None:
        raise PayloadError("missing 'channel'", "channel")
    if channel != "sms":  # the application's inbound URL takes every channel linked to it
        return f"channel {str(channel)[:40]!r}: not SMS"
    kind = body.get("message_type", "text")
    if kind != "text":
        return f"message type {str(kind)[:40]!r}: {_NO_TEXT}"
    return None


def parse_messages_inbound(body: Mapping[str, object]) -> InboundSms | IgnoredInbound:
    """A Messages API inbound SMS, or a message on it we cannot use."""
    unusable = _unusable(body)
    if unusable is not None:
        return _ignored(body, unusable)
    text = body.get("text")
    if not isinstance(text, str | None):
        raise PayloadError("'text' must be a string", "text")
    return InboundSms(
        phone=_phone(_party(body, "from"), "from"),
        to=_party(body, "to"),
        text=_unicode(text or "", "text"),
        provider_ref=_text_field(body, "message_uuid"),
        received_at=_iso_time(body.get("timestamp")),
    )


def _ignored(body: Mapping[str, object], reason: str) -> IgnoredInbound:
    sender = _party(body, "from")
    try:
        phone: str | None = _phone(sender, "from")
    except PayloadError:  # a Messenger or other channel's id: not kept
        phone = None
    return IgnoredInbound(
        phone=phone,
        to=_party(body, "to"),
        provider_ref=_text_field(body, "message_uuid"),
        reason=reason,
        received_at=_iso_time(body.get("timestamp")),
    )


def parse_messages_status(body: Mapping[str, object]) -> DeliveryReceipt:
    """A Messages API status webhook for an SMS we sent."""
    _check_channel(body)
    usage = _mapping(body, "usage")
    error = _mapping(body, "error")
    code = _error_code(error)
    return DeliveryReceipt(
        provider_ref=_text_field(body, "message_uuid"),
        status=_status(_text_field(body, "status")),
        error_code=code,
        error_reason=_error_reason(error, code),
        client_ref=_optional(body.get("client_ref")),
        phone=_phone(_party(body, "to"), "to") if body.get("to") else None,
        price=_price(usage.get("price")),
        currency=_optional(usage.get("currency")),
        at=_iso_time(body.get("timestamp")),
    )


def _error_code(error: Mapping[str, object]) -> str:
    """The code of a status's `error`, in either shape Vonage's specification has had.

    v1 (RFC 7807): 'https://developer.vonage.com/api-errors/messages#1320' -> '1320', else the
    title (a number, or words); v0.1: {"code": 1320, "reason": "..."} -> '1320'.
    """
    if not error:
        return "0"
    kind = _scalar(error.get("type"))
    if kind and "#" in kind:
        code = kind.rpartition("#")[2]
    else:
        found = _scalar(error.get("code")) or _scalar(error.get("title"))
        code = found or (kind or "").rstrip("/").rpartition("/")[2]
    return code.strip()[:64] or "error"


def _scalar(value: object) -> str | None:
    if isinstance(value, str | int) and not isinstance(value, bool):
        return str(value)
    return None


def _error_reason(error: Mapping[str, object], code: str) -> str | None:
    """The error in words (v1 `detail`, v0.1 `reason`, or a `title` that is not the code)."""
    for key in ("detail", "reason", "title"):
        words = error.get(key)
        if isinstance(words, str) and words.strip() and words.strip() != code:
            return _readable(words)
    return None


def _readable(words: str) -> str | None:
    """One line of at most _MAX_REASON characters, with no phone number in it (it is stored)."""
    if not _encodes(words):
        return None
    line = _NUMBERISH.sub("[number]", " ".join(words.split()))
    return line if len(line) <= _MAX_REASON else line[: _MAX_REASON - 1] + "…"


# --- SMS API signatures ------------------------------------------------------------------------


def _signing_string(params: Mapping[str, str]) -> str:
    """'&k1=v1&k2=v2' over the sorted parameters but `sig`, '&' and '=' in values made '_'."""
    items = sorted((k, v) for k, v in params.items() if k != "sig")
    return "".join(f"&{k}={v.replace('&', '_').replace('=', '_')}" for k, v in items)


def _md5hash(params: Mapping[str, str], secret: str) -> str:
    return hashlib.md5((_signing_string(params) + secret).encode()).hexdigest()


@lru_cache(maxsize=8)
def _sdk_auth(secret: str, method: str) -> Any:
    # The SDK insists on an api_key next to a signature secret but does not sign with it.
    return vonage.Auth(api_key="webhooks", signature_secret=secret, signature_method=method)


def _check_method(secret: str, method: str) -> None:
    if method not in SIGNATURE_METHODS:
        raise ValueError(f"unknown signature method {method!r}: one of {sorted(SIGNATURE_METHODS)}")
    if not secret:
        raise ValueError("the signature secret is empty")


def _signature_matches(params: Mapping[str, str], secret: str, method: str) -> bool:
    if not all(_encodes(key) and _encodes(value) for key, value in params.items()):
        return False
    if method == "md5hash":
        given = params["sig"].lower().encode()
        return hmac.compare_digest(given, _md5hash(params, secret).encode())
    # check_signature pops `sig` and fills in a missing `timestamp`: hand it a copy
    return bool(_sdk_auth(secret, method).check_signature(dict(params)))


def verify_sms_signature(
    params: Mapping[str, str],
    secret: str,
    method: str,
    *,
    now: datetime,
    max_age_seconds: int = 300,
) -> SignatureCheck:
    """Is this SMS API webhook signed with our secret, and was it signed recently?"""
    _check_method(secret, method)
    if not params.get("sig"):
        return SignatureCheck(False, "missing_signature")
    if not _SIG.fullmatch(params["sig"]):
        return SignatureCheck(False, "bad_signature")
    if not _STAMP.fullmatch(params.get("timestamp", "")):
        return SignatureCheck(False, "bad_timestamp")
    if not _signature_matches(params, secret, method):
        return SignatureCheck(False, "bad_signature")
    if abs(now.timestamp() - int(params["timestamp"])) > max_age_seconds:
        return SignatureCheck(False, "stale")
    return _OK


def sign_sms_params(
    params: Mapping[str, str],
    secret: str,
    method: str,
    *,
    timestamp: int,
    nonce: str | None = None,
) -> dict[str, str]:
    """The parameters with `timestamp`, `nonce` and `sig` added, as Vonage signs a webhook.

    For tests, the benchmark and the simulator. HMAC signatures in upper-case hex, 'md5hash' in
    lower-case, as Vonage's SDKs produce them.
    """
    _check_method(secret, method)
    signed = {key: value for key, value in params.items() if key != "sig"}
    signed["timestamp"] = str(timestamp)
    signed["nonce"] = nonce if nonce is not None else str(uuid.uuid4())
    if method == "md5hash":
        signed["sig"] = _md5hash(signed, secret)
    else:
        digest = hmac.new(secret.encode(), _signing_string(signed).encode(), method)
        signed["sig"] = digest.hexdigest().upper()
    return signed


# --- Messages API signatures -------------------------------------------------------------------


def verify_messages_jwt(
    authorization: str | None,
    raw_body: bytes,
    secret: str,
    *,
    now: datetime,
    max_age_seconds: int = 300,
) -> SignatureCheck:
    """Is this Messages API webhook signed with our secret, for this body, and fresh?

    Fresh: issued (`iat`, on Vonage's clock) at most `max_age_seconds` before `now` (ours), as
    an SMS API webhook must be, with JWT_LEEWAY_SECONDS of leeway either way for the clocks'
    difference. Vonage's tokens carry no `exp`, so without this a token would stay good for ever.
    """
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return SignatureCheck(False, "missing_signature")
    claims = _signed_claims(token, secret)
    if isinstance(claims, SignatureCheck):
        return claims
    expected = hashlib.sha256(raw_body).hexdigest().encode()
    if not hmac.compare_digest(str(claims.get("payload_hash", "")).lower().encode(), expected):
        return SignatureCheck(False, "payload_mismatch")
    return _fresh(claims.get("iat"), now, max_age_seconds)


def _signed_claims(token: str, secret: str) -> dict[str, Any] | SignatureCheck:
    """The claims of an HS256 token signed with `secret`, or why not.

    PyJWT checks the signature (and an `exp` or `nbf`, were Vonage to send one); `iat` is ours
    to check, against our clock and with leeway both ways: PyJWT would refuse a token issued a
    second after its clock's now, which the SDK's `verify_signature` does.
    """
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            options={"verify_iat": False},
            leeway=JWT_LEEWAY_SECONDS,
        )
    except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError):
        return SignatureCheck(False, "stale")
    except (jwt.PyJWTError, ValueError):  # ValueError: a token PyJWT cannot encode (surrogates)
        return SignatureCheck(False, "bad_signature")
    return claims


def _fresh(iat: object, now: datetime, max_age_seconds: int) -> SignatureCheck:
    if not isinstance(iat, int | float) or isinstance(iat, bool) or not math.isfinite(iat):
        return SignatureCheck(False, "bad_timestamp")
    age = now.timestamp() - iat
    if not -JWT_LEEWAY_SECONDS <= age <= max_age_seconds + JWT_LEEWAY_SECONDS:
        return SignatureCheck(False, "stale")
    return _OK


def sign_messages_body(raw_body: bytes, secret: str, *, iat: int, api_key: str = "abcd1234") -> str:
    """An `Authorization` header as Vonage sends with a Messages API webhook (for tests)."""
    claims = {
        "iat": iat,
        "jti": str(uuid.uuid4()),
        "iss": "Vonage",
        "api_key": api_key,
        "payload_hash": hashlib.sha256(raw_body).hexdigest(),
    }
    return "Bearer " + jwt.encode(claims, secret, algorithm="HS256")
