"""The one place where real parts are built from the configuration and wired together."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from smsbot.config import Config, StartupError, env_name, parse_duration
from smsbot.engine.model import LANGUAGES
from smsbot.flows.catalog import FlowCatalog
from smsbot.flows.files import Finding, files_not_loaded, load_flow_dir
from smsbot.gateway.parts import Parts
from smsbot.gateway.surveys import Keywords, ServiceTexts, Surveys
from smsbot.logs import get_logger
from smsbot.ports import Clock, SystemClock, random_id
from smsbot.privacy.pseudonyms import Pseudonymizer, load_or_create_key
from smsbot.storage.sqlite.db import Database, open_database
from smsbot.storage.sqlite.tx import SqliteStore

__all__ = [
    "Parts",
    "database_of",
    "load_catalog",
    "log_findings",
    "open_parts",
    "service_texts",
]

log = get_logger("smsbot.bootstrap.parts")


def load_catalog(flows_dir: Path) -> tuple[FlowCatalog, list[Finding]]:
    flows, findings = load_flow_dir(flows_dir)
    return FlowCatalog(flows.values()), findings


def log_findings(findings: list[Finding]) -> None:
    """A warning about a loaded flow is `flow_warning`; a file left out (any error leaves it
    out) is one `flow_not_loaded` at error level, with every problem of the file."""
    left_out = files_not_loaded(findings)
    for file, found in left_out.items():
        log.error(
            "flow_not_loaded",
            file=file,
            problems=[str(f) for f in found],
            hint=f"fix it (smsbot flows check {file}) and restart",
        )
    for f in findings:
        if f.file not in left_out:
            log.warning("flow_warning", file=f.file, line=f.line, problem=f.message)


def _flows_dir(config: Config) -> Path:
    folder = Path(config.flows.dir)
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        shown = folder.absolute()
        raise StartupError(f"the flows folder {shown} {what} (set {env_name('flows', 'dir')})")
    return folder


def service_texts(config: Config) -> ServiceTexts:
    texts = config.texts

    def per_language(kind: str) -> dict[str, str]:
        return {lang: str(getattr(texts, f"{kind}_{lang}")) for lang in LANGUAGES}

    return ServiceTexts(
        help=per_language("help"), stopped=per_language("stopped"), unknown=per_language("unknown")
    )


def default_language(region: str) -> str:
    return {"FI": "fi", "SE": "sv", "AX": "sv"}.get(region.upper(), "en")


def _reminder_after(config: Config) -> timedelta | None:
    text = config.survey.reminder_after
    return timedelta(seconds=parse_duration(text)) if text else None


async def open_parts(
    config: Config, *, clock: Clock | None = None, catalog: FlowCatalog | None = None
) -> Parts:
    """Open the database, load the flows and build the survey service."""
    findings: list[Finding] = []
    if catalog is None:
        catalog, findings = load_catalog(_flows_dir(config))
        log_findings(findings)
    db = await open_database(config.database.path)
    store = SqliteStore(db)
    key, created = await load_or_create_key(store, config.privacy.pseudonym_key)
    if created:
        log.warning(
            "pseudonym_key_generated",
            hint="set SMSBOT_PRIVACY__PSEUDONYM_KEY in production; a key was kept in the database",
        )
    surveys = Surveys(
        store,
        catalog,
        Pseudonymizer(key),
        clock=clock or SystemClock(),
        new_id=random_id,
        keywords=Keywords(stop=config.survey.stop_words, help=config.survey.help_words),
        texts=service_texts(config),
        answer_unknown=config.survey.answer_unknown,
        default_language=default_language(config.survey.default_region),
        reminder_after=_reminder_after(config),
    )
    return Parts(config, catalog, surveys, findings, store)


def database_of(parts: Parts) -> Database:
    """The SQLite database under the parts' store: for tests and the benchmark, which look
    at the file itself; the service never needs it."""
    assert isinstance(parts.store, SqliteStore), "the store is not the SQLite one"
    return parts.store.db
