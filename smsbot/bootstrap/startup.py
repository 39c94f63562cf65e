"""What `smsbot serve` checks and takes before it starts, each problem one line.

Every check raises `StartupError` with one line that names what is wrong and the setting to
change ("port 8080 is in use (set SMSBOT_SERVER__PORT)"). They run before the database is
opened, so a refused start leaves nothing open behind it.
"""

from __future__ import annotations

import errno
import os
import socket
import ssl
from collections.abc import Mapping
from pathlib import Path

from smsbot.config import Config, StartupError, env_name
from smsbot.gateway.mappings import load_mapping
from smsbot.storage.sqlite.db import prepare_database_file
from smsbot.storage.sqlite.lock import DatabaseInUse, DatabaseLock, lock_database

__all__ = ["check_settings", "hold_database", "listen"]

CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")  # what the sender reads
_BACKLOG = 128
_CREDENTIALS = {
    "vonage-sms": ("SMS API", ("api_key", "api_secret")),
    "vonage-messages": ("Messages API", ("application_id", "private_key")),
}


def check_settings(config: Config, environ: Mapping[str, str]) -> None:
    """What the configuration names must exist and be usable: the transport's credentials,
    the private key, and a CA bundle named in the environment."""
    _check_mappings(config)
    kind = config.transport.kind
    if kind == "simulator":
        return
    _check_credentials(config)
    if kind == "vonage-messages":
        _check_private_key(str(config.vonage.private_key))
    for name in CA_BUNDLE_VARIABLES:
        if environ.get(name):
            _check_ca_bundle(name, Path(environ[name]))
    _check_webhook_signatures(config)


def _check_mappings(config: Config) -> None:
    """Each source's mapping file loads, and one that checks a signature has its secret."""
    for name, source in sorted(config.sources.items()):
        if not source.mapping:
            continue
        mapping, findings = load_mapping(Path(source.mapping))
        if mapping is None:
            problems = "\n  ".join(str(f) for f in findings)
            raise StartupError(f"[sources.{name}] mapping has problems:\n  {problems}")
        if mapping.signature and not source.signing_secret:
            variable = env_name("sources", name, "signing_secret")
            raise StartupError(
                f"[sources.{name}]: its mapping checks the {mapping.platform} signature: "
                f"set {variable} to the webhook's signing secret"
            )


def _check_credentials(config: Config) -> None:
    api, keys = _CREDENTIALS[config.transport.kind]
    missing = [env_name("vonage", key) for key in keys if not getattr(config.vonage, key)]
    if missing:
        raise StartupError(f"the Vonage {api} needs {' and '.join(missing)}: set them")


def _check_webhook_signatures(config: Config) -> None:
    if config.vonage.signature_secret or config.vonage.allow_unsigned_webhooks:
        return
    secret = env_name("vonage", "signature_secret")
    allow = env_name("vonage", "allow_unsigned_webhooks")
    raise StartupError(
        f"transport {config.transport.kind} would accept unsigned webhooks, so anyone could post "
        f"a forged STOP or forged answers: set {secret} (Vonage dashboard, API settings), or "
        f"set {allow}=true to accept them knowingly"
    )


def _check_private_key(key: str) -> None:
    from smsbot.providers.vonage.messages_api import pkcs8_pem

    try:
        pkcs8_pem(key)
    except ValueError as error:
        raise StartupError(f"{env_name('vonage', 'private_key')}: {error}") from None


def _check_ca_bundle(variable: str, path: Path) -> None:
    if not path.exists():
        message = f"{variable} names {path}, which does not exist"
        raise StartupError(f"{message}: set it to a file of CA certificates, or unset it")
    try:
        if path.is_dir():
            ssl.create_default_context(capath=path)
        else:
            ssl.create_default_context(cafile=path)
    except (ssl.SSLError, OSError) as error:
        reason = getattr(error, "reason", None) or error.strerror or error
        message = f"{variable}: {path} is not a PEM file of CA certificates ({reason})"
        raise StartupError(f"{message}: set it to one, or unset it") from None


# --- the port -----------------------------------------------------------------------------------


def listen(host: str, port: int) -> list[socket.socket]:
    """Listening sockets for every address `host` names (as asyncio's create_server makes
    them); taken before anything else is opened, so that a port in use stops the start first."""
    try:
        addresses = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror:
        raise StartupError(_cannot_listen(host, "unknown host", "host")) from None
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(addresses):
            sockets.append(_bound(family, kind, proto, address))
    except OSError as error:
        for sock in sockets:
            sock.close()
        raise StartupError(_listen_problem(error, host, port)) from None
    return sockets


def _bound(family: int, kind: int, proto: int, address: tuple[object, ...]) -> socket.socket:
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
        sock.listen(_BACKLOG)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def _listen_problem(error: OSError, host: str, port: int) -> str:
    port_setting = env_name("server", "port")
    if error.errno == errno.EADDRINUSE:
        return f"port {port} is in use (set {port_setting})"
    if error.errno == errno.EACCES:
        return f"port {port} needs privileges this process lacks (set {port_setting} >= 1024)"
    if error.errno == errno.EADDRNOTAVAIL:
        return _cannot_listen(host, "not an address of this machine", "host")
    why = (error.strerror or str(error)).lower()
    both = f"{env_name('server', 'host')} or {port_setting}"
    return f"cannot listen on {host} port {port}: {why} (set {both})"


def _cannot_listen(host: str, why: str, setting: str) -> str:
    return f"cannot listen on {host}: {why} (set {env_name('server', setting)})"


# --- the database -------------------------------------------------------------------------------


def hold_database(config: Config, port: int) -> DatabaseLock | None:
    """This gateway's exclusive hold on its database file (see smsbot.storage.sqlite.lock); None for
    a database in memory, which no other process can reach."""
    path = Path(config.database.path)
    if str(path) == ":memory:":
        return None
    prepare_database_file(path)
    try:
        return lock_database(path, f"pid {os.getpid()}, listening on port {port}")
    except DatabaseInUse as taken:
        who = taken.holder or "another process"
        raise StartupError(
            f"the database {path} is in use by another gateway ({who}): stop it first, "
            f"or set {env_name('database', 'path')} to use another database"
        ) from None
