"""SVG charts, read back with xml.etree: what is drawn, what is said, what is escaped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from smsbot.webui import charts
from smsbot.webui.charts import (
    NO_DATA,
    TOO_FEW,
    Bar,
    BarGroup,
    Bucket,
    Series,
    bar_chart,
    diverging_chart,
    funnel_chart,
    line_chart,
)

NS = {"s": "http://www.w3.org/2000/svg"}
SVG = "{http://www.w3.org/2000/svg}"
BAR_FILLS = {charts._BAR, charts._BAR_DARK, charts._BAR_LIGHT, charts._NEGATIVE}


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.get("fill") in BAR_FILLS]


def desc(root: ET.Element) -> str:
    found = root.find("s:desc", NS)
    assert found is not None
    return found.text or ""


def distribution() -> list[Bar]:
    return [
        Bar("1", None, suppressed=True),
        Bar("2", 0, "0 (0 %)"),
        Bar("3", 10, "10 (40 %)"),
        Bar("4", 15, "15 (60 %)"),
    ]


# --- every chart --------------------------------------------------------------------------------


def every_chart() -> dict[str, str]:
    return {
        "bar": bar_chart(
            "d1",
            "Satisfaction",
            "How satisfied",
            [BarGroup("", tuple(distribution()))],
            reference=8,
            reference_label="all units: 8",
        ),
        "funnel": funnel_chart(
            "f1", "Funnel", "", [Bar("Sent", 100, "100"), Bar("Answered", 40, "40 (40 %)")]
        ),
        "line": line_chart(
            "l1",
            "Over time",
            "",
            [Bucket("w1"), Bucket("w2", "few"), Bucket("w3")],
            [Series("rate", (40, None, 50)), Series("done", (30, None, 35))],
            low=0,
            high=100,
            suffix=" %",
        ),
        "diverging": diverging_chart(
            "v1",
            "Against all",
            "",
            [Bar("a", -5, "−5"), Bar("b", 3, "+3"), Bar("c", None, "", True)],
        ),
    }


@pytest.mark.parametrize("name", ["bar", "funnel", "line", "diverging"])
def test_every_chart_is_an_image_named_by_its_title_and_description(name: str) -> None:
    root = parse(every_chart()[name])
    title, description = root.find("s:title", NS), root.find("s:desc", NS)
    assert title is not None and description is not None
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == f"{title.get('id')} {description.get('id')}"
    assert root.get("viewBox", "").startswith(f"0 0 {charts._WIDTH} ")
    assert title.text and description.text


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str = "#ffffff") -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("name", ["bar", "funnel", "line", "diverging"])
def test_colours_have_enough_contrast_against_the_chart_background(name: str) -> None:
    root = parse(every_chart()[name])
    background = next(root.iter(f"{SVG}rect"))
    assert background.get("fill") == "#ffffff"  # the chart paints its own background
    for text in root.iter(f"{SVG}text"):
        assert contrast(text.get("fill", "")) >= 4.5, "".join(text.itertext())
    for element in root.iter():
        tag = element.tag.removeprefix(SVG)
        colour = element.get("stroke") if tag in ("line", "polyline") else element.get("fill")
        if tag in ("rect", "circle", "polygon", "line", "polyline") and colour not in (
            "#ffffff",
            charts._SHADE,  # a decorative background; its meaning is also written
            "none",
        ):
            assert contrast(colour or "") >= 3, (tag, colour)
    for shaded in (r for r in root.iter(f"{SVG}rect") if r.get("fill") == charts._SHADE):
        assert shaded is not None and contrast(charts._MUTED, charts._SHADE) >= 4.5


@pytest.mark.parametrize("name", ["bar", "funnel", "line", "diverging"])
def test_every_text_is_drawn_at_one_legible_size(name: str) -> None:
    """14 units of a 360-wide viewBox: 12.5 CSS px at the narrowest the page draws a chart."""
    root = parse(every_chart()[name])
    assert {t.get("font-size") for t in root.iter(f"{SVG}text")} == {str(charts._SIZE)}


LONG = "Kontaktcenter Örebro: how easy it was to get help (CES): CES 5.15 (all units CES 5.19)"


@pytest.mark.parametrize(
    "svg",
    [
        bar_chart("w", "t", "", [BarGroup(LONG, (Bar(LONG, 3, "3"), Bar("short", 2, "2")))]),
        diverging_chart("w", "t", "", [Bar(LONG, 4.0, "+4.0")]),
        funnel_chart("w", "t", "", [Bar(LONG, 12345, "12 345 (100.0 %)")]),
    ],
)
def test_long_text_is_wrapped_onto_lines_that_fit(svg: str) -> None:
    root = parse(svg)
    wrapped = [t for t in root.iter(f"{SVG}text") if "".join(t.itertext()).startswith(LONG[:20])]
    assert wrapped and all(len(t.findall("s:tspan", NS)) >= 2 for t in wrapped)
    for text in wrapped:
        assert "".join(text.itertext()).startswith(LONG)  # the lines read as the text
        bold = text.get("font-weight") == "bold"
        for line in text.findall("s:tspan", NS):
            width = charts._width((line.text or "").strip(), bold=bold)
            assert width <= charts._WIDTH - 2 * charts._PAD


def test_a_word_longer_than_a_line_is_broken_inside() -> None:
    lines = charts._wrap("x" * 100, 100.0)
    assert "".join(lines) == "x" * 100 and all(charts._width(line) <= 100 for line in lines)
    assert charts._wrap("", 100.0) == [""]


# --- bars ---------------------------------------------------------------------------------------


def test_bars_are_drawn_for_values_and_never_for_suppressed_cells() -> None:
    root = parse(bar_chart("d", "Satisfaction", "", [BarGroup("", tuple(distribution()))]))
    drawn = bars(root)
    assert len(drawn) == 3  # 2, 3 and 4; 1 is suppressed
    widths = [float(r.get("width", "")) for r in drawn]
    assert widths[0] == 0 and widths[1] < widths[2]  # a real zero is a zero-length bar
    assert widths[1] / widths[2] == pytest.approx(10 / 15, abs=0.01)
    shown = texts(root)
    assert TOO_FEW in shown and "0 (0 %)" in shown and "15 (60 %)" in shown
    assert [t for t in shown if t in ("1", "2", "3", "4")] == ["1", "2", "3", "4"]
    assert desc(root) == "1: too few answers; 2: 0 (0 %); 3: 10 (40 %); 4: 15 (60 %)."


def test_bar_groups_headings_and_range() -> None:
    groups = [
        BarGroup("Resolved?", (Bar("yes", 4.0, "4.00 (20)"), Bar("no", 2.0, "2.00 (9)"))),
        BarGroup("Wait", (Bar("0-60s", 5.0, "5.00 (7)"), Bar(">10min", None, suppressed=True))),
    ]
    root = parse(bar_chart("dr", "Drivers", "Mean satisfaction", groups, low=1, high=5))
    widths = [float(r.get("width", "")) for r in bars(root)]
    assert widths[0] / widths[2] == pytest.approx(3 / 4, abs=0.01)  # from 1, not from 0
    assert widths[1] / widths[2] == pytest.approx(1 / 4, abs=0.01)
    assert {"Resolved?", "Wait", ">10min", TOO_FEW} <= set(texts(root))
    assert desc(root) == (
        "Mean satisfaction. Resolved?: yes: 4.00 (20); Resolved?: no: 2.00 (9);"
        " Wait: 0-60s: 5.00 (7); Wait: >10min: too few answers."
    )


def test_a_highlighted_bar_says_so_in_words_and_the_reference_is_drawn() -> None:
    units = (
        Bar("Norr", 48.2, "48.2 %"),
        Bar("Syd", 35.0, "35.0 %", highlight=True),
        Bar("Tiny", None, suppressed=True),
    )
    svg = bar_chart(
        "u", "Response rate", "", [BarGroup("", units)], high=100, reference=44.0,
        reference_label="all units: 44.0 %",
    )  # fmt: skip
    root = parse(svg)
    shown = texts(root)
    assert "Syd (selected)" in shown and "Norr" in shown and "all units: 44.0 %" in shown
    assert [r.get("fill") for r in bars(root)] == [charts._BAR, charts._BAR_DARK]
    dashed = [line for line in root.iter(f"{SVG}line") if line.get("stroke-dasharray")]
    assert len({line.get("x1") for line in dashed}) == 1  # one line, in pieces
    assert desc(root).startswith("all units: 44.0 %; Norr: 48.2 %; Syd (selected): 35.0 %;")


def _extent(text: ET.Element) -> tuple[float, float, float, float]:
    """A text's box (left, right, top, bottom) by the charts' own width estimate."""
    lines = text.findall("s:tspan", NS) or [text]
    widest = max(
        charts._width("".join(line.itertext()).strip(), bold=text.get("font-weight") == "bold")
        for line in lines
    )
    x, y = float(text.get("x", "")), float(text.get("y", ""))
    left = {"middle": x - widest / 2, "end": x - widest}.get(text.get("text-anchor", ""), x)
    return left, left + widest, y - charts._SIZE, y + 4 + charts._LINE * (len(lines) - 1)


@pytest.mark.parametrize("reference", [1.5, 2.0, 3.1, 3.3, 4.0, 4.71, 5.0])
def test_the_dashed_line_crosses_no_text(reference: float) -> None:
    groups = [
        BarGroup("Resolved in the first contact", (Bar("yes", 4.32, "4.32 (50)"),
                                                   Bar("no", 3.29, "3.29 (14)"))),
        BarGroup("Waiting time", (Bar("0-60s", 4.69, "4.69 (13)"), Bar("3-5min", 3.0, "3.00 (15)"),
                                  Bar(">10min", None, suppressed=True))),
    ]  # fmt: skip
    svg = bar_chart("dr", "t", "", groups, low=1, high=5, reference=reference,
                    reference_label=f"overall mean {reference}")  # fmt: skip
    root = parse(svg)
    dashed = [line for line in root.iter(f"{SVG}line") if line.get("stroke-dasharray")]
    assert len(dashed) >= 2  # through the rows' bars, not across headings and labels
    for line in dashed:
        x = float(line.get("x1", ""))
        top, bottom = sorted((float(line.get("y1", "")), float(line.get("y2", ""))))
        for text in root.iter(f"{SVG}text"):
            left, right, text_top, text_bottom = _extent(text)
            crossed = left - 2 <= x <= right + 2 and text_top < bottom and top < text_bottom
            assert not crossed, ("".join(text.itertext()), x)
    assert {"4.32 (50)", "3.00 (15)", TOO_FEW, "Waiting time"} <= set(texts(root))


def test_nothing_to_draw_says_too_few() -> None:
    root = parse(bar_chart("e", "Empty", "", [BarGroup("", ())]))
    assert texts(root) == [TOO_FEW] and not bars(root)


def test_text_is_escaped() -> None:
    evil = '<script>alert("x")</script> & Söder'
    svg = bar_chart('x" onload="alert(1)', evil, evil, [BarGroup(evil, (Bar(evil, 3, evil),))])
    assert "<script>" not in svg and 'onload="' not in svg
    root = parse(svg)
    assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", root.get("id", ""))
    title = root.find("s:title", NS)
    assert title is not None and title.text == evil
    assert texts(root).count(evil) == 3  # heading, label, value
    for name, svg in every_chart().items():
        assert parse(svg) is not None, name


# --- the funnel -------------------------------------------------------------------------------


def test_funnel_bars_narrow_with_each_step() -> None:
    steps = [
        Bar("Events", 120, "120"),
        Bar("Sent", 100, "100 (100 %)"),
        Bar("Answered", 45, "45 (45 %)"),
        Bar("Completed", 0, "0 (0 %)"),
    ]
    root = parse(funnel_chart("f", "Funnel", "From events to answers", steps))
    drawn = bars(root)
    assert len(drawn) == 3  # a zero step draws no bar, and says 0
    widths = [float(r.get("width", "")) for r in drawn]
    assert widths[1] / widths[0] == pytest.approx(100 / 120, abs=0.01)
    assert widths[2] / widths[0] == pytest.approx(45 / 120, abs=0.01)
    centres = {round(float(r.get("x", "")) + float(r.get("width", "")) / 2) for r in drawn}
    assert centres == {charts._WIDTH / 2}
    assert "Completed: 0 (0 %)" in texts(root)
    assert desc(root) == (
        "From events to answers. Events: 120; Sent: 100 (100 %); Answered: 45 (45 %);"
        " Completed: 0 (0 %). Bar widths are in proportion to the largest figure, 120."
    )


@pytest.mark.parametrize(
    "figures",
    [
        (2, 47, 18, 41),  # trial chats without events: a later step larger than the first
        (120, 100, 45, 0),
        (0, 5, 5, 3),
        (10, 10, 10, 10),
    ],
)
def test_funnel_bars_are_in_proportion_to_their_figures(figures: tuple[int, ...]) -> None:
    steps = [Bar(f"step {i}", value, str(value)) for i, value in enumerate(figures)]
    root = parse(funnel_chart("f", "Funnel", "", steps))
    widths = {
        round(float(r.get("y", "")), 1): float(r.get("width", "")) for r in bars(root)
    }  # by position: a zero step draws no bar
    largest = max(figures)
    full = max(widths.values())
    assert full == pytest.approx(charts._WIDTH - 2 * charts._PAD)
    drawn = [w for _, w in sorted(widths.items())]
    assert drawn == pytest.approx([full * v / largest for v in figures if v], abs=0.6)
    scale = f"Bar widths are in proportion to the largest figure, {largest}."
    assert scale in " ".join(texts(root)) and scale in desc(root)


def test_a_suppressed_funnel_draws_no_bars() -> None:
    steps = [Bar("Sent", 4, "4"), Bar("Answered", None, suppressed=True)]
    root = parse(funnel_chart("f", "Funnel", "", steps))
    assert len(bars(root)) == 1 and "Answered: too few answers" in texts(root)


# --- over time --------------------------------------------------------------------------------


def test_line_breaks_at_suppressed_and_empty_buckets() -> None:
    buckets = [
        Bucket("7 Sep"),
        Bucket("14 Sep"),
        Bucket("21 Sep", "few"),
        Bucket("28 Sep"),
        Bucket("5 Oct"),
        Bucket("12 Oct", "none"),
        Bucket("19 Oct"),
    ]
    rate = Series("response rate", (40.0, 50.0, None, 45.0, 42.5, None, 41.0))
    root = parse(
        line_chart("t", "Response rate", "Per week", buckets, [rate], low=0, high=100, suffix=" %")
    )
    lines = root.findall("s:polyline", NS)
    assert [len(p.get("points", "").split()) for p in lines] == [2, 2]  # 7-14 Sep, 28 Sep-5 Oct
    assert len(root.findall("s:circle", NS)) == 1 + 5  # the legend's, and one per value shown
    shaded = [r for r in root.iter(f"{SVG}rect") if r.get("fill") == charts._SHADE]
    assert len(shaded) == 2  # the bucket, and its legend sample
    shown = texts(root)
    assert TOO_FEW in shown and "shaded: too few answers" in shown
    assert {"0 %", "20 %", "100 %", "7 Sep", "19 Oct"} <= set(shown)
    assert desc(root) == (
        "Per week. 7 Sep: 40 %; 14 Sep: 50 %; 21 Sep: too few answers; 28 Sep: 45 %;"
        f" 5 Oct: 42.5 %; 12 Oct: {NO_DATA}; 19 Oct: 41 %."
    )


def test_points_sit_on_the_value_range() -> None:
    buckets = [Bucket("a"), Bucket("b"), Bucket("c")]
    series = Series("mean", (1.0, 3.0, 5.0), ("1.00 (8)", "3.00 (9)", "5.00 (7)"))
    root = parse(line_chart("m", "Mean", "", buckets, [series], low=1, high=5))
    ys = [float(c.get("cy", "")) for c in root.findall("s:circle", NS)[1:]]  # not the legend
    assert ys[0] - ys[1] == pytest.approx(ys[1] - ys[2]) and ys[0] > ys[2]
    assert desc(root) == "a: 1.00 (8); b: 3.00 (9); c: 5.00 (7)."


def test_series_differ_by_marker_and_dash_not_colour_alone() -> None:
    buckets = [Bucket("a"), Bucket("b")]
    series = [Series("one", (1.0, 2.0)), Series("two", (2.0, 3.0)), Series("three", (3.0, 4.0))]
    root = parse(line_chart("s", "Three", "", buckets, series, low=0, high=5))
    dashes = [p.get("stroke-dasharray") for p in root.findall("s:polyline", NS)]
    assert len(set(dashes)) == 3
    assert len(root.findall("s:circle", NS)) == 3  # legend + 2 points
    assert len(root.findall("s:polygon", NS)) == 3  # triangles: legend + 2 points
    assert desc(root) == "a: one 1, two 2, three 3; b: one 2, two 3, three 4."


def test_crowded_time_labels_are_thinned() -> None:
    buckets = [Bucket(f"{day} Sep") for day in range(1, 61)]
    root = parse(
        line_chart("c", "Daily", "", buckets, [Series("r", (50.0,) * 60)], low=0, high=100)
    )
    labels = [t for t in texts(root) if t.endswith("Sep")]
    assert 5 <= len(labels) < 60 and labels[0] == "1 Sep"


@pytest.mark.parametrize(
    ("low", "high", "ticks"),
    [
        (0, 100, [0, 20, 40, 60, 80, 100]),
        (1, 5, [1, 2, 3, 4, 5]),
        (1, 7, [1, 2, 3, 4, 5, 6, 7]),
        (0, 10, [0, 2, 4, 6, 8, 10]),
        (-100, 100, [-100, -50, 0, 50, 100]),
        (3, 3, [3]),
    ],
)
def test_ticks(low: float, high: float, ticks: list[float]) -> None:
    assert charts._ticks(low, high) == ticks


# --- differences ------------------------------------------------------------------------------


def test_diverging_bars_go_left_for_below_and_right_for_above() -> None:
    rows = [
        Bar("Response rate: 35 % (all units 44 %)", -9.0, "−9.0 points"),
        Bar("CSAT: 61 % (all units 56 %)", 5.0, "+5.0 points"),
        Bar("NPS", None, suppressed=True),
    ]
    root = parse(diverging_chart("v", "Syd against all units", "", rows, limit=20))
    left, right = bars(root)
    assert left.get("fill") == charts._NEGATIVE and right.get("fill") == charts._BAR
    centre = charts._WIDTH / 2
    assert float(left.get("x", "")) + float(left.get("width", "")) == pytest.approx(centre)
    assert float(right.get("x", "")) == pytest.approx(centre)
    assert float(left.get("width", "")) / float(right.get("width", "")) == pytest.approx(9 / 5)
    shown = texts(root)
    assert {"−9.0 points", "+5.0 points", TOO_FEW, "← below", "above →"} <= set(shown)
    assert desc(root) == (
        "Response rate: 35 % (all units 44 %): −9.0 points; CSAT: 61 % (all units 56 %):"
        " +5.0 points; NPS: too few answers."
    )


def test_diverging_range_defaults_to_the_largest_difference() -> None:
    root = parse(diverging_chart("v", "t", "", [Bar("a", 40.0, "+40"), Bar("b", -20.0, "−20")]))
    first, second = (float(r.get("width", "")) for r in bars(root))
    assert first == pytest.approx(2 * second)
