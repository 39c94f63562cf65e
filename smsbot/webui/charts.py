"""Charts as SVG text, drawn on the server: no script, nothing loaded from anywhere else.

Pure: each function takes plain values and returns one `<svg>` element as a string.

    bar_chart        horizontal bars in titled groups (answer distributions, units side by
                     side with an all-units reference line, the drivers of satisfaction)
    funnel_chart     centred bars that narrow step by step (events -> completed surveys)
    line_chart       one or more series over time buckets, on a fixed value range
    diverging_chart  signed differences left and right of a zero line (strengths and
                     improvements of a unit against all units)

Size: every chart is drawn for a viewBox 360 wide with text of 14 or more (of the viewBox), and
the page draws it from about 320 px (a 360 px screen) up to 416 px wide, never wider: its text is
then 12.5 to 16 CSS px on every screen, the same in every chart. Text that does not fit the width
is wrapped onto more lines (widths are estimated generously; there are no font metrics here).

Accessibility: every chart has role="img" with a <title> and a <desc> (named by
aria-labelledby) whose text holds every figure drawn, so a screen reader gets what the picture
shows; the page puts a table beside it as well. Every text is escaped (html.escape). The chart
draws its own white background, so its colours keep their contrast whatever the page's theme:
text at least 4.5:1, bars, lines and axes at least 3:1. Nothing is said by colour alone: values
are written beside the bars, series differ by marker shape and dash pattern, a highlighted bar
says so in words, differences carry their sign and side.

A suppressed cell (fewer answers than the minimum group size) is never drawn as a zero: its row
says "too few answers" where the bar would be, and such a time bucket is shaded and says so.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from smsbot.results.numbers import TOO_FEW, short

__all__ = [
    "NO_DATA",
    "TOO_FEW",
    "Bar",
    "BarGroup",
    "Bucket",
    "Series",
    "bar_chart",
    "diverging_chart",
    "funnel_chart",
    "line_chart",
]

NO_DATA = "no surveys"

# Colours, with their contrast against the white chart background.
_TEXT = "#1b1b1b"  # 17.2:1
_MUTED = "#595959"  # 7.0:1 (6.3:1 on _SHADE)
_BAR = "#1f5f9e"  # 6.6:1
_BAR_LIGHT = "#3b7dbf"  # 4.3:1: the other bars beside a highlighted one
_BAR_DARK = "#0b3d66"  # 11:1: the highlighted bar
_NEGATIVE = "#9a4a00"  # 6.3:1
_GRID = "#8a8a8a"  # 3.45:1
_SHADE = "#f2f2f2"  # background of a suppressed time bucket (decorative)
_FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"

_WIDTH = 360  # of the viewBox; the page draws it 320 to 416 CSS px wide (see ui.css)
_PAD = 12
_SIZE = 14  # font size of every text, in viewBox units: at least 12.5 CSS px as drawn
_LINE = 18  # from one line of a wrapped text to the next
_BAR_H = 20
_MARKERS = ("circle", "square", "triangle", "diamond")
_DASHES = ("", "7 4", "2 3", "10 3 2 3")
_SERIES_COLOURS = (_BAR, _NEGATIVE, "#5b3a8c", "#2f6b2f")  # all at least 6:1


# --- what the charts draw -----------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One bar: `value` None draws no bar (say why with `suppressed`); `text` is written beside
    it (the figure as the reader should see it, e.g. "17 (29.8 %)")."""

    label: str
    value: float | None
    text: str = ""
    suppressed: bool = False
    highlight: bool = False  # e.g. the unit chosen in the filter: darker, and said in words


@dataclass(frozen=True)
class BarGroup:
    heading: str  # "" for none
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Bucket:
    """One point on a time axis: its label, and whether its figures can be shown."""

    label: str
    state: str = "ok"  # "ok", "few" (suppressed: too few answers) or "none" (no surveys)


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float | None, ...]  # one per bucket; None: not drawn
    texts: tuple[str, ...] = ()  # one per bucket: the value as written in the description


# --- shared pieces -----------------------------------------------------------------------------


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _id(chart_id: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "-", chart_id).strip("-")
    return cleaned if cleaned[:1].isalpha() else f"chart-{cleaned}"


def _width(text: str, *, bold: bool = False) -> float:
    """A generous estimate of how wide `text` is drawn (no font metrics on the server)."""
    return len(text) * _SIZE * (0.62 if bold else 0.57)


def _wrap(text: str, room: float, *, bold: bool = False) -> list[str]:
    """`text` in lines that fit `room` by the width estimate, broken at spaces (a word longer
    than a line is broken inside it). Never empty: "" is one empty line."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        for piece in _pieces(word, room, bold):
            joined = f"{line} {piece}" if line else piece
            if line and _width(joined, bold=bold) > room:
                lines.append(line)
                joined = piece
            line = joined
    return [*lines, line]


def _pieces(word: str, room: float, bold: bool) -> list[str]:
    per_line = max(1, int(room // _width("x", bold=bold)))
    return [word[i : i + per_line] for i in range(0, len(word), per_line)]


def _text(
    x: float,
    y: float,
    text: str,
    *,
    anchor: str = "start",
    fill: str = _TEXT,
    bold: bool = False,
    italic: bool = False,
    extra: str = "",
) -> str:
    return f"<text {_text_attrs(x, y, anchor, fill, bold, italic)}{extra}>{_e(text)}</text>"


def _text_attrs(x: float, y: float, anchor: str, fill: str, bold: bool, italic: bool) -> str:
    attrs = f'x="{short(x)}" y="{short(y)}" font-size="{_SIZE}" fill="{fill}"'
    if anchor != "start":
        attrs += f' text-anchor="{anchor}"'
    if bold:
        attrs += ' font-weight="bold"'
    if italic:
        attrs += ' font-style="italic"'
    return attrs


def _lines(
    x: float,
    y: float,
    lines: Sequence[str],
    *,
    anchor: str = "start",
    fill: str = _TEXT,
    bold: bool = False,
    italic: bool = False,
) -> str:
    """One <text> of one or more lines (from `_wrap`), the first on the baseline `y`, each next
    one _LINE lower; read back as one string, the lines are joined by single spaces."""
    if len(lines) == 1:
        return _text(x, y, lines[0], anchor=anchor, fill=fill, bold=bold, italic=italic)
    spans = "".join(
        f'<tspan x="{short(x)}" dy="{0 if i == 0 else _LINE}">{_e(line)}'
        f"{' ' if i < len(lines) - 1 else ''}</tspan>"
        for i, line in enumerate(lines)
    )
    return f"<text {_text_attrs(x, y, anchor, fill, bold, italic)}>{spans}</text>"


def _rect(x: float, y: float, w: float, h: float, fill: str, extra: str = "") -> str:
    return (
        f'<rect x="{short(x)}" y="{short(y)}" width="{short(max(w, 0))}" height="{short(h)}"'
        f' fill="{fill}"{extra}/>'
    )


def _line(x1: float, y1: float, x2: float, y2: float, stroke: str, extra: str = "") -> str:
    return (
        f'<line x1="{short(x1)}" y1="{short(y1)}" x2="{short(x2)}" y2="{short(y2)}"'
        f' stroke="{stroke}"{extra}/>'
    )


def _svg(chart_id: str, title: str, desc: str, height: float, body: Sequence[str]) -> str:
    cid = _id(chart_id)
    h = short(math.ceil(height))
    return "".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{cid}"'
            f' viewBox="0 0 {_WIDTH} {h}" width="100%" preserveAspectRatio="xMinYMin meet"'
            f' role="img" aria-labelledby="{cid}-title {cid}-desc" focusable="false"'
            f' font-family="{_e(_FONT)}">',
            f'<title id="{cid}-title">{_e(title)}</title>',
            f'<desc id="{cid}-desc">{_e(desc)}</desc>',
            _rect(0, 0, _WIDTH, math.ceil(height), "#ffffff"),
            *body,
            "</svg>",
        ]
    )


def _sentence(intro: str, parts: Sequence[str]) -> str:
    figures = "; ".join(p for p in parts if p)
    if not intro:
        return figures + "." if figures else ""
    return f"{intro.rstrip('.')}. {figures}." if figures else intro


def _bar_words(bar: Bar) -> str:
    said = _bar_figure(bar)
    label = f"{bar.label} (selected)" if bar.highlight else bar.label
    return f"{label}: {said}"


def _bar_figure(bar: Bar) -> str:
    if bar.suppressed:
        return TOO_FEW
    if bar.value is None:
        return bar.text or NO_DATA
    return bar.text or short(bar.value)


# --- horizontal bars ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _BarLayout:
    label_w: float  # 0: labels on their own line(s) above each bar
    x0: float
    x1: float
    low: float
    high: float
    reference: float | None = None  # where the dashed line is drawn, in viewBox units

    def length(self, value: float) -> float:
        span = self.high - self.low
        share = (value - self.low) / span if span > 0 else 0.0
        return max(0.0, min(1.0, share)) * (self.x1 - self.x0)


_ROOM = _WIDTH - 2 * _PAD  # the width text may take


def _label(bar: Bar) -> str:
    return bar.label + (" (selected)" if bar.highlight else "")


def _bar_layout(
    groups: Sequence[BarGroup], low: float, high: float | None, reference: float | None
) -> _BarLayout:
    bars = [b for g in groups for b in g.bars]
    widest = max((_width(_label(b), bold=True) for b in bars), default=0.0)
    label_w = widest + 12 if widest <= 0.3 * _WIDTH else 0.0
    texts = [_bar_figure(b) for b in bars]
    value_w = max([48.0, *(_width(t, bold=True) + 10 for t in texts if t != TOO_FEW)])
    values = [b.value for b in bars if b.value is not None]
    if reference is not None:
        values.append(reference)
    top = high if high is not None else max([*values, low + 1.0])
    layout = _BarLayout(label_w, _PAD + label_w, _WIDTH - _PAD - value_w, low, top)
    if reference is None:
        return layout
    return replace(layout, reference=layout.x0 + layout.length(reference))


def bar_chart(
    chart_id: str,
    title: str,
    desc: str,
    groups: Sequence[BarGroup],
    *,
    low: float = 0.0,
    high: float | None = None,
    reference: float | None = None,
    reference_label: str = "",
) -> str:
    """Horizontal bars from `low` to `high` (default: the largest value), in titled groups.

    With `reference`, a dashed vertical line marks it (e.g. the all-units figure), labelled
    `reference_label` above the bars. The line runs through the rows of bars only, never across
    a heading or a label, and a bar's figure that would sit on it is written after it. Labels go
    left of the bars when they are short enough, else above."""
    layout = _bar_layout(groups, low, high, reference)
    y = float(_PAD + (24 if reference is not None else 0))
    body: list[str] = []
    for group in groups:
        if group.heading:
            lines = _wrap(group.heading, _ROOM, bold=True)
            body.append(_lines(_PAD, y + 16, lines, bold=True))
            y += 28 + _LINE * (len(lines) - 1)
        for bar in group.bars:
            y = _draw_bar(body, layout, bar, y)
        y += 6
    if layout.reference is not None:
        body.append(_reference_label(layout.reference, reference_label))
    if not any(group.bars for group in groups):
        body.append(_text(_PAD, y + 16, TOO_FEW, fill=_MUTED, italic=True))
        y += 28
    parts = [
        (f"{g.heading}: " if g.heading else "") + _bar_words(bar) for g in groups for bar in g.bars
    ]
    if reference is not None:
        parts.insert(0, reference_label or f"reference {short(reference)}")
    return _svg(chart_id, title, _sentence(desc, parts or [TOO_FEW]), y + _PAD, body)


def _draw_bar(body: list[str], layout: _BarLayout, bar: Bar, y: float) -> float:
    if layout.label_w:
        body.append(_text(_PAD, y + 15, _label(bar), bold=bar.highlight))
    else:
        lines = _wrap(_label(bar), _ROOM, bold=bar.highlight)
        body.append(_lines(_PAD, y + 14, lines, bold=bar.highlight))
        y += 20 + _LINE * (len(lines) - 1)
    if bar.suppressed or bar.value is None:
        word = TOO_FEW if bar.suppressed else (bar.text or NO_DATA)
        body.append(_text(layout.x0 + 4, y + 15, word, fill=_MUTED, italic=True))
        if not _covers(layout.x0 + 4, _width(word), layout.reference):
            body.append(_reference_piece(layout.reference, y))
        return y + _BAR_H + 8
    length = layout.length(bar.value)
    fill = _BAR_DARK if bar.highlight else _BAR
    body.append(_rect(layout.x0, y, length, _BAR_H, fill))
    figure, x = _bar_figure(bar), layout.x0 + length + 6
    if _covers(x, _width(figure, bold=bar.highlight), layout.reference):
        x = (layout.reference or 0.0) + 6  # written after the line, not across it
    body.append(_text(x, y + 15, figure, bold=bar.highlight))
    body.append(_reference_piece(layout.reference, y))
    return y + _BAR_H + 8


def _covers(x: float, width: float, line: float | None) -> bool:
    """Whether a text from `x`, `width` wide, would be crossed by a vertical line at `line`."""
    return line is not None and x - 3 <= line <= x + width + 3


def _reference_piece(x: float | None, y: float) -> str:
    """The dashed reference line through one row of bars (nothing without a reference)."""
    if x is None:
        return ""
    dashes = ' stroke-width="2" stroke-dasharray="5 3"'
    return _line(x, y, x, y + _BAR_H, _TEXT, dashes)


def _reference_label(x: float, label: str) -> str:
    anchor = "middle"
    if x - _width(label) / 2 < _PAD:
        anchor = "start"
    elif x + _width(label) / 2 > _WIDTH - _PAD:
        anchor = "end"
    return _text(x, _PAD + 12, label, anchor=anchor)


# --- the funnel --------------------------------------------------------------------------------


def funnel_chart(chart_id: str, title: str, desc: str, steps: Sequence[Bar]) -> str:
    """Centred bars, each as wide as its value against the largest step's.

    The largest, not the first: a later step can be larger than the first (surveys started
    without a service event, such as trials), and is then drawn wider, never cut to the first.
    The chart says which figure sets the scale."""
    shown = [s.value for s in steps if s.value and not s.suppressed]
    largest = max(shown, default=0.0)
    body: list[str] = []
    y = float(_PAD)
    for step in steps:
        heading = _wrap(f"{step.label}: {_bar_figure(step)}", _ROOM, bold=True)
        body.append(_lines(_WIDTH / 2, y + 15, heading, anchor="middle", bold=True))
        y += 22 + _LINE * (len(heading) - 1)
        if step.value and not step.suppressed and largest:
            width = max(2.0, _ROOM * step.value / largest)
            body.append(_rect((_WIDTH - width) / 2, y, width, 24, _BAR))
        y += 24 + 10
    scale = f"Bar widths are in proportion to the largest figure, {short(largest)}."
    if largest:
        lines = _wrap(scale, _ROOM)
        body.append(_lines(_PAD, y + 12, lines, fill=_MUTED, italic=True))
        y += 24 + _LINE * (len(lines) - 1)
    parts = [f"{s.label}: {_bar_figure(s)}" for s in steps]
    described = _sentence(desc, parts)
    said = f"{described} {scale}" if largest else described
    return _svg(chart_id, title, said, y + _PAD - 10, body)


# --- over time ---------------------------------------------------------------------------------


def _ticks(low: float, high: float) -> list[float]:
    span = high - low
    if span <= 0:
        return [low]
    raw = span / 6
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(low / step) * step
    count = math.floor((high - first) / step + 1e-9) + 1
    return [round(first + i * step, 10) for i in range(count)]


@dataclass(frozen=True)
class _Plot:
    left: float
    right: float
    top: float
    bottom: float
    low: float
    high: float
    count: int

    def x(self, i: int) -> float:
        step = (self.right - self.left) / self.count
        return self.left + step * (i + 0.5)

    def y(self, value: float) -> float:
        share = (value - self.low) / (self.high - self.low) if self.high > self.low else 0.0
        return self.bottom - max(0.0, min(1.0, share)) * (self.bottom - self.top)

    @property
    def step(self) -> float:
        return (self.right - self.left) / self.count


def line_chart(
    chart_id: str,
    title: str,
    desc: str,
    buckets: Sequence[Bucket],
    series: Sequence[Series],
    *,
    low: float,
    high: float,
    suffix: str = "",
) -> str:
    """Lines over `buckets` on the fixed range low..high; values of a bucket whose state is not
    "ok" are not drawn (the line breaks), and a suppressed bucket is shaded and labelled."""
    ticks = _ticks(low, high)
    tick_w = max(_width(f"{short(t)}{suffix}") for t in ticks)
    legend_h = 24 * _legend_rows(series, buckets)
    plot = _Plot(
        left=_PAD + tick_w + 8,
        right=_WIDTH - _PAD,
        top=_PAD + legend_h + 8,
        bottom=_PAD + legend_h + 8 + 200,
        low=low,
        high=high,
        count=max(1, len(buckets)),
    )
    body = _legend(series, buckets)
    body += _shades(plot, buckets)
    body += _axes(plot, ticks, suffix, buckets)
    for index, one in enumerate(series):
        body += _series(plot, one, buckets, index)
    parts = [_bucket_words(i, b, series, suffix) for i, b in enumerate(buckets)]
    return _svg(chart_id, title, _sentence(desc, parts), plot.bottom + 30 + _PAD, body)


def _legend_rows(series: Sequence[Series], buckets: Sequence[Bucket]) -> int:
    return max(1, len(series) + (1 if any(b.state == "few" for b in buckets) else 0))


def _legend(series: Sequence[Series], buckets: Sequence[Bucket]) -> list[str]:
    out: list[str] = []
    entries: list[tuple[str, int | None]] = [(s.name, i) for i, s in enumerate(series)]
    if any(b.state == "few" for b in buckets):
        entries.append((f"shaded: {TOO_FEW}", None))
    x = _PAD
    for n, (name, index) in enumerate(entries):
        y = _PAD + n * 24 + 10
        if index is None:
            out.append(_rect(x, y - 8, 28, 16, _SHADE, f' stroke="{_GRID}"'))
        else:
            colour, dash = _SERIES_COLOURS[index % 4], _DASHES[index % 4]
            dashes = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(_line(x, y, x + 28, y, colour, f' stroke-width="2.5"{dashes}'))
            out.append(_marker(x + 14, y, index, colour))
        out.append(_text(x + 36, y + 5, name))
    return out


def _shades(plot: _Plot, buckets: Sequence[Bucket]) -> list[str]:
    out = []
    for i, bucket in enumerate(buckets):
        if bucket.state != "few":
            continue
        x = plot.x(i) - plot.step / 2
        out.append(_rect(x, plot.top, plot.step, plot.bottom - plot.top, _SHADE))
        if plot.step >= 16:
            cx, cy = plot.x(i) + 4, (plot.top + plot.bottom) / 2
            rotate = f' transform="rotate(-90 {short(cx)} {short(cy)})"'
            out.append(_text(cx, cy, TOO_FEW, anchor="middle", fill=_MUTED, extra=rotate))
    return out


def _axes(plot: _Plot, ticks: Sequence[float], suffix: str, buckets: Sequence[Bucket]) -> list[str]:
    out = []
    for tick in ticks:
        y = plot.y(tick)
        out.append(_line(plot.left, y, plot.right, y, _GRID, ' stroke-width="1"'))
        out.append(_text(plot.left - 6, y + 5, f"{short(tick)}{suffix}", anchor="end"))
    widest = max((_width(b.label) for b in buckets), default=0.0) + 8
    every = max(1, math.ceil(widest / plot.step))
    for i, bucket in enumerate(buckets):
        if i % every == 0:
            out.append(_text(plot.x(i), plot.bottom + 18, bucket.label, anchor="middle"))
    out.append(_line(plot.left, plot.bottom, plot.right, plot.bottom, _TEXT))
    return out


def _series(plot: _Plot, one: Series, buckets: Sequence[Bucket], index: int) -> list[str]:
    colour, dash = _SERIES_COLOURS[index % 4], _DASHES[index % 4]
    dashes = f' stroke-dasharray="{dash}"' if dash else ""
    out: list[str] = []
    run: list[tuple[float, float]] = []
    points: list[tuple[float, float]] = []
    for i, bucket in enumerate(buckets):
        value = one.values[i] if i < len(one.values) else None
        if bucket.state != "ok" or value is None:
            out += _polyline(run, colour, dashes)
            run = []
            continue
        point = (plot.x(i), plot.y(value))
        run.append(point)
        points.append(point)
    out += _polyline(run, colour, dashes)
    out += [_marker(x, y, index, colour) for x, y in points]
    return out


def _polyline(run: Sequence[tuple[float, float]], colour: str, dashes: str) -> list[str]:
    if len(run) < 2:
        return []
    coords = " ".join(f"{short(x)},{short(y)}" for x, y in run)
    return [
        f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2.5"'
        f' stroke-linejoin="round"{dashes}/>'
    ]


def _marker(x: float, y: float, index: int, colour: str) -> str:
    shape = _MARKERS[index % len(_MARKERS)]
    if shape == "circle":
        return f'<circle cx="{short(x)}" cy="{short(y)}" r="4.5" fill="{colour}"/>'
    if shape == "square":
        return _rect(x - 4, y - 4, 8, 8, colour)
    if shape == "triangle":
        corners = [(x, y - 5.5), (x + 5.5, y + 4.5), (x - 5.5, y + 4.5)]
    else:
        corners = [(x, y - 6), (x + 6, y), (x, y + 6), (x - 6, y)]
    pts = " ".join(f"{short(px)},{short(py)}" for px, py in corners)
    return f'<polygon points="{pts}" fill="{colour}"/>'


def _bucket_words(i: int, bucket: Bucket, series: Sequence[Series], suffix: str) -> str:
    if bucket.state == "few":
        return f"{bucket.label}: {TOO_FEW}"
    if bucket.state == "none":
        return f"{bucket.label}: {NO_DATA}"
    said = []
    for one in series:
        value = one.values[i] if i < len(one.values) else None
        text = one.texts[i] if i < len(one.texts) else ""
        shown = text or ("-" if value is None else f"{short(value)}{suffix}")
        said.append(f"{one.name} {shown}" if len(series) > 1 else shown)
    return f"{bucket.label}: {', '.join(said)}"


# --- differences -------------------------------------------------------------------------------


def diverging_chart(
    chart_id: str,
    title: str,
    desc: str,
    rows: Sequence[Bar],
    *,
    limit: float | None = None,
    below: str = "below",
    above: str = "above",
) -> str:
    """Bars from a centre zero line: a negative value leftwards, a positive one rightwards, up
    to ±`limit` (default: the largest absolute value, at least 10). Each row's label is on its
    own line; the bar's `text` is written at its end."""
    values = [abs(r.value) for r in rows if r.value is not None and not r.suppressed]
    reach = limit if limit is not None else max([10.0, *values])
    centre = _WIDTH / 2
    half = centre - _PAD - 56
    y = float(_PAD)
    body: list[str] = []
    for row in rows:
        lines = _wrap(row.label, _ROOM)
        body.append(_lines(_PAD, y + 14, lines))
        y += 20 + _LINE * (len(lines) - 1)
        body.append(_line(centre, y - 4, centre, y + _BAR_H + 4, _TEXT, ' stroke-width="1.5"'))
        body += _diverging_bar(row, centre, half, reach, y)
        y += _BAR_H + 10
    body.append(_text(centre - 6, y + 12, f"← {below}", anchor="end"))
    body.append(_text(centre + 6, y + 12, f"{above} →"))
    parts = [f"{r.label}: {_diverging_figure(r)}" for r in rows]
    return _svg(chart_id, title, _sentence(desc, parts or [TOO_FEW]), y + 20 + _PAD, body)


def _diverging_figure(row: Bar) -> str:
    if row.suppressed or row.value is None:
        return _bar_figure(row)
    return row.text or f"{row.value:+.1f}"


def _diverging_bar(row: Bar, centre: float, half: float, reach: float, y: float) -> list[str]:
    if row.suppressed or row.value is None:
        word = TOO_FEW if row.suppressed else (row.text or NO_DATA)
        return [_text(centre + 8, y + 15, word, fill=_MUTED, italic=True)]
    length = min(1.0, abs(row.value) / reach) * half if reach > 0 else 0.0
    text = _diverging_figure(row)
    if row.value < 0:
        return [
            _rect(centre - length, y, length, _BAR_H, _NEGATIVE),
            _text(centre - length - 6, y + 15, text, anchor="end"),
        ]
    return [
        _rect(centre, y, length, _BAR_H, _BAR),
        _text(centre + length + 6, y + 15, text),
    ]
