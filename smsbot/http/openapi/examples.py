"""Request and answer examples: OpenAPI Example Objects ({"summary", "value"}) as JSON files.

They are the bodies `tests/http/test_api_examples.py` posts to a real gateway and the answers it
gets back there, so they stay true: an example that no longer matches fails that test.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["EXAMPLES", "example", "example_names"]

EXAMPLES = Path(__file__).resolve().parent / "examples"


@cache
def example(name: str) -> dict[str, Any]:
    """The Example Object in examples/NAME.json."""
    data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text("utf-8"))
    return data


def example_names() -> list[str]:
    return sorted(path.stem for path in EXAMPLES.glob("*.json"))
