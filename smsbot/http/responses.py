"""The JSON answer every handler of the API gives: UTF-8 as written (no \\u escapes)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

__all__ = ["json_answer"]


def json_answer(data: Any, status: int = 200) -> web.Response:
    """`data` as JSON with `status`; non-ASCII text stays as it is (å, not \\u00e5)."""
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False))
