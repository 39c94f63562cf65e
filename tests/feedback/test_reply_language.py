"""Feedback keeps the language its reply was written in, and tag rules follow it."""

from __future__ import annotations

import pytest

from smsbot.bootstrap.parts import Parts
from smsbot.engine.language import Detected
from smsbot.feedback.language import TAG_MIN_CONFIDENCE, tagging_language
from smsbot.feedback.review import list_feedback, suggest_new
from smsbot.feedback.taxonomy import load_taxonomy
from smsbot.gateway.surveys import StartRequest
from tests.feedback.test_tagging import TAGS

PHONES = ("+46701740651", "+46701740652", "+46701740653")


async def survey_with_reply(parts: Parts, phone: str, text: str) -> None:
    flow = parts.catalog.get("contact-centre")
    assert flow is not None
    request = StartRequest(flow=flow, phone=phone, unit="Kontaktcenter", language="sv")
    assert (await parts.surveys.start(request)).conversation_id is not None
    await parts.surveys.receive(phone, text)


@pytest.mark.parametrize(
    ("conversation", "reply", "confidence", "expected"),
    [
        ("sv", "fi", TAG_MIN_CONFIDENCE, "fi"),
        ("sv", "fi", TAG_MIN_CONFIDENCE - 0.01, "sv"),
        ("sv", None, None, "sv"),
        ("fi", "fi", 1.0, "fi"),
    ],
)
def test_the_language_tag_rules_read_by(
    conversation: str, reply: str | None, confidence: float | None, expected: str
) -> None:
    assert tagging_language(conversation, reply, confidence) == expected


async def test_a_finnish_comment_in_a_swedish_survey_is_tagged_by_finnish_rules(
    parts: Parts,
) -> None:
    taxonomy = load_taxonomy(TAGS)
    comment = "tyly hoitaja"  # Finnish: "a rude nurse"
    assert taxonomy.suggest(comment, "sv") == []  # Swedish rules see nothing in it
    assert taxonomy.suggest(comment, "fi") == ["rudeness"]

    await survey_with_reply(parts, PHONES[0], f"2 {comment}")  # lingua decides
    parts.surveys.detect = lambda text, languages: Detected("fi", TAG_MIN_CONFIDENCE - 0.1)
    await survey_with_reply(parts, PHONES[1], f"2 {comment}")  # not sure enough: sv rules
    parts.surveys.detect = lambda text, languages: None
    await survey_with_reply(parts, PHONES[2], f"2 {comment}")  # no verdict: sv rules

    await suggest_new(parts.store, taxonomy)
    items = sorted(await list_feedback(parts.store, limit=10), key=lambda item: item.id)
    assert [i.text for i in items] == [comment] * 3
    assert [i.language for i in items] == ["sv"] * 3  # two words: the conversation stays sv
    assert [i.reply_language for i in items] == ["fi", "fi", None]
    assert items[0].language_confidence is not None
    assert items[0].language_confidence >= TAG_MIN_CONFIDENCE
    assert [i.tags_in("suggested") for i in items] == [["rudeness"], [], []]
