"""Rendering a page: the Jinja2 environment, and what every template gets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from smsbot.gateway.access import person_of
from smsbot.people.rights import Right, may, units_seen
from smsbot.people.routes import rule_for
from smsbot.storage.accounts import Person
from smsbot.webui.longtext import more_label, preview

__all__ = ["LANGUAGE_NAMES", "NAV", "STATIC", "page_language", "render", "second_language"]

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"

# (path, English, Swedish, Finnish)
NAV = (
    ("/ui/flows", "Flows", "Flöden", "Kyselyt"),
    ("/ui/simulator", "Phone simulator", "Telefonsimulator", "Puhelinsimulaattori"),
    ("/ui/dashboard", "Dashboard", "Översikt", "Yleiskatsaus"),
    ("/ui/feedback", "Feedback", "Synpunkter", "Palaute"),
    ("/ui/cases", "Cases", "Ärenden", "Yhteydenotot"),
    ("/ui/audit", "Audit log", "Granskningslogg", "Lokitiedot"),
    ("/ui/tokens", "API tokens", "API-nycklar", "API-avaimet"),
    ("/ui/webhooks", "Webhooks", "Webhooks", "Webhookit"),
)

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=jinja2.select_autoescape(("html", "svg")),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.globals.update(preview=preview, more_label=more_label)  # for the macro in _long_text.html


LANGUAGE_NAMES = {"sv": "Svenska", "fi": "Suomi", "en": "English"}  # every page may use them


def second_language(accept_language: str) -> str:
    """ "fi" or "sv": the labels shown beside the English ones, whichever the browser prefers
    first in Accept-Language (Swedish when it names neither)."""
    return _first_named(accept_language, ("sv", "fi")) or "sv"


def page_language(accept_language: str) -> str:
    """The language a page shows the flows' own words in (titles, question labels, options):
    the first of Swedish, Finnish and English that Accept-Language names, else English, the
    pages' own language. A flow without it falls back to its own first language."""
    return _first_named(accept_language, ("sv", "fi", "en")) or "en"


def _first_named(accept_language: str, offered: tuple[str, ...]) -> str | None:
    """The first of `offered` in Accept-Language's order (its q-values are not weighed)."""
    for item in accept_language.split(","):
        tag = item.split(";")[0].strip().lower()[:2]
        if tag in offered:
            return tag
    return None


async def render(
    request: web.Request, template: str, *, status: int = 200, **context: Any
) -> web.Response:
    """The template filled in, with the CSRF token, the navigation and the current path."""
    from smsbot.webui.auth import csrf_token_of  # auth imports render for its pages

    page = _ENV.get_template(template)
    also = second_language(request.headers.get("Accept-Language", ""))
    person = person_of(request)
    text = page.render(
        csrf_token=csrf_token_of(request),
        nav=[(path, en, sv if also == "sv" else fi) for path, en, sv, fi in _nav(person)],
        nav_lang=also,
        current_path=request.path,
        language_names=LANGUAGE_NAMES,
        signed_in=person is not None,
        who=_who(person),
        **context,
    )
    response = web.Response(text=text, status=status, content_type="text/html", charset="utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response


def _nav(person: Person | None) -> list[tuple[str, str, str, str]]:
    """The pages the person may open, and only those."""
    if person is None:
        return []
    return [item for item in NAV if _may_open(person, item[0])]


def _may_open(person: Person, path: str) -> bool:
    rule = rule_for("GET", path)
    return isinstance(rule, Right) and may(person, rule)


def _who(person: Person | None) -> str:
    """ "Anna Berg · unit manager of Akuten": who is signed in and what she may see."""
    if person is None:
        return ""
    roles = ", ".join(sorted(r.replace("_", " ") for r in person.roles)) or "no role"
    units = units_seen(person, Right.VIEW_RESULTS)
    scope = f" of {', '.join(sorted(units))}" if units else ""
    return f"{person.name} · {roles}{scope}"
