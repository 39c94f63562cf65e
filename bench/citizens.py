"""Simulated citizens: who they are, what they answer, and the signed webhooks Vonage would send.

Each citizen has a plan (an answer per question of the contact-centre flow, in their language);
when an SMS to them is one of the flow's questions (recognised by its exact text), they answer
it; the closing text ends their conversation.
"""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import yaml

from smsbot.engine.model import Flow
from smsbot.flows.files import load_flow_file
from smsbot.providers.vonage.webhooks import sign_sms_params

SECRET = "bench-webhook-signature-secret-of-32-bytes-or-more"
OUR_NUMBER = "46701740000"
API_KEY = "abcd1234"
FLOW_FILE = Path(__file__).resolve().parent.parent / "flows" / "contact-centre.yaml"
LANGUAGES = ("sv", "sv", "sv", "fi", "fi", "en")  # drawn at random: mostly Swedish
UNITS = (
    "Kontaktcenter Örebro",
    "Kontaktcenter Västerås",
    "Asiakaspalvelu Kajaani",
    "Kontaktcenter Umeå",
    "Asiakaspalvelu Oulu",
)
SERVICES = ("Bygglov", "Förskola", "Avfall", "Toimeentulotuki", "Parkering")
_YES = {"sv": ("ja", "nej"), "fi": ("kyllä", "ei"), "en": ("yes", "no")}
_COMMENTS = {
    "sv": ("Lång kö i telefon men trevlig personal", "Bra och snabb hjälp", "-"),
    "fi": ("Jonossa piti odottaa pitkään", "Ystävällinen ja osaava palvelu", "-"),
    "en": ("Long wait on the phone", "Friendly and helpful staff", "-"),
}


def flows_without_schedule(directory: Path) -> Path:
    """The shipped contact-centre flow without quiet hours, and the tag taxonomy."""
    directory.mkdir(parents=True, exist_ok=True)
    data = yaml.safe_load(FLOW_FILE.read_text())
    data.pop("schedule", None)
    (directory / "contact-centre.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    tags = FLOW_FILE.parent / "tags.yaml"
    if tags.exists():
        (directory / "tags.yaml").write_text(tags.read_text())
    return directory


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


class Script:
    """Recognises the flow's texts: which question an SMS asks, and whether it is the closing."""

    def __init__(self, flow: Flow) -> None:
        self.questions: dict[str, str] = {}
        for question in flow.questions:
            for texts in (question.text, question.retry):
                for text in texts.by_lang.values() if texts else ():
                    self.questions[_norm(text)] = question.id
        self.closings = {_norm(text) for text in flow.closing.by_lang.values()}

    def question_of(self, text: str) -> str | None:
        return self.questions.get(_norm(text))

    def is_closing(self, text: str) -> bool:
        return _norm(text) in self.closings


def load_script(flows_dir: Path) -> Script:
    flow, findings = load_flow_file(flows_dir / "contact-centre.yaml")
    if flow is None:
        raise RuntimeError(f"the contact-centre flow does not load: {findings}")
    return Script(flow)


@dataclass
class Citizen:
    phone: str  # E.164
    language: str
    unit: str
    service: str
    answers: dict[str, str]
    done: bool = False
    asked: list[str] = field(default_factory=list)

    @property
    def digits(self) -> str:
        return self.phone.lstrip("+")


def _plan(rng: random.Random, language: str) -> dict[str, str]:
    yes, no = _YES[language]
    comment = rng.choice(_COMMENTS[language])
    ces = rng.randint(1, 7)
    return {
        "ces": str(ces),
        "solved": rng.choice((yes, yes, no)),
        "reason": str(rng.randint(1, 6)),
        "web_first": rng.choice((yes, no)),
        "comment": comment,
        "comment_other": comment,
        # asked only when a follow-up rule holds; drawn from ces so the rng sequence stays put
        "callback_consent": (yes, no)[ces % 2],
    }


def make_citizens(first: int, count: int, seed: int) -> dict[str, Citizen]:
    """`count` citizens with numbers +4670<first>.. (valid Swedish mobiles), by digits."""
    rng = random.Random(seed)
    people: dict[str, Citizen] = {}
    for n in range(first, first + count):
        language = rng.choice(LANGUAGES)
        citizen = Citizen(
            phone=f"+4670{n:07d}",
            language=language,
            unit=rng.choice(UNITS),
            service=rng.choice(SERVICES),
            answers=_plan(rng, language),
        )
        people[citizen.digits] = citizen
    return people


def event(citizen: Citizen, event_id: str) -> dict[str, object]:
    """The service event (POST /v1/events) that starts this citizen's survey."""
    return {
        "id": event_id,
        "type": "contact.closed",
        "phone": citizen.phone,
        "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        "unit": citizen.unit,
        "service": citizen.service,
        "channel": "phone",
        "language": citizen.language,
        "attributes": {"wait_seconds": 30 + len(citizen.phone) * 7 % 400, "age_group": "35-64"},
    }


def _signed_form(params: dict[str, str]) -> bytes:
    signed = sign_sms_params(params, SECRET, "sha256", timestamp=int(time.time()))
    return urlencode(signed).encode()


def _stamp() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())


def inbound_body(citizen: Citizen, text: str, message_id: str) -> bytes:
    """An SMS API inbound webhook (POST form), signed with SHA-256 HMAC as Vonage signs it."""
    gsm = all(ord(ch) < 0x250 for ch in text)
    params = {
        "msisdn": citizen.digits,
        "to": OUR_NUMBER,
        "messageId": message_id,
        "text": text,
        "type": "text" if gsm else "unicode",
        "keyword": text.split()[0].upper() if text.split() else "",
        "api-key": API_KEY,
        "message-timestamp": _stamp(),
    }
    return _signed_form(params)


def receipt_body(to: str, message_id: str, client_ref: str | None) -> bytes:
    """An SMS API delivery receipt (POST form), signed."""
    params = {
        "msisdn": to,
        "to": OUR_NUMBER,
        "network-code": "24001",
        "messageId": message_id,
        "price": "0.03330000",
        "status": "delivered",
        "scts": time.strftime("%y%m%d%H%M", time.gmtime()),
        "err-code": "0",
        "api-key": API_KEY,
        "message-timestamp": _stamp(),
    }
    if client_ref:
        params["client-ref"] = client_ref
    return _signed_form(params)
