"""Long texts on the pages (a citizen's reply, a feedback item): shown shortened, with a way to
see all. Pure.

The page shows the first PREVIEW characters or so, cut at a space, then "…" and a control that
opens the whole text (a <details>, so it works by keyboard and without script: the template
macro `long_text` in `_long_text.html`, and the simulator's script for bubbles it adds itself).
A text at most SHORT characters long is shown whole: shortening it would hide only a little.
"""

from __future__ import annotations

from smsbot.results.numbers import count

__all__ = ["PREVIEW", "SHORT", "more_label", "preview"]

PREVIEW = 280  # characters shown of a long text, at most
SHORT = 320  # a text up to this long is shown whole
_WORD = 40  # a cut goes back at most this far to the last space


def preview(text: str) -> str | None:
    """The start of `text` to show instead of it, or None when it is short enough to show whole.

    Cut at the last space within the last _WORD characters of PREVIEW (else mid-word), without
    trailing spaces or punctuation that would sit oddly before "…"."""
    if len(text) <= SHORT:
        return None
    head = text[:PREVIEW]
    space = head.rfind(" ", PREVIEW - _WORD)
    if space > 0:
        head = head[:space]
    return head.rstrip(" \n\t,;:.-–")


def more_label(text: str) -> str:
    """The control's words: "Show all 2 000 characters"."""
    return f"Show all {count(len(text))} characters"
