"""The `smsbot` command: serve, flows check, chat, ..."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import click

from smsbot.cli.common import config_of
from smsbot.config import Config, ConfigError, StartupError, env_name, load_config
from smsbot.flows.files import check_files, load_flow_dir, load_flow_file
from smsbot.flows.journeys import JOURNEYS_FILE, load_journeys
from smsbot.logs import configure_logging, get_logger
from smsbot.storage.ports import DatabaseOpenError

__all__ = ["main"]

log = get_logger("smsbot.cli")
_HELP_ASKED = "smsbot.help_asked"


class _Commands(click.Group):
    """The command group; a start-up problem of any command is its one-line error."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        ctx.meta[_HELP_ASKED] = any(arg in ctx.help_option_names for arg in args)
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except StartupError as problem:
            raise click.ClickException(str(problem)) from None
        except DatabaseOpenError as problem:
            setting = env_name("database", "path")
            raise click.ClickException(f"{problem} (set {setting})") from None


@click.group(cls=_Commands)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Configuration file (default: $SMSBOT_CONFIG, else config.toml in the working "
    "directory or the nearest of its parents).",
)
@click.pass_context
def main(ctx: click.Context, config_path: Path | None) -> None:
    """smsbot: two-way SMS surveys for public services."""
    try:
        config = load_config(config_path)
    except ConfigError as error:
        raise click.ClickException(str(error)) from error
    configure_logging(config.logging.format, config.logging.level, stream=sys.stderr)
    ctx.obj = config
    if not ctx.meta.get(_HELP_ASKED):
        _say_what_is_used(config, ctx.invoked_subcommand or "")
        _check_database_exists(config, ctx.invoked_subcommand or "")


# Commands that read or change what a gateway stored: a missing database is a wrong path (run
# elsewhere, or a wrong setting), never a reason to make a new, empty one.
_NEED_STORED_DATA = ("report", "export", "feedback", "purge", "backup", "tokens", "audit", "db")


def _check_database_exists(config: Config, command: str) -> None:
    path = config.database.path
    if command in _NEED_STORED_DATA and path != ":memory:" and not os.path.isfile(path):
        raise click.ClickException(
            f"there is no database at {os.path.abspath(path)}: run smsbot where the project's "
            f"config.toml is, give --config, or set {env_name('database', 'path')}"
        )


def _say_what_is_used(config: Config, command: str) -> None:
    """One line at the start of every command: the configuration and what it names that this
    command uses (`serve` logs it as the event `gateway_starting`)."""
    database = os.path.abspath(config.database.path)
    if command == "serve":
        config_file = str(config.path) if config.path else None
        log.info("gateway_starting", config=config_file, database=database)
        return
    used = {
        "flows": f"flows {os.path.abspath(config.flows.dir)}",
        "simulate": f"gateway http://{config.server.host}:{config.server.port}",
    }.get(command, f"database {database}")
    if config.path is not None:
        source = f"config {config.path}"
    else:
        source = f"no config file (none in {Path.cwd()} or its parents: defaults)"
    click.echo(f"using {source}, {used}", err=True)


@main.group()
def flows() -> None:
    """Check and list survey flows."""


@flows.command("check")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.pass_context
def flows_check(ctx: click.Context, files: tuple[Path, ...]) -> None:
    """Validate flow files; print `file:line: problem` for each; exit 1 on errors."""
    paths = list(files) or sorted(Path(config_of(ctx).flows.dir).glob("*.y*ml"))
    paths = [p for p in paths if p.name not in ("tags.yaml", "tags.yml")] if not files else paths
    journeys = [p for p in paths if p.name == JOURNEYS_FILE]
    paths = [p for p in paths if p.name != JOURNEYS_FILE]
    findings = check_files(paths)
    for path in journeys:  # checked against the flows beside it
        findings += load_journeys(path, load_flow_dir(path.parent)[0])[1]
    paths += journeys
    for finding in findings:
        click.echo(str(finding))
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = len(findings) - errors
    click.echo(f"{len(paths)} file(s) checked: {errors} error(s), {warnings} warning(s)", err=True)
    sys.exit(1 if errors else 0)


@main.command()
@click.argument("flow", type=click.Path(path_type=Path))
@click.option("--lang", "language", type=click.Choice(["sv", "fi", "en"]), default=None)
@click.option(
    "--event-field",
    "event_fields",
    multiple=True,
    metavar="NAME=VALUE",
    help="A value from the triggering event, e.g. --event-field unit='Kajaani health centre'.",
)
@click.option("--phone", default=None, help="The citizen's number (default: a fictional one).")
@click.pass_context
def chat(
    ctx: click.Context,
    flow: Path,
    language: str | None,
    event_fields: tuple[str, ...],
    phone: str | None,
) -> None:
    """Hold a survey conversation in the terminal; replies are read line by line from stdin."""
    from smsbot.phones import PhoneError, fictional_phone, parse_phone

    config = config_of(ctx)
    loaded, findings = load_flow_file(flow)
    for finding in findings:
        click.echo(str(finding), err=True)
    if loaded is None:
        raise click.ClickException(f"{flow}: the flow has errors; fix them and try again")
    fields = dict(_field(item) for item in event_fields)
    _check_fields(loaded, fields)
    try:
        number = parse_phone(phone, config.survey.default_region) if phone else fictional_phone()
    except PhoneError as error:
        raise click.ClickException(str(error)) from error
    status = asyncio.run(_chat(config, loaded, number, language, fields))
    sys.exit(status)


async def _chat(
    config: Config, flow: object, phone: str, language: str | None, fields: dict[str, str]
) -> int:
    from smsbot.bootstrap.parts import open_parts
    from smsbot.engine.model import Flow
    from smsbot.flows.catalog import FlowCatalog
    from smsbot.gateway.chat import run_chat

    assert isinstance(flow, Flow)
    parts = await open_parts(config, catalog=FlowCatalog([flow]))
    try:
        return await run_chat(
            parts,
            flow,
            phone=phone,
            language=language,
            fields=fields,
            lines=iter(sys.stdin),
            echo=click.echo,
            echo_replies=not sys.stdin.isatty(),
        )
    finally:
        await parts.close()


def _check_fields(flow: object, fields: dict[str, str]) -> None:
    """Before any SMS: every event field the flow's texts use must be given (a trial must not
    send "Hej från !"; the gateway refuses such an event too)."""
    from smsbot.engine.model import Flow
    from smsbot.engine.runtime import fields_used, missing_fields

    assert isinstance(flow, Flow)
    given = {"channel": "sms", **fields}  # a chat's channel is "sms" unless given
    missing = missing_fields(fields_used(flow), given)
    if missing:
        names = ", ".join(f"{{{name}}}" for name in missing)
        options = " ".join(f"--event-field {name}=VALUE" for name in missing)
        them = "it" if len(missing) == 1 else "them"
        raise click.ClickException(
            f"the flow '{flow.id}' uses {names} in its texts: give {them} with {options}"
        )


def _field(item: str) -> tuple[str, str]:
    name, sep, value = item.partition("=")
    if not sep or not name.strip():
        raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--event-field")
    return name.strip(), value


@main.command()
@click.pass_context
def serve(ctx: click.Context) -> None:
    """Run the gateway (HTTP API, webhooks, sender) until SIGTERM or Ctrl-C."""
    from smsbot.bootstrap.serve import serve as run_gateway

    asyncio.run(run_gateway(config_of(ctx)))


@main.group()
def events() -> None:
    """Service events in batches."""


@events.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", default="import", show_default=True, help="Whose events these are.")
@click.pass_context
def events_import(ctx: click.Context, file: Path, source: str) -> None:
    """Import events from FILE.csv or FILE.jsonl (a nightly export), as POST /v1/events would."""
    summary = asyncio.run(_import(config_of(ctx), file, source))
    for line in summary.lines():
        click.echo(line)
    sys.exit(1 if summary.errors else 0)


async def _import(config: Config, file: Path, source: str) -> Any:
    from smsbot.bootstrap.parts import open_parts
    from smsbot.gateway.event_files import EventFileError
    from smsbot.gateway.importer import import_events
    from smsbot.gateway.intake import Intake
    from smsbot.gateway.runner import sending_rules
    from smsbot.metrics import Metrics

    parts = await open_parts(config)
    intake = Intake(
        parts.surveys, sending_rules(config), Metrics(), sender_number=config.vonage.from_number
    )
    with file.open("rb") as lines:
        total = sum(1 for _ in lines)
    try:
        with click.progressbar(
            length=total, label=f"importing {file.name}", file=sys.stderr
        ) as bar:
            return await import_events(
                file,
                intake,
                source=source,
                default_region=config.survey.default_region,
                on_row=lambda: bar.update(1),
            )
    except EventFileError as error:
        raise click.ClickException(str(error)) from error
    finally:
        await parts.close()


def _add_commands() -> None:
    from smsbot.cli.audit import audit
    from smsbot.cli.backup import backup_command
    from smsbot.cli.db import db
    from smsbot.cli.export import export
    from smsbot.cli.feedback import feedback
    from smsbot.cli.purge import purge_command
    from smsbot.cli.report import report
    from smsbot.cli.users import tokens, users
    from smsbot.cli.webhooks import webhooks

    for command in (
        backup_command,
        db,
        feedback,
        export,
        purge_command,
        report,
        users,
        tokens,
        audit,
    ):
        main.add_command(command)
    main.add_command(webhooks)


_add_commands()


@main.group()
def simulate() -> None:
    """Talk to a running gateway's simulator as a citizen would."""


@simulate.command("reply")
@click.argument("phone")
@click.argument("text")
@click.option("--url", default=None, help="The gateway (default: from [server] in the config).")
@click.pass_context
def simulate_reply(ctx: click.Context, phone: str, text: str, url: str | None) -> None:
    """Send TEXT from PHONE to the running gateway, as a real inbound SMS would come."""
    config = config_of(ctx)
    base = url or f"http://{config.server.host}:{config.server.port}"
    status, body = asyncio.run(_post_simulated(base, phone, text))
    click.echo(body)
    sys.exit(0 if status == 200 else 1)


async def _post_simulated(base: str, phone: str, text: str) -> tuple[int, str]:
    import aiohttp

    try:
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{base}/simulator/inbound", json={"from": phone, "text": text}) as response,
        ):
            return response.status, await response.text()
    except aiohttp.ClientError as error:
        raise click.ClickException(f"no gateway at {base}: {error}") from error
