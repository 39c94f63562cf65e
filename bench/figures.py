"""The headline figures, the targets they are read against, and the printed table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Target:
    name: str
    value: str
    goal: str
    met: bool


def headline(results: dict[str, Any]) -> dict[str, Any]:
    load, ceiling, report = results["load"], results["ceiling"], results["report"]
    saturated, paced, outbound = load["saturated"], load["paced"], results["outbound"]
    top, history = ceiling["webhooks_per_s"], results["history"]
    return {
        **_necessary(saturated, results["necessary"], ceiling),
        "history_answers": history["answers"],
        "history_conversations": history["conversations"],
        "history_messages": history["messages"],
        "history_days": history["days"],
        "webhooks_per_s": saturated["webhooks_per_s"],
        "ceiling_per_s": top,
        "ratio_to_ceiling": round(saturated["webhooks_per_s"] / top, 3) if top else 0.0,
        "conversations_per_s": saturated["conversations_per_s"],
        "p50_ms": paced["p50_ms"],
        "p99_ms": paced["p99_ms"],
        "max_ms": paced["max_ms"],
        "paced_offered_per_s": paced["offered_per_s"],
        "paced_sustained_per_s": paced["sustained_webhooks_per_s"],
        "saturated_p50_ms": saturated["p50_ms"],
        "saturated_p99_ms": saturated["p99_ms"],
        "saturated_max_ms": saturated["max_ms"],
        "peak_rss_mb": load["peak_rss_mb"],
        "scale_active_conversations": results["scale"]["active_conversations"],
        "scale_peak_rss_mb": results["scale"]["peak_rss_mb"],
        "db_mb_per_1000_conversations": load["db_mb_per_1000_conversations"],
        "answers_stored": report["answers"],
        "export_csv_s": report["export"]["seconds"],
        "report_s": report["report"]["seconds"],
        "report_kind": report["report"]["kind"],
        "dashboard_s": report["report"].get("dashboard_s"),
        "dashboard_unit_s": report["report"].get("dashboard_unit_s"),
        "send_rate_per_s": outbound["send_rate_per_s"],
        "send_rate_error_pct": outbound["send_rate_error_pct"],
        "throttled": outbound["throttled"],
    }


def _ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b else 0.0


def _necessary(smsbot: dict[str, Any], nw: dict[str, Any], bare: dict[str, Any]) -> dict[str, Any]:
    """smsbot beside the necessary-work app and the bare ceiling: rates, ratios, CPU, counts."""
    return {
        "necessary_webhooks_per_s": nw["webhooks_per_s"],
        "necessary_sms_per_s": nw["sms_per_s"],
        "necessary_receipts_per_s": nw["receipts_per_s"],
        "sms_per_s": smsbot["sms_per_s"],
        "receipts_per_s": smsbot["receipts_per_s"],
        "ratio_to_necessary": _ratio(smsbot["webhooks_per_s"], nw["webhooks_per_s"]),
        "ratio_sms_to_necessary": _ratio(smsbot["sms_per_s"], nw["sms_per_s"]),
        "ratio_receipts_to_necessary": _ratio(smsbot["receipts_per_s"], nw["receipts_per_s"]),
        "cpu_ms_per_webhook": smsbot["cpu_ms_per_webhook"],
        "necessary_cpu_ms_per_webhook": nw["cpu_ms_per_webhook"],
        "ceiling_cpu_ms_per_webhook": bare["cpu_ms_per_webhook"],
        "statements_per_webhook": smsbot.get("statements_per_webhook"),
        "transactions_per_webhook": smsbot.get("transactions_per_webhook"),
        "units_per_webhook": smsbot.get("units_per_webhook"),
        "handoffs_per_webhook": smsbot.get("handoffs_per_webhook"),
    }


def targets(h: dict[str, Any]) -> list[Target]:
    offered, sustained = h["paced_offered_per_s"], h["paced_sustained_per_s"]
    rate = h["send_rate_per_s"]
    hooks, sms = h["ratio_to_necessary"], h["ratio_sms_to_necessary"]
    return [
        Target(
            "webhooks and SMS vs necessary work",
            f"{hooks:.3f} and {sms:.3f}",
            ">= 0.4 both",
            hooks >= 0.4 and sms >= 0.4,
        ),
        Target(
            "receipts vs necessary work",
            f"{h['ratio_receipts_to_necessary']:.3f}",
            ">= 0.4",
            h["ratio_receipts_to_necessary"] >= 0.4,
        ),
        Target(
            f"p99 at {offered:.0f} webhooks/s offered",
            f"{h['p99_ms']:.1f} ms, {sustained:.0f}/s taken",
            f"< 50 ms, >= {0.95 * offered:.0f}/s",
            h["p99_ms"] < 50 and sustained >= 0.95 * offered,
        ),
        Target(
            f"RSS, {h['scale_active_conversations']:,} active",
            f"{h['scale_peak_rss_mb']:.1f} MB",
            "< 150 MB",
            h["scale_peak_rss_mb"] < 150,
        ),
        Target(
            "send rate at a 30/s limit",
            f"{rate:.2f}/s, {h['throttled']} throttled",
            "29.4-30.6/s, 0",
            h["send_rate_error_pct"] <= 2 and h["throttled"] == 0,
        ),
        Target(
            f"report, {h['answers_stored']:,} answers",
            f"{h['report_s']:.2f} s",
            "< 0.5 s",  # issue 17
            h["report_s"] < 0.5,
        ),
        *(
            Target(
                f"dashboard view, {what}",
                _seconds(h[name]),
                "< 0.25 s",  # issue 17
                h[name] is not None and h[name] < 0.25,
            )
            for name, what in (("dashboard_s", "no filter"), ("dashboard_unit_s", "one unit"))
        ),
    ]


def _rows(h: dict[str, Any]) -> list[tuple[str, str, str]]:
    answers = f"{h['answers_stored']:,} answers"
    paced = f"{h['paced_offered_per_s']:.0f}/s offered"
    history = f"{h['history_messages'] / 1e6:.2f} M messages, {h['history_days']} days"
    return [
        ("history under every phase", f"{h['history_answers']:,} answers", history),
        *_comparison(h),
        ("conversations completed", f"{h['conversations_per_s']:.1f}/s", "12 webhooks each"),
        ("latency, full speed", _ms(h, "saturated_"), "64 in flight"),
        (f"latency, {paced}", _ms(h, ""), f"{h['paced_sustained_per_s']:.0f}/s taken"),
        ("peak RSS, load", f"{h['peak_rss_mb']:.1f} MB", "up to that many active"),
        (
            f"peak RSS, {h['scale_active_conversations']:,} active",
            f"{h['scale_peak_rss_mb']:.1f} MB",
            "seeded, plus a load",
        ),
        ("database / 1 000 conversations", f"{h['db_mb_per_1000_conversations']:.2f} MB", "done"),
        (f"CSV export, {answers}", f"{h['export_csv_s']:.1f} s", "smsbot export answers"),
        (f"report, {answers}", f"{h['report_s']:.2f} s", h["report_kind"]),
        (f"dashboard view, {answers}", _seconds(h["dashboard_s"]), "/ui/dashboard, no filter"),
        (f"dashboard view, {answers}", _seconds(h["dashboard_unit_s"]), "one unit (the largest)"),
        ("send rate, limit 30/s", f"{h['send_rate_per_s']:.2f}/s", f"{h['throttled']} throttled"),
    ]


def _comparison(h: dict[str, Any]) -> list[tuple[str, str, str]]:
    """webhooks / SMS sent / receipts a second, and CPU per webhook, for each of the apps."""

    def rates(prefix: str) -> str:
        return "/".join(f"{h[f'{prefix}{k}_per_s']:.0f}" for k in ("webhooks", "sms", "receipts"))

    def cpu(prefix: str) -> str:
        return f"{h[f'{prefix}cpu_ms_per_webhook']:.2f} ms CPU/webhook"

    counts = "-"
    if h["statements_per_webhook"] is not None:
        counts = " / ".join(
            f"{h[f'{k}_per_webhook']:.1f}"
            for k in ("statements", "units", "transactions", "handoffs")
        )
    ratios = (
        f"{h['ratio_to_necessary']:.3f} / {h['ratio_sms_to_necessary']:.3f}"
        f" / {h['ratio_receipts_to_necessary']:.3f}"
    )
    return [
        ("smsbot: webhooks/SMS/receipts /s", rates(""), f"64 in flight; {cpu('')}"),
        ("necessary work: same", rates("necessary_"), f"replayed; {cpu('necessary_')}"),
        ("bare aiohttp: webhooks/s", f"{h['ceiling_per_s']:.0f}", f"replayed; {cpu('ceiling_')}"),
        ("smsbot / necessary work", ratios, "webhooks / SMS / receipts"),
        ("smsbot / bare aiohttp", f"{h['ratio_to_ceiling']:.3f}", "webhooks"),
        ("smsbot: SQL/units/commits/hand-offs", counts, "per webhook answered"),
    ]


def _ms(h: dict[str, Any], prefix: str) -> str:
    p50, p99, top = (h[f"{prefix}{k}_ms"] for k in ("p50", "p99", "max"))
    return f"{p50:.1f} / {p99:.1f} / {top:.0f} ms"


def table(h: dict[str, Any], goals: list[Target]) -> str:
    """Figures (latency as p50 / p99 / max), then each target and whether it is met."""
    widths = (38, 28, 28)
    lines = [_line(("figure", "value", "note"), widths), _line(("-" * w for w in widths), widths)]
    lines += [_line(row, widths) for row in _rows(h)]
    lines += ["", _line(("target", "value", "goal", "met"), widths)]
    lines.append(_line(("-" * w for w in (*widths, 3)), widths))
    lines += [_line((g.name, g.value, g.goal, "yes" if g.met else "NO"), widths) for g in goals]
    return "\n".join(lines)


def _line(cells: Any, widths: tuple[int, ...]) -> str:
    cells = list(cells)
    padded = [f"{cell:<{width}}" for cell, width in zip(cells, widths, strict=False)]
    return "  ".join(padded + cells[len(widths) :]).rstrip()


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"
