"""Long texts on the pages: shown as their start with a way to see all."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsbot.webui.longtext import PREVIEW, SHORT, more_label, preview
from smsbot.webui.render import _ENV

WORDS = "Jonot olivat pitkät, mutta hoitaja oli ystävällinen. " * 50


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Kiitos!", None),
        ("x" * SHORT, None),  # a little over the preview: shown whole
        ("x" * (SHORT + 1), "x" * PREVIEW),  # one long word: cut inside it
        (WORDS, WORDS[:PREVIEW].rsplit(" ", 1)[0].rstrip(",.")),
    ],
    ids=["short", "just short enough", "one long word", "words"],
)
def test_a_long_text_is_shown_by_its_start_cut_at_a_space(text: str, shown: str | None) -> None:
    assert preview(text) == shown


@given(st.text(min_size=0, max_size=2000))
def test_the_start_is_the_texts_own_start(text: str) -> None:
    head = preview(text)
    assert (head is None) == (len(text) <= SHORT)
    if head is not None:
        assert text.startswith(head) and len(head) <= PREVIEW


def test_the_macro_shows_the_start_and_the_whole_text_without_stray_whitespace() -> None:
    macro = _ENV.from_string('{% from "_long_text.html" import long_text %}[{{ long_text(t) }}]')
    assert macro.render(t="Kiitos!") == "[Kiitos!]"
    long = WORDS[:2000]
    assert macro.render(t=long) == (
        '[<details class="long-text"><summary><span class="long-head">'
        f'{preview(long)}…</span> <span class="long-more">Show all 2 000 characters</span>'
        '<span class="long-less">Show less</span></summary>'
        f'<span class="long-all">{long}</span></details>]'
    )
    assert more_label("x" * 12345) == "Show all 12 345 characters"
