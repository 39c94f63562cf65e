"""The reply's language over HTTP: a Swedish survey, a citizen who answers in Finnish.

The gateway as `make run` starts it (the simulator transport, real HTTP on loopback, lingua as
the detector): the conversation switches to Finnish once, asks its question again in Finnish,
and does not switch back when asked; the feedback keeps the language the reply was written in.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ManualClock
from tests.gateway.test_gateway_simulator import event, reply, sent
from tests.harness import Running, gateway_env, running_gateway

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def sim(tmp_path: Path, clock: ManualClock) -> Any:
    env = gateway_env(tmp_path, SMSBOT_TRANSPORT__KIND="simulator")
    async with running_gateway(env, clock) as running:
        yield running


def texts(question: str) -> dict[str, str]:
    """The flow file's own texts for a question of the contact-centre flow, by language."""
    flow = yaml.safe_load((ROOT / "flows" / "contact-centre.yaml").read_text(encoding="utf-8"))
    found = next(q for q in flow["questions"] if q["id"] == question)
    return {lang: " ".join(text.split()) for lang, text in found["text"].items()}


def body(message: dict[str, Any]) -> str:
    return " ".join(str(message.get("text") or message.get("body")).split())


async def answer(sim: Running, text: str) -> dict[str, Any]:
    before = len(await sent(sim))
    result = await reply(sim, text)
    await sim.settle()
    after = await sent(sim)
    assert len(after) == before + 1, after[before:]
    return {"reply": result, "message": after[-1]}


async def test_a_finnish_reply_switches_a_swedish_survey_to_finnish_once(sim: Running) -> None:
    status, _ = await sim.post_events(event(sim.clock))
    assert status == 202
    await sim.settle()
    first = await sent(sim)
    assert body(first[-1]) == texts("ces")["sv"]

    # A Finnish sentence to the Swedish scale question: the question again, in Finnish.
    again = await answer(sim, "En ymmärrä ruotsia ollenkaan")
    assert body(again["message"]) == texts("ces")["fi"]
    assert again["message"]["purpose"] == "question"

    # The answer, with a Finnish comment: the next question comes in Finnish.
    nxt = await answer(sim, "2 jonossa meni tunti")
    assert body(nxt["message"]) == texts("solved")["fi"]

    # "på svenska" after the switch is not followed: at most once. The retry is in Finnish.
    refused = await answer(sim, "på svenska")
    assert refused["message"]["purpose"] == "retry"
    assert "kyllä tai ei" in body(refused["message"])

    [conversation] = await sim.query("SELECT language, state FROM conversations")
    assert conversation["language"] == "fi"
    state = json.loads(conversation["state"])
    assert (state["language"], state["language_switched"]) == ("fi", True)
    feedback = await sim.query(
        "SELECT text, language, reply_language, language_confidence FROM feedback ORDER BY id"
    )
    assert [(f["text"], f["language"], f["reply_language"]) for f in feedback] == [
        ("En ymmärrä ruotsia ollenkaan", "fi", "fi"),
        ("jonossa meni tunti", "fi", "fi"),
    ]
    assert all(f["language_confidence"] >= 0.95 for f in feedback)


async def test_a_short_or_unsure_reply_keeps_the_language(sim: Running) -> None:
    await sim.post_events(event(sim.clock))
    await sim.settle()
    retry = await answer(sim, "en ymmärrä")  # Finnish, but two words: no switch
    assert retry["message"]["purpose"] == "retry"
    assert body(retry["message"]).startswith("Svara med en siffra")
    [conversation] = await sim.query("SELECT language FROM conversations")
    assert conversation["language"] == "sv"
