"""`smsbot serve`: build the gateway, serve HTTP, stop gracefully on SIGTERM / SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Mapping
from functools import partial
from pathlib import Path

from aiohttp import web
from prometheus_client import Gauge

from smsbot.bootstrap.parts import open_parts
from smsbot.bootstrap.startup import check_settings, hold_database, listen
from smsbot.bootstrap.web import build_app
from smsbot.config import Config
from smsbot.domain import DeliveryReceipt
from smsbot.feedback.taxonomy import Taxonomy, TaxonomyError, load_taxonomy
from smsbot.gateway.pacing import WireGate
from smsbot.gateway.runner import Gateway
from smsbot.logs import get_logger
from smsbot.ports import Clock
from smsbot.providers.base import VonageSettings
from smsbot.providers.factory import build_transport
from smsbot.storage.sqlite import counts

__all__ = ["build_gateway", "serve"]

log = get_logger("smsbot.bootstrap.serve")


def vonage_settings(config: Config) -> VonageSettings:
    v = config.vonage
    return VonageSettings(
        api_key=v.api_key,
        api_secret=v.api_secret,
        from_number=v.from_number,
        signature_method=v.signature_method,
        signature_secret=v.signature_secret,
        application_id=v.application_id,
        private_key=v.private_key,
        rest_host=v.rest_host,
        api_host=v.api_host,
        timeout_seconds=v.timeout_seconds,
    )


async def build_gateway(config: Config, *, clock: Clock | None = None) -> Gateway:
    """The gateway the configuration describes, not started. The transport is built first, so
    that a transport that cannot be built leaves no database open behind it."""
    holder: list[Gateway] = []

    async def receipt_sink(receipt: DeliveryReceipt) -> None:
        await holder[0].inbound.receipt(receipt)

    kind = config.transport.kind
    sending = config.sending
    transport = build_transport(
        kind,
        vonage_settings(config),
        threads=sending.threads,
        receipt_sink=receipt_sink,
        gate=WireGate(sending.rate_per_second, sending.window_margin_ms / 1000),
    )
    try:
        parts = await open_parts(config, clock=clock)
    except BaseException:
        await transport.close()
        raise
    gateway = Gateway(parts, transport, simulated=kind == "simulator", taxonomy=_taxonomy(config))
    holder.append(gateway)
    if counts.ENABLED:
        _expose_counts(gateway)
    return gateway


def _expose_counts(gateway: Gateway) -> None:
    """SMSBOT_BENCH_COUNTS=1: SQL statements and database hand-offs so far, on /metrics."""
    registry = gateway.metrics.registry
    for name, what in (
        ("statements", "SQL statements run"),
        ("transactions", "transactions begun"),
        ("units", "units of work (savepoints)"),
        ("handoffs", "database hand-offs"),
    ):
        gauge = Gauge(f"smsbot_bench_{name}", f"{what} (SMSBOT_BENCH_COUNTS=1)", registry=registry)
        gauge.set_function(partial(_count, name))


def _count(name: str) -> float:
    return float(getattr(counts.COUNTS, name))


def _taxonomy(config: Config) -> Taxonomy | None:
    path = Path(config.flows.dir) / "tags.yaml"
    if not path.exists():
        log.warning("no_tag_taxonomy", path=str(path))
        return None
    try:
        return load_taxonomy(path)
    except TaxonomyError as error:
        log.error("tag_taxonomy_invalid", problems=str(error))
        return None


async def serve(config: Config, environ: Mapping[str, str] | None = None) -> None:
    """Run the gateway until SIGTERM or SIGINT.

    Start-up problems raise StartupError (or DatabaseOpenError), each one line, after closing
    whatever had been opened. The order makes that cheap: the settings are checked, then the
    port is taken, then the database's lock, and only then is the database opened. On the way
    out, listening stops first, requests in flight and sends under way finish, then the
    database is closed and its lock and the port let go.
    """
    check_settings(config, os.environ if environ is None else environ)
    async with contextlib.AsyncExitStack() as opened:
        sockets = listen(config.server.host, config.server.port)
        for sock in sockets:
            opened.callback(sock.close)
        lock = hold_database(config, config.server.port)
        if lock is not None:
            opened.callback(lock.release)
        gateway = await build_gateway(config)
        opened.push_async_callback(gateway.stop)
        app = build_app(gateway)
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=10)
        await runner.setup()
        opened.push_async_callback(runner.cleanup)  # stops listening, lets requests finish
        for sock in sockets:
            await web.SockSite(runner, sock).start()
        await gateway.start()
        _log_started(gateway)
        await _until_stopped()
        log.info("gateway_stopping")
    log.info("gateway_stopped")


async def _until_stopped() -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    await stopping.wait()


def _log_started(gateway: Gateway) -> None:
    config = gateway.config
    log.info(
        "gateway_started",
        url=f"http://{config.server.host}:{config.server.port}",
        transport=config.transport.kind,
        database=str(config.database.path),
        flows=[flow.id for flow in gateway.parts.catalog.flows()],
        sources=sorted(config.source_tokens),
        webhooks=config.webhook_signing,
    )
    if config.webhook_signing == "unsigned_allowed":
        log.warning(
            "webhooks_unsigned_allowed",
            setting="vonage.allow_unsigned_webhooks",
            hint="anyone can post a forged STOP or answers; set SMSBOT_VONAGE__SIGNATURE_SECRET",
        )
    if not config.source_tokens:
        log.warning("no_event_sources", hint="set SMSBOT_TOKEN_DEMO to post events as 'demo'")
