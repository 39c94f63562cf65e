"""What the flows page shows, built from a flow and its file's findings (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from smsbot.engine.definition import RESERVED_FIELDS, SentText, sent_texts
from smsbot.engine.model import Flow, Question
from smsbot.flows.files import Finding

__all__ = ["Edge", "FlowView", "Row", "diagram_svg", "edges", "flow_view"]


@dataclass(frozen=True)
class Row:
    """One SMS the flow can send, in one language."""

    step: str  # "opening", "closing" or the question id
    what: str  # "text" or "retry"
    kind: str  # "opening", "scale 1–5", "yes/no", ...
    text: str
    encoding: str
    segments: int
    units: int
    assumed: tuple[str, ...]
    condition: str | None
    optional: bool


@dataclass(frozen=True)
class Edge:
    """`target` is asked only when its condition, which reads `source`, holds."""

    source: str  # a question id, or "event" for unit/service/channel/language/fields
    target: str
    condition: str


@dataclass(frozen=True)
class FlowView:
    id: str
    title: str
    version: str
    languages: tuple[str, ...]
    triggers: tuple[str, ...]
    questions: int
    rows: dict[str, list[Row]]  # per language
    findings: list[Finding]
    edges: list[Edge]
    diagram: Markup

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == "warning")

    @property
    def conditional(self) -> list[tuple[str, str, list[str]]]:
        """(question, condition, what it reads) per question asked only sometimes."""
        found: dict[str, tuple[str, str, list[str]]] = {}
        for edge in self.edges:
            entry = found.setdefault(edge.target, (edge.target, edge.condition, []))
            entry[2].append("the event" if edge.source == "event" else edge.source)
        return list(found.values())

    @property
    def most_segments(self) -> int:
        return max((r.segments for rows in self.rows.values() for r in rows), default=0)


def flow_view(flow: Flow, findings: Sequence[Finding]) -> FlowView:
    return FlowView(
        id=flow.id,
        title=flow.title.get(flow.default_language, flow.default_language) or flow.id,
        version=flow.version,
        languages=flow.languages,
        triggers=flow.triggers,
        questions=len(flow.questions),
        rows=_rows(flow),
        findings=list(findings),
        edges=edges(flow),
        diagram=diagram_svg(flow),
    )


def _rows(flow: Flow) -> dict[str, list[Row]]:
    questions = {q.id: q for q in flow.questions}
    rows: dict[str, list[Row]] = {lang: [] for lang in flow.languages}
    for sent in sent_texts(flow):
        rows.setdefault(sent.lang, []).append(_row(sent, questions))
    order = ["opening", *questions, "closing"]
    for lang_rows in rows.values():
        lang_rows.sort(key=lambda r: (order.index(r.step), r.what != "text"))
    return rows


def _row(sent: SentText, questions: dict[str, Question]) -> Row:
    step = str(sent.path[0])
    question = None
    what = "text"
    if step == "questions":
        question = list(questions.values())[int(sent.path[1])]
        step, what = question.id, str(sent.path[2])
    return Row(
        step=step,
        what=what,
        kind=_kind(question) if question else step,
        text=sent.text,
        encoding=sent.cost.encoding.value,
        segments=sent.cost.segments,
        units=sent.cost.units,
        assumed=sent.assumed,
        condition=question.when_source if question else None,
        optional=bool(question and question.optional),
    )


def _kind(question: Question) -> str:
    kind = question.kind.value
    if kind == "scale":
        return f"scale {question.min}–{question.max}" + (
            f" ({question.preset})" if question.preset else ""
        )
    if kind == "choice":
        return f"choice of {len(question.options)}"
    return {"yesno": "yes/no"}.get(kind, kind)


def edges(flow: Flow) -> list[Edge]:
    ids = {q.id for q in flow.questions}
    found = []
    for question in flow.questions:
        if question.when is None:
            continue
        condition = question.when_source or ""
        for name in sorted(question.when.names()):
            source = name if name in ids else "event"
            if source == "event" and name not in RESERVED_FIELDS and name not in flow.fields:
                continue
            edge = Edge(source, question.id, condition)
            if edge not in found:
                found.append(edge)
    return found


# --- the diagram -------------------------------------------------------------------------------

_BOX_W, _BOX_H, _GAP, _LEFT, _TOP = 250, 38, 26, 16, 16


def diagram_svg(flow: Flow) -> Markup:
    """The steps top to bottom; a dashed box is asked only when its condition holds, and a
    curved arrow on the right comes from each question the condition reads."""
    steps = ["opening", *(q.id for q in flow.questions), "closing"]
    conditions = {q.id: q.when_source for q in flow.questions if q.when is not None}
    flow_edges = [e for e in edges(flow) if e.source != "event"]
    width = _LEFT + _BOX_W + 60 + 22 * max(len(flow_edges), 1) + 240
    height = _TOP * 2 + len(steps) * (_BOX_H + _GAP) - _GAP
    ident = escape(flow.id)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" class="flow-diagram" '
        f'aria-labelledby="d-{ident}-t d-{ident}-d">',
        f'<title id="d-{ident}-t">Which question leads where in {ident}</title>',
        f'<desc id="d-{ident}-d">{escape(_describe(flow, conditions))}</desc>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#1b1f24"/></marker></defs>',
    ]
    for index, step in enumerate(steps):
        parts += _box(index, step, conditions.get(step))
    for lane, edge in enumerate(flow_edges):
        parts.append(_curve(steps.index(edge.source), steps.index(edge.target), lane))
    parts.append("</svg>")
    return Markup("".join(parts))


def _y(index: int) -> int:
    return _TOP + index * (_BOX_H + _GAP)


def _box(index: int, step: str, condition: str | None) -> list[str]:
    y = _y(index)
    dashed = ' stroke-dasharray="6 4"' if condition else ""
    fill = "#f3f5f8" if step in ("opening", "closing") else "#ffffff"
    label = step if step not in ("opening", "closing") else step.capitalize()
    found = [
        f'<rect x="{_LEFT}" y="{y}" width="{_BOX_W}" height="{_BOX_H}" rx="6" fill="{fill}" '
        f'stroke="#1b1f24" stroke-width="1.5"{dashed}/>',
        f'<text x="{_LEFT + 12}" y="{y + 24}" font-size="15" fill="#1b1f24">{escape(label)}</text>',
    ]
    if index > 0:
        top = y - _GAP
        found.append(
            f'<line x1="{_LEFT + 40}" y1="{top}" x2="{_LEFT + 40}" y2="{y - 1}" '
            'stroke="#1b1f24" stroke-width="1.5" marker-end="url(#arrow)"/>'
        )
    if condition:
        found.append(
            f'<text x="{_LEFT + _BOX_W + 60}" y="{y + 24}" font-size="14" fill="#4a5360">'
            f"when {escape(condition)}</text>"
        )
    return found


def _curve(source: int, target: int, lane: int) -> str:
    x = _LEFT + _BOX_W
    out = x + 18 + 16 * lane
    y1, y2 = _y(source) + _BOX_H / 2, _y(target) + _BOX_H / 2
    return (
        f'<path d="M{x},{y1} C{out},{y1} {out},{y2} {x + 2},{y2}" fill="none" '
        'stroke="#0b5cad" stroke-width="2" marker-end="url(#arrow)"/>'
    )


def _describe(flow: Flow, conditions: dict[str, str | None]) -> str:
    asked = []
    for question in flow.questions:
        condition = conditions.get(question.id)
        asked.append(f"{question.id} (when {condition})" if condition else question.id)
    return "Opening, then " + ", ".join(asked) + ", then closing."
