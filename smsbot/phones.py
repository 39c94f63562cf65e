"""Phone numbers: parsed and validated with phonenumbers, kept as E.164."""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

__all__ = ["PhoneError", "parse_phone"]

_MOBILE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


class PhoneError(ValueError):
    """A number we cannot text; the message says why, for the person who sent it."""


def parse_phone(text: str, default_region: str, *, mobile_only: bool = True) -> str:
    """'070-174 06 42' (region SE) -> '+46701740642'; raises PhoneError."""
    try:
        number = phonenumbers.parse(text, default_region.upper())
    except NumberParseException as error:
        reason = str(error).split(") ", 1)[-1].rstrip(".").lower()
        raise PhoneError(f"not a phone number: {reason}") from error
    if not phonenumbers.is_valid_number(number):
        raise PhoneError("not a valid phone number")
    if mobile_only and phonenumbers.number_type(number) not in _MOBILE:
        raise PhoneError("not a mobile number: surveys go out by SMS")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
