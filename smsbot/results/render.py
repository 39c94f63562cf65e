"""Reports as text: fixed-width terminal tables, JSON, or flat CSV (section, group, figure, value).

Input is what `smsbot.results.reports.full_report` returns: {filter, min_group, sections:
{name: [group]}} with each group {key, n, suppressed, <figures>}. A suppressed group or cell is
shown as `—`, and the table ends with a footnote saying why. The report holds no phone number,
so none is printed.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from smsbot.results import csvsafe, numbers

__all__ = ["SUPPRESSED", "render_csv", "render_json", "render_table"]

SUPPRESSED = "—"

Report = Mapping[str, Any]
Row = list[str]


# --- small formatters ------------------------------------------------------------------------


def _mean_n(cell: Mapping[str, Any]) -> str:
    if cell["suppressed"]:
        return SUPPRESSED
    return f"{numbers.mean(cell['figures'].get('mean'))} ({cell['n']})"


# --- the table -------------------------------------------------------------------------------


class _Writer:
    """Collects tables; remembers whether anything was suppressed (for the footnote)."""

    def __init__(self, group_by: str | None) -> None:
        self.group_by = group_by
        self.parts: list[str] = []
        self.suppressed = False

    def label(self, group: Mapping[str, Any]) -> str:
        key = group.get("key")
        if key is None:
            return "all" if self.group_by is None else "(none)"
        return str(key)

    def hidden(self, width: int) -> Row:
        self.suppressed = True
        return [SUPPRESSED] * width

    def table(
        self, title: str, headers: Sequence[str], rows: Sequence[Row], left: Sequence[int] = (0,)
    ) -> None:
        """Columns in `left` are text (left-aligned); the others numbers (right-aligned)."""
        widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

        def line(cells: Sequence[str]) -> str:
            padded = [
                c.ljust(w) if i in left else c.rjust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            ]
            return "  ".join(padded).rstrip()

        rule = "  ".join("-" * w for w in widths)
        body = [line(r) for r in rows] or ["(no data)"]
        self.parts.append("\n".join([title, "=" * len(title), line(headers), rule, *body]))


# --- sections --------------------------------------------------------------------------------

_FUNNEL = (
    ("events", "events_received", numbers.whole),
    ("skipped", "events_skipped", numbers.whole),
    ("pending", "events_scheduled", numbers.whole),
    ("sent", "surveys_sent", numbers.whole),
    ("delivered", "delivered", numbers.whole),
    ("answered", "answered", numbers.whole),
    ("response", "response_rate_pct", numbers.pct),
    ("completed", "completed", numbers.whole),
    ("compl.", "completion_rate_pct", numbers.pct),
    ("stopped", "opted_out", numbers.whole),
    ("undeliv.", "undeliverable", numbers.whole),
    ("expired", "expired", numbers.whole),
)


def _funnel(w: _Writer, groups: Sequence[Mapping[str, Any]]) -> None:
    rows = []
    for g in groups:
        cells = (
            w.hidden(len(_FUNNEL))
            if g["suppressed"]
            else [fmt(g.get(name)) for _, name, fmt in _FUNNEL]
        )
        rows.append([w.label(g), *cells])
    headers = [w.group_by or "group", *(title for title, _, _ in _FUNNEL)]
    w.table("Funnel: from service events to completed surveys", headers, rows)
    reasons = sorted({r for g in groups for r in g.get("skipped_by_reason", {})})
    if reasons:
        rows = [
            [w.label(g), *(str(g["skipped_by_reason"].get(r, 0)) for r in reasons)]
            for g in groups
            if not g["suppressed"]
        ]
        w.table("Events not surveyed, by reason", [w.group_by or "group", *reasons], rows)


def _score(cell: Mapping[str, Any]) -> str:
    figures = cell["figures"]
    if "csat_pct" in figures:
        return f"CSAT {numbers.pct(figures['csat_pct'])}"
    if "nps" in figures:
        return f"NPS {numbers.signed(figures['nps'])}"
    if "ces" in figures:
        return f"CES {numbers.mean(figures['ces'])}"
    if cell.get("kind") == "yesno":
        return f"yes {numbers.pct(figures['shares_pct'].get('yes'))}"
    return ""


def _question_row(w: _Writer, label: str, cell: Mapping[str, Any]) -> Row:
    if cell["suppressed"]:
        return [label, cell["key"], *w.hidden(5)]
    figures = cell["figures"]
    distribution = " ".join(f"{v}:{c}" for v, c in figures.get("distribution", {}).items())
    return [
        label,
        cell["key"],
        str(cell["n"]),
        numbers.mean(figures.get("mean")) if "mean" in figures else "",
        numbers.median(figures.get("median")) if "median" in figures else "",
        _score(cell),
        distribution,
    ]


def _questions(w: _Writer, groups: Sequence[Mapping[str, Any]]) -> None:
    rows: list[Row] = []
    drops: list[Row] = []
    for g in groups:
        if g["suppressed"]:
            rows.append([w.label(g), SUPPRESSED, *w.hidden(5)])
            drops.append([w.label(g), SUPPRESSED, *w.hidden(3)])
            continue
        rows += [_question_row(w, w.label(g), cell) for cell in g["questions"]]
        drops += [_dropoff_row(w, w.label(g), cell) for cell in g["dropoff"]]
    group = w.group_by or "group"
    headers = [group, "question", "n", "mean", "median", "score", "distribution"]
    w.table("Answers per question", headers, rows, left=(0, 1, 5, 6))
    headers = [group, "question", "asked", "ended there", "drop-off"]
    w.table("Drop-off: where people stop answering", headers, drops, left=(0, 1))


def _dropoff_row(w: _Writer, label: str, cell: Mapping[str, Any]) -> Row:
    if cell["suppressed"]:
        return [label, cell["key"], *w.hidden(3)]
    figures = cell["figures"]
    return [
        label,
        cell["key"],
        str(figures["asked"]),
        str(figures["dropped"]),
        numbers.pct(figures["dropoff_pct"]),
    ]


def _timing(w: _Writer, groups: Sequence[Mapping[str, Any]]) -> None:
    rows = []
    for g in groups:
        if g["suppressed"]:
            rows.append([w.label(g), *w.hidden(5)])
            continue
        rows.append(
            [
                w.label(g),
                str(g["answered"]),
                numbers.duration(g.get("median_seconds")),
                numbers.duration(g.get("p90_seconds")),
                numbers.pct(g.get("within_1h_pct")),
                numbers.pct(g.get("within_24h_pct")),
            ]
        )
    headers = [w.group_by or "group", "answered", "median", "90th pct", "within 1 h", "within 24 h"]
    w.table("Time to first answer", headers, rows)


def _drivers(w: _Writer, groups: Sequence[Mapping[str, Any]]) -> None:
    rows, bands = [], []
    band_names: list[str] = []
    for g in groups:
        if g["suppressed"]:
            rows.append([w.label(g), *w.hidden(6)])
            continue
        by_resolved = {cell["key"]: cell for cell in g["by_resolved"]}
        corr = g["correlation"]
        r = SUPPRESSED if corr["suppressed"] else numbers.correlation(corr["figures"]["r"])
        w.suppressed |= bool(corr["suppressed"])
        rows.append(
            [
                w.label(g),
                f"{g['satisfaction']} {g['scale'][0]}-{g['scale'][1]}",
                str(g["n"]),
                numbers.mean(g["mean"]),
                *(
                    _mean_n(by_resolved[k]) if k in by_resolved else numbers.NONE
                    for k in ("yes", "no")
                ),
                r,
            ]
        )
        band_names = [cell["key"] for cell in g["by_band"]]
        bands.append([w.label(g), *(_mean_n(cell) for cell in g["by_band"])])
        w.suppressed |= any(c["suppressed"] for c in (*g["by_band"], *g["by_resolved"]))
    group = w.group_by or "group"
    headers = [group, "satisfaction", "n", "mean", "resolved: yes", "resolved: no", "r (wait)"]
    w.table("What drives satisfaction: mean (answers)", headers, rows, left=(0, 1))
    if band_names:
        w.table("Satisfaction by wait: mean (answers)", [group, *band_names], bands)


def _cost(w: _Writer, groups: Sequence[Mapping[str, Any]]) -> None:
    rows = []
    for g in groups:
        if g["suppressed"]:
            rows.append([w.label(g), *w.hidden(7)])
            continue
        rows.append(
            [
                w.label(g),
                str(g["n"]),
                str(g["completed"]),
                str(g["sms_sent"]),
                str(g["segments"]),
                str(g["unpriced_sms"]),
                numbers.money(g["price"]),
                numbers.money(g["cost_per_completed"]),
            ]
        )
    headers = [w.group_by or "group", "surveys", "completed", "SMS", "segments", "no price"]
    w.table("Cost", [*headers, "price", "per completed"], rows)


def _crosstab(w: _Writer, groups: Sequence[Mapping[str, Any]]) -> None:
    rows: list[Row] = []
    title = "Cross-tab"
    for g in groups:
        if g["suppressed"]:
            rows.append([w.label(g), SUPPRESSED, *w.hidden(5)])
            continue
        title = f"Cross-tab: {g['question']} by {g['by']}"
        for cell in g["cells"]:
            value = "(no answer)" if cell["key"] is None else str(cell["key"])
            rows.append(_question_row(w, w.label(g), {**cell, "key": value, "kind": g["kind"]}))
        overall = {"key": "total", "n": g["n"], "suppressed": False, "kind": g["kind"]}
        rows.append(_question_row(w, w.label(g), {**overall, "figures": g["overall"]}))
    headers = [w.group_by or "group", "by", "n", "mean", "median", "score", "distribution"]
    w.table(title, headers, rows, left=(0, 1, 5, 6))


def _avoidable(w: _Writer, groups: Sequence[Mapping[str, Any]]) -> None:
    rows: list[Row] = []
    periods: list[Row] = []
    for g in groups:
        if g["suppressed"]:
            rows.append([w.label(g), *w.hidden(4)])
            continue
        reasons = ", ".join(f"{r['reason']} {numbers.pct(r['share_pct'])}" for r in g["reasons"])
        share = numbers.pct(g["avoidable_pct"])
        rows.append([w.label(g), str(g["contacts"]), str(g["avoidable"]), share, reasons])
        periods += [_period_row(w, w.label(g), cell) for cell in g["over_time"]]
    group = w.group_by or "group"
    headers = [group, "contacts", "avoidable", "share", "reasons (share of contacts)"]
    w.table("Avoidable demand", headers, rows, left=(0, 4))
    if periods:
        headers = [group, "period", "contacts", "avoidable", "share"]
        w.table("Avoidable demand over time", headers, periods, left=(0, 1))


def _period_row(w: _Writer, label: str, cell: Mapping[str, Any]) -> Row:
    if cell["suppressed"]:
        return [label, cell["key"], *w.hidden(3)]
    figures = cell["figures"]
    share = numbers.pct(figures["avoidable_pct"])
    return [label, cell["key"], str(cell["n"]), str(figures["avoidable"]), share]


def _journeys(w: _Writer, groups: Sequence[Mapping[str, Any]]) -> None:
    """Per journey type: its steps in order, each with its units under it, then the falls."""
    for g in groups:
        if g["suppressed"]:
            w.table(f"Journey: {g['key']}", ["journeys"], [[w.hidden(1)[0]]])
            continue
        rows: list[Row] = []
        for step in g["steps"]:
            rows.append(_journey_row(w, f"{step['position']}. {step['key']}", "all", step))
            if not step["suppressed"]:
                rows += [
                    _journey_row(w, "", str(u["key"] or "(none)"), u)
                    for u in step["figures"]["units"]
                ]
        headers = [
            "step",
            "unit",
            "surveys",
            "response",
            "reached",
            "satisfaction",
            "score 0-100",
            "change (pts)",
        ]
        w.table(f"Journey: {g['title']} ({g['journeys']} journeys)", headers, rows, left=(0, 1))
        if g["falls"]:
            falls = [
                f"  {f['measure']} {numbers.signed(f['points'])} pts: {f['from']} -> {f['to']}"
                for f in g["falls"]
            ]
            w.parts.append("\n".join(["Falls between steps (largest first):", *falls]))


def _journey_row(w: _Writer, step: str, unit: str, cell: Mapping[str, Any]) -> Row:
    if cell["suppressed"]:
        return [step, unit, *w.hidden(6)]
    figures = cell["figures"]
    score = figures["satisfaction"]
    if score["suppressed"]:
        w.suppressed |= score["key"] is not None
        mean = SUPPRESSED if score["key"] is not None else numbers.NONE
        pct = mean
    else:
        mean = f"{score['key']} {numbers.mean(score['figures']['mean'])} ({score['n']})"
        pct = numbers.mean(score["figures"]["score_pct"]).removesuffix("0")
    reached = numbers.pct(figures["reached_pct"]) if "reached_pct" in figures else ""
    change = figures.get("change") or {}
    moved = [
        f"{what} {numbers.signed(change[name])}"
        for what, name in (("resp.", "response_rate_pts"), ("score", "score_pts"))
        if change.get(name) is not None
    ]
    return [
        step,
        unit,
        str(figures["surveys"]),
        numbers.pct(figures["response_rate_pct"]),
        reached,
        mean,
        pct,
        ", ".join(moved),
    ]


_CASES = (
    ("opened", "opened", numbers.whole),
    ("closed", "closed", numbers.whole),
    ("in time", "closed_in_time_pct", numbers.pct),
    ("contacted", "contacted", numbers.whole),
    ("h to contact", "first_contact_hours_median", lambda v: "-" if v is None else f"{v:.1f}"),
    ("resolved", "outcome_reached_resolved", numbers.whole),
    ("not resolved", "outcome_reached_not_resolved", numbers.whole),
    ("not reached", "outcome_not_reached", numbers.whole),
    ("no action", "outcome_no_action_needed", numbers.whole),
)


def _cases(w: _Writer, groups: Sequence[Mapping[str, Any]]) -> None:
    rows = []
    for g in groups:
        cells = (
            w.hidden(len(_CASES))
            if g["suppressed"]
            else [fmt(g.get(name)) for _, name, fmt in _CASES]
        )
        rows.append([w.label(g), *cells])
    headers = ["unit", *(title for title, _, _ in _CASES)]
    w.table("Follow-up cases: per unit, closed within the due time, first contact", headers, rows)


_SECTIONS: dict[str, Callable[[_Writer, Sequence[Mapping[str, Any]]], None]] = {
    "funnel": _funnel,
    "questions": _questions,
    "timing": _timing,
    "drivers": _drivers,
    "cost": _cost,
    "avoidable": _avoidable,
    "cases": _cases,
    "crosstab": _crosstab,
    "journeys": _journeys,
}


def _scope_line(report: Report) -> str:
    f = report.get("filter", {})
    shown = [
        f"{name}={value}"
        for name, value in f.items()
        if value not in (None, {}, False) and name != "attributes"
    ]
    shown += [f"{name}={value}" for name, value in f.get("attributes", {}).items()]
    return "Report" + (": " + ", ".join(shown) if shown else ": everything")


def render_table(report: Report) -> str:
    """Every section of the report as titled fixed-width tables, one row per group."""
    w = _Writer(report.get("filter", {}).get("group_by"))
    for name, groups in report["sections"].items():
        _SECTIONS[name](w, groups)
    text = "\n\n".join([_scope_line(report), *w.parts])
    if w.suppressed:
        k = report["min_group"]
        text += (
            f"\n\n{SUPPRESSED} fewer than {k} answers (or surveys) in the group or cell: "
            "hidden so that no one can be identified."
        )
    return text + "\n"


# --- JSON and CSV ----------------------------------------------------------------------------


def render_json(report: Report) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2) + "\n"


def _flat(prefix: str, value: object) -> Iterator[tuple[str, object]]:
    if isinstance(value, Mapping):
        if "key" in value and "figures" in value:  # a cell: its fields and its figures
            cell = {k: v for k, v in value.items() if k not in ("key", "figures")}
            yield from _flat(prefix, {**cell, **value["figures"]})
            return
        for name, item in value.items():
            yield from _flat(f"{prefix}.{name}" if prefix else str(name), item)
    elif isinstance(value, list) and all(isinstance(v, Mapping) and "key" in v for v in value):
        for item in value:  # a cell keyed None (a cross-tab's "no answer") is "none"
            yield from _flat(f"{prefix}.{_text(item['key']) or 'none'}", item)
    elif isinstance(value, list):
        yield prefix, " ".join(_text(v) for v in value)
    else:
        yield prefix, value


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _csv_value(value: object) -> object:
    """A figure as its CSV cell: numbers stay numbers (-25.0 is ours, not a formula)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return _text(value)


def render_csv(report: Report) -> str:
    """One row per group and figure: section, group, figure, value (nested figures dotted).
    Text cells that a spreadsheet would run as a formula are quoted (`smsbot.results.csvsafe`)."""
    out = io.StringIO()
    writer = csvsafe.writer(out)  # rows end in CRLF (RFC 4180), so a CR in a cell is quoted
    writer.writerow(["section", "group", "figure", "value"])
    for name, groups in report["sections"].items():
        for group in groups:
            key = _text(group.get("key"))
            figures = {k: v for k, v in group.items() if k != "key"}
            for figure, value in _flat("", figures):
                writer.writerow([name, key, figure, _csv_value(value)])
    return out.getvalue()
