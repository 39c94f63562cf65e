"""The phone simulator's pure parts: the start form and what it is filled in
with, the chat as bubbles."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from smsbot.engine.model import Flow
from smsbot.engine.runtime import fields_used, missing_fields
from smsbot.webui.longtext import more_label, preview

__all__ = [
    "Bubble",
    "StartForm",
    "bubbles",
    "parse_start",
    "start_values",
]

MAX_REPLY = 2000  # characters a reply box takes; the gateway itself takes longer ones


@dataclass(frozen=True)
class StartForm:
    flow: Flow
    language: str
    unit: str | None
    service: str | None
    attributes: dict[str, str] = field(default_factory=dict)

    def values(self) -> dict[str, str]:
        """The event values as typed: unit, service and the flow's fields ("" when left empty)."""
        typed = {"unit": self.unit or "", "service": self.service or "", **self.attributes}
        return {name: typed.get(name, "") for name in ("unit", "service", *self.flow.fields)}


def start_values(flow: Flow, typed: Mapping[str, str] | None) -> dict[str, str]:
    """What the start form shows for `flow`: what the person last started it with (`typed`),
    else the flow's `example` event values; "" for a field neither gives."""
    source = typed if typed is not None else flow.example
    return {name: source.get(name, "") for name in ("unit", "service", *flow.fields)}


def parse_start(
    form: Mapping[str, str], flows: Mapping[str, Flow]
) -> tuple[StartForm | None, list[str]]:
    """The start form's fields checked; problems say what to change, in the page's words."""
    flow = flows.get(form.get("flow", ""))
    if flow is None:
        return None, [f"Choose one of the flows ({', '.join(sorted(flows)) or 'none loaded'})."]
    language = form.get("language", "") or flow.default_language
    if language not in flow.languages:
        offered = ", ".join(flow.languages)
        return None, [f"The flow '{flow.id}' is written in {offered}, not '{language}'."]
    attributes = {
        name: form.get(f"field_{name}", "").strip()
        for name in flow.fields
        if form.get(f"field_{name}", "").strip()
    }
    unit = form.get("unit", "").strip() or None
    service = form.get("service", "").strip() or None
    given = {"unit": unit, "service": service, "channel": "simulator", **attributes}
    missing = missing_fields(fields_used(flow), given)
    if missing:
        names = ", ".join(f"{{{name}}}" for name in missing)
        boxes = ", ".join(_LABELS.get(name, name) for name in missing)
        return None, [f"The flow '{flow.id}' uses {names} in its texts: fill in {boxes}."]
    return StartForm(flow, language, unit, service, attributes), []


_LABELS = {"unit": "Unit", "service": "Service"}  # the start form's labels


@dataclass(frozen=True)
class Bubble:
    """One SMS on the phone: from the bot (left) or the citizen (right)."""

    id: int
    mine: bool  # True: the citizen typed it
    text: str
    segments: int | None
    encoding: str | None

    def to_dict(self) -> dict[str, object]:
        """As the page's script gets it; `preview` (with `more`, the control's words) is the
        start to show of a long text, None for a text shown whole."""
        head = preview(self.text)
        return {
            "id": self.id,
            "from": "citizen" if self.mine else "bot",
            "text": self.text,
            "preview": head,
            "more": more_label(self.text) if head is not None else None,
            "segments": self.segments,
            "encoding": self.encoding,
        }


def bubbles(rows: Sequence[Mapping[str, object]]) -> list[Bubble]:
    """Messages to and from the phone, in order; the bot's only once they went out."""
    shown = []
    for row in rows:
        mine = row["direction"] == "in"
        if not mine and row["status"] not in ("sent", "delivered"):
            continue
        segments = row.get("segments")
        shown.append(
            Bubble(
                id=int(str(row["id"])),
                mine=mine,
                text=str(row["body"] or ""),
                segments=int(str(segments)) if segments is not None and not mine else None,
                encoding=None if mine else str(row.get("encoding") or ""),
            )
        )
    return shown
