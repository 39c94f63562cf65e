"""Durations as flows and the configuration write them: "30s", "15m", "48h", "7d", "1h30m"."""

from __future__ import annotations

import re

__all__ = ["parse_duration"]

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(?:\d+[smhd])+")


def parse_duration(text: str) -> int:
    """Seconds in a duration such as "30s", "15m", "48h", "7d" (or combined: "1h30m")."""
    cleaned = text.strip().lower() if isinstance(text, str) else ""
    if not _DURATION.fullmatch(cleaned):
        raise ValueError(
            f"expected a duration such as '30s', '15m', '48h' or '7d' "
            f"(a whole number and s, m, h or d), got {text!r}"
        )
    return sum(int(n) * _UNIT_SECONDS[u] for n, u in re.findall(r"(\d+)([smhd])", cleaned))
