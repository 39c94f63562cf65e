"""Phone numbers: parsed and validated with phonenumbers, kept as E.164.

A refusal says how the number was read, so that the person who sent it can see what went wrong:
a national number is read in `[survey] default_region`, and "0401234567" in Sweden is a Malmö
landline, while the same digits in Finland are a mobile. The same message reaches an integrator
(`POST /v1/events`), an import (`file:line: phone: ...`) and `smsbot chat --phone`.
"""

from __future__ import annotations

import random

import phonenumbers
from phonenumbers import CountryCodeSource, NumberParseException, PhoneNumber, PhoneNumberType
from phonenumbers import ValidationResult as Possible

__all__ = ["FICTION", "PhoneError", "fiction_numbers", "fictional_phone", "parse_phone"]

# Swedish numbers the regulator (PTS) sets aside for fiction, 070-174 06 05 to 070-174 06 99:
# never a person's. The phone simulator and `smsbot chat` use them.
FICTION = tuple(f"+467017406{n:02d}" for n in range(5, 100))


def fiction_numbers(chooser: random.Random | None = None) -> list[str]:
    """The fictitious numbers in the order to try them (shuffled: two browsers rarely meet)."""
    numbers = list(FICTION)
    (chooser or random.Random()).shuffle(numbers)
    return numbers


def fictional_phone() -> str:
    """One fictitious number, at random."""
    return random.choice(FICTION)


_MOBILE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
_KINDS = {
    PhoneNumberType.FIXED_LINE: "landline",
    PhoneNumberType.TOLL_FREE: "toll-free number",
    PhoneNumberType.PREMIUM_RATE: "premium-rate number",
    PhoneNumberType.SHARED_COST: "shared-cost number",
    PhoneNumberType.VOIP: "internet telephony (VoIP) number",
    PhoneNumberType.PERSONAL_NUMBER: "personal number",
    PhoneNumberType.PAGER: "pager number",
    PhoneNumberType.UAN: "company switchboard number",
    PhoneNumberType.VOICEMAIL: "voicemail number",
}
_ADJECTIVES = {"SE": "Swedish", "FI": "Finnish", "AX": "Åland", "NO": "Norwegian", "DK": "Danish"}
_NEIGHBOURS = ("FI", "SE", "NO", "DK")  # where else a national number is likely meant
_WHY_IMPOSSIBLE = {
    Possible.TOO_SHORT: "too short",
    Possible.TOO_LONG: "too long",
    Possible.INVALID_COUNTRY_CODE: "of no country",
    Possible.INVALID_LENGTH: "of a length no number there has",
}


class PhoneError(ValueError):
    """A number we cannot text; the message says why, for the person who sent it."""


def parse_phone(text: str, default_region: str, *, mobile_only: bool = True) -> str:
    """'070-174 06 42' (region SE) -> '+46701740642'; raises PhoneError saying how it read
    the number and, for a national one, what the same digits would be in a neighbour country."""
    region = default_region.upper()
    try:
        number = phonenumbers.parse(text, region, keep_raw_input=True)
    except NumberParseException as error:
        reason = str(error).split(") ", 1)[-1].rstrip(".").lower()
        raise PhoneError(f"not a phone number: {reason}") from error
    if not phonenumbers.is_valid_number(number):
        raise PhoneError(f"not a valid phone number: {_why_invalid(number)}")
    if mobile_only and phonenumbers.number_type(number) not in _MOBILE:
        raise PhoneError(f"not a mobile number: {_not_mobile(number, text, region)}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _national(number: PhoneNumber) -> bool:
    """Written without a country code, so read in the default region."""
    return bool(number.country_code_source == CountryCodeSource.FROM_DEFAULT_COUNTRY)


def _shown(number: PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _why_invalid(number: PhoneNumber) -> str:
    possible = phonenumbers.is_possible_number_with_reason(number)
    why = _WHY_IMPOSSIBLE.get(possible, "in no range in use")
    if _national(number):
        return f"read as {_shown(number)}, which is {why}"
    return f"{_shown(number)} is {why}"


def _kind(number: PhoneNumber) -> str:
    """ "a Swedish landline", "a Finnish toll-free number", ..."""
    region = phonenumbers.region_code_for_number(number) or ""
    kind = _KINDS.get(phonenumbers.number_type(number), "number that is not a mobile")
    adjective = _ADJECTIVES.get(region)
    return f"a {adjective} {kind}" if adjective else f"a {kind} in {region or 'no country'}"


def _not_mobile(number: PhoneNumber, text: str, region: str) -> str:
    if not _national(number):
        return f"{_shown(number)} is {_kind(number)}; surveys go out by SMS"
    return (
        f"read as {_shown(number)}, {_kind(number)} (a number without a country code is read "
        f"as {region}); {_elsewhere(text, region)}"
    )


def _elsewhere(text: str, region: str) -> str:
    """What the same digits would be in a neighbour country: "a Finnish number needs +358"."""
    neighbours = [other for other in _NEIGHBOURS if other != region]
    for other in neighbours:
        mobile = _as_mobile_in(text, other)
        if mobile is not None:
            return f"{_needs_code(other)}: {_shown(mobile)}"
    return _needs_code(neighbours[0])


def _needs_code(region: str) -> str:
    code = phonenumbers.country_code_for_region(region)
    return f"a {_ADJECTIVES.get(region, region)} number needs +{code}"


def _as_mobile_in(text: str, region: str) -> PhoneNumber | None:
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        return None
    valid = phonenumbers.is_valid_number(number)
    return number if valid and phonenumbers.number_type(number) in _MOBILE else None
