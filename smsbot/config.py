"""The one configuration: defaults, then `config.toml`, then `SMSBOT_*` environment variables.

Every key lives in a frozen dataclass below; the loader walks those dataclasses, so a new key is
one new field. An environment variable `SMSBOT_<SECTION>__<KEY>` overrides any key (strings are
converted to the field's type: booleans `true/false/1/0/yes/no`, lists comma-separated). Fields
whose metadata says `{"secret": True}` may only come from the environment. Each event source
declared in the file as `[sources.<name>]` authenticates with the token in `SMSBOT_TOKEN_<NAME>`.

Field metadata understood by the loader:
    secret: True    only from the environment; in the file it is an error
    min, max        range of a number (inclusive)
    check           a function that validates (and may normalise) the value, raising ValueError
    path            True: a relative path in the file is relative to the file's directory
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import tomllib
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    Any,
    Literal,
    TypeVar,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from smsbot.engine.durations import parse_duration
from smsbot.suggest import did_you_mean as _suggest

__all__ = [
    "Config",
    "ConfigError",
    "DatabaseConfig",
    "FlowsConfig",
    "LogFormat",
    "LogLevel",
    "LoggingConfig",
    "OidcConfig",
    "PrivacyConfig",
    "SendingConfig",
    "ServerConfig",
    "SignatureMethod",
    "SourceConfig",
    "StartupError",
    "SurveyConfig",
    "TextsConfig",
    "TransportConfig",
    "TransportKind",
    "VonageConfig",
    "env_name",
    "find_config_file",
    "load_config",
    "parse_duration",
]

ENV_PREFIX = "SMSBOT_"
TOKEN_PREFIX = "SMSBOT_TOKEN_"
CONFIG_ENV = "SMSBOT_CONFIG"
DEFAULT_FILE = "config.toml"

TransportKind = Literal["simulator", "vonage-sms", "vonage-messages"]
SignatureMethod = Literal["md5", "sha1", "sha256", "sha512", "md5hash"]
LogFormat = Literal["auto", "json", "console"]
LogLevel = Literal["debug", "info", "warning", "error"]

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_D = TypeVar("_D", bound="DataclassInstance")


class ConfigError(ValueError):
    """A wrong configuration; the message names each wrong key (one problem a line)."""

    def __init__(self, *problems: str) -> None:
        self.problems: tuple[str, ...] = problems
        super().__init__("\n".join(problems))


class StartupError(Exception):
    """Something the process needs at start is wrong or missing: the message is one line that
    names it and the setting to change, e.g. "port 8080 is in use (set SMSBOT_SERVER__PORT)"."""


def env_name(*where: str) -> str:
    """The environment variable of a setting: env_name("server", "port") = SMSBOT_SERVER__PORT."""
    return _env_name(where)


# --- durations and the small checks fields refer to -------------------------------------------


def _duration(value: str) -> str:
    if parse_duration(value) <= 0:
        raise ValueError(f"expected a duration longer than zero, got {value!r}")
    return value.strip()


def _optional_duration(value: str) -> str:
    return "" if not value.strip() else _duration(value)


def _region(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z]{2}", value):
        raise ValueError(f"expected a two-letter region code such as 'SE' or 'FI', got {value!r}")
    return value.upper()


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"expected a time zone name such as 'Europe/Stockholm', got {value!r}"
            + _suggest(value, available_timezones())
        ) from None
    return value


def _clock(value: str) -> str:
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        raise ValueError(f"expected a time of day HH:MM such as '21:00', got {value!r}")
    return value


def _positive(value: float) -> float:
    if value <= 0:
        raise ValueError(f"expected a number greater than 0, got {value!r}")
    return value


def _words(value: tuple[str, ...]) -> tuple[str, ...]:
    words = tuple(word.strip() for word in value)
    if not words or not all(words):
        raise ValueError(f"expected a list of one or more non-empty words, got {list(value)!r}")
    return words


def _durations(value: tuple[str, ...]) -> tuple[str, ...]:
    if not value:
        raise ValueError("expected a list of one or more durations such as ['5s', '5m']")
    return tuple(_duration(item) for item in value)


def _unit_addresses(value: tuple[str, ...]) -> tuple[str, ...]:
    for item in value:
        unit, _, address = item.partition("=")
        if not unit.strip() or "@" not in address:
            raise ValueError(f"expected 'unit name=address@example.org', got {item!r}")
    return tuple(item.strip() for item in value)


SECRET: Mapping[str, Any] = types.MappingProxyType({"secret": True})
PATH: Mapping[str, Any] = types.MappingProxyType({"path": True})
DURATION: Mapping[str, Any] = types.MappingProxyType({"check": _duration})


def _secret() -> Any:
    """A secret: only from the environment, None when not set, never in repr()."""
    return field(default=None, metadata=SECRET, repr=False)


# --- the sections ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatabaseConfig:
    path: str = field(default="var/smsbot.db", metadata=PATH)


@dataclass(frozen=True)
class FlowsConfig:
    dir: str = field(default="flows", metadata=PATH)


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = field(default=8080, metadata={"min": 1, "max": 65535})
    max_body_bytes: int = field(default=65536, metadata={"min": 1})
    public_url: str = ""
    admin_token: str | None = _secret()


@dataclass(frozen=True)
class TransportConfig:
    kind: TransportKind = "simulator"


@dataclass(frozen=True)
class VonageConfig:
    api_key: str = ""
    api_secret: str | None = _secret()
    from_number: str = "smsbot"
    signature_method: SignatureMethod = "sha256"
    signature_secret: str | None = _secret()
    # A real transport without a signature secret refuses to start: anyone could post a forged
    # STOP or answers. This lets it start anyway, named in the logs, /readyz and the flows page.
    allow_unsigned_webhooks: bool = False
    application_id: str = ""
    private_key: str | None = _secret()
    rest_host: str = "rest.nexmo.com"
    api_host: str = "api.nexmo.com"
    timeout_seconds: int = field(default=10, metadata={"min": 1, "max": 120})


@dataclass(frozen=True)
class SendingConfig:
    rate_per_second: float = field(default=30.0, metadata={"check": _positive})
    window_margin_ms: int = field(default=15, metadata={"min": 0, "max": 1000})
    max_attempts: int = field(default=5, metadata={"min": 1, "max": 50})
    backoff_seconds: float = field(default=2.0, metadata={"min": 0})
    threads: int = field(default=4, metadata={"min": 1, "max": 10})
    loop_guard_count: int = field(default=3, metadata={"min": 1})
    loop_guard_window: str = field(default="10m", metadata=DURATION)
    uncertain_grace: str = field(default="5m", metadata=DURATION)
    provider_down_after: int = field(default=3, metadata={"min": 1, "max": 1000})
    probe_first: str = field(default="5s", metadata=DURATION)
    probe_max: str = field(default="5m", metadata=DURATION)


@dataclass(frozen=True)
class SurveyConfig:
    default_region: str = field(default="SE", metadata={"check": _region})
    timezone: str = field(default="Europe/Stockholm", metadata={"check": _timezone})
    quiet_start: str = field(default="21:00", metadata={"check": _clock})
    quiet_end: str = field(default="08:00", metadata={"check": _clock})
    max_age: str = field(default="24h", metadata=DURATION)
    fatigue_days: int = field(default=30, metadata={"min": 0, "max": 3650})
    stop_words: tuple[str, ...] = field(
        default=("STOP", "STOPP", "SLUTA", "LOPETA"), metadata={"check": _words}
    )
    help_words: tuple[str, ...] = field(
        default=("HELP", "HJÄLP", "APUA"), metadata={"check": _words}
    )
    answer_unknown: bool = False
    reminder_after: str = field(default="", metadata={"check": _optional_duration})


@dataclass(frozen=True)
class TextsConfig:
    help_sv: str = (
        "Det här är en kostnadsfri enkät från tjänsten du har varit i kontakt med. "
        "Svara STOPP så får du inga fler meddelanden."
    )
    help_fi: str = (
        "Tämä on maksuton kysely palvelulta, jota olet käyttänyt. "
        "Vastaa LOPETA, niin et saa enempää viestejä."
    )
    help_en: str = (
        "This is a free survey from the service you have been in contact with. "
        "Reply STOP to get no more messages."
    )
    stopped_sv: str = "Klart. Du får inga fler meddelanden från det här numret."
    stopped_fi: str = "Selvä. Et saa enää viestejä tästä numerosta."
    stopped_en: str = "Done. You will get no more messages from this number."
    unknown_sv: str = "Det här numret skickar enkäter, och du har ingen pågående enkät just nu."
    unknown_fi: str = "Tästä numerosta lähetetään kyselyjä, eikä sinulla ole nyt avointa kyselyä."
    unknown_en: str = "This number sends surveys, and you have no survey open right now."


@dataclass(frozen=True)
class PrivacyConfig:
    retention: str = field(default="7d", metadata=DURATION)
    pseudonym_key: str | None = _secret()
    min_group_size: int = field(default=5, metadata={"min": 1, "max": 1000})


@dataclass(frozen=True)
class WebhooksConfig:
    """Results out: how deliveries to subscribed systems are POSTed and retried."""

    timeout: str = field(default="10s", metadata=DURATION)
    # the waits after each failed attempt: 8 attempts over 27 h 35 min, then failed
    retry_after: tuple[str, ...] = field(
        default=("5s", "5m", "30m", "2h", "5h", "10h", "10h"), metadata={"check": _durations}
    )


@dataclass(frozen=True)
class EmailConfig:
    """E-mail about new cases to each unit's contact address (no smtp_host: none is sent)."""

    smtp_host: str = ""
    smtp_port: int = field(default=587, metadata={"min": 1, "max": 65535})
    smtp_user: str = ""
    smtp_password: str | None = _secret()
    starttls: bool = True
    sender: str = "smsbot@localhost"
    base_url: str = "http://127.0.0.1:8080"  # where the links in an e-mail point
    digest: Literal["instant", "daily"] = "daily"
    daily_at: str = field(default="07:00", metadata={"check": _clock})  # in [survey] timezone
    units: tuple[str, ...] = field(default=(), metadata={"check": _unit_addresses})

    def addresses(self) -> dict[str, str]:
        """Unit name -> contact address."""
        pairs = (item.partition("=") for item in self.units)
        return {unit.strip(): address.strip() for unit, _, address in pairs}


@dataclass(frozen=True)
class LoggingConfig:
    format: LogFormat = "auto"
    level: LogLevel = "info"


@dataclass(frozen=True)
class SourceConfig:
    """An event source, `[sources.<name>]`; its token is `SMSBOT_TOKEN_<NAME>`."""

    description: str = ""
    # Events a second on average, and at once, before 429 Too Many Requests (each source its own).
    rate_per_second: float = field(default=20.0, metadata={"check": _positive})
    burst: int = field(default=1000, metadata={"min": 1, "max": 100000})
    # A platform's own webhooks (Genesys Cloud, Zendesk, ...) mapped to events by a file; they
    # post to /v1/sources/<name>/events. Empty: the source posts our events to /v1/events.
    mapping: str = field(default="", metadata=PATH)
    # The platform's signing secret, when the mapping checks a signature (`signature: zendesk`):
    # SMSBOT_SOURCES__<NAME>__SIGNING_SECRET.
    signing_secret: str | None = _secret()


def _issuer(value: str) -> str:
    """The provider's issuer: an https address (plain http only on this machine, for tests)."""
    value = value.strip().rstrip("/")
    if not value:
        return ""
    parts = urlsplit(value)
    local = parts.hostname in ("localhost", "127.0.0.1", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        raise ValueError(
            "expected the provider's https address, such as "
            f"'https://login.microsoftonline.com/<tenant id>/v2.0', got {value!r}"
        )
    if parts.query or parts.fragment or not parts.hostname:
        raise ValueError(f"expected an address without ?query or #fragment, got {value!r}")
    return value


def _scopes(value: tuple[str, ...]) -> tuple[str, ...]:
    scopes = _words(value)
    if "openid" not in scopes:
        raise ValueError(f"expected a list that includes 'openid', got {list(value)!r}")
    return scopes


def _group_roles(value: tuple[str, ...]) -> tuple[str, ...]:
    for item in value:
        group, _, role = item.partition("=")
        if not group.strip() or not role.strip():
            raise ValueError(f"{item!r}: write 'group id=role' or 'group id=unit_manager:Unit'")
    return value


@dataclass(frozen=True)
class OidcConfig:
    """Sign-in with OpenID Connect (Microsoft Entra ID or any provider); off while issuer = ""."""

    issuer: str = field(default="", metadata={"check": _issuer})
    client_id: str = ""
    client_secret: str | None = _secret()
    name: str = "your organisation"
    scopes: tuple[str, ...] = field(
        default=("openid", "profile", "email"), metadata={"check": _scopes}
    )
    groups_claim: str = "groups"
    # Roles from the provider's groups: "group id=role" or "group id=unit_manager:Unit", e.g.
    # ["3f1c...=analyst", "9a2b...=unit_manager:Akuten"]. A person whose groups map to none keeps
    # the roles an admin gave her (smsbot users set-roles); one with no account and no mapped
    # group is not let in.
    group_roles: tuple[str, ...] = field(default=(), metadata={"check": _group_roles})

    @property
    def enabled(self) -> bool:
        return bool(self.issuer)


def _oidc_problems(oidc: OidcConfig, where: str) -> list[str]:
    """What is missing for single sign-on, one problem a line (the fields alone are fine)."""
    if oidc.enabled and not oidc.client_id.strip():
        return [
            f"{where}[oidc] client_id: single sign-on needs the client (application) id that "
            'the provider gave smsbot, or set issuer = "" to switch it off'
        ]
    if oidc.client_id.strip() and not oidc.enabled:
        return [
            f"{where}[oidc] issuer: client_id is set but issuer is not; set the provider's "
            "address, or remove client_id"
        ]
    if oidc.enabled and not oidc.name.strip():
        return [f"{where}[oidc] name: the name on the sign-in button may not be empty"]
    return []


def _empty() -> Mapping[str, Any]:
    return types.MappingProxyType({})


@dataclass(frozen=True)
class Config:
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    flows: FlowsConfig = field(default_factory=FlowsConfig)
    server: ServerConfig = field(default_factory=ServerConfig)
    transport: TransportConfig = field(default_factory=TransportConfig)
    vonage: VonageConfig = field(default_factory=VonageConfig)
    sending: SendingConfig = field(default_factory=SendingConfig)
    survey: SurveyConfig = field(default_factory=SurveyConfig)
    texts: TextsConfig = field(default_factory=TextsConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    webhooks: WebhooksConfig = field(default_factory=WebhooksConfig)
    email: EmailConfig = field(default_factory=EmailConfig)
    oidc: OidcConfig = field(default_factory=OidcConfig)
    sources: Mapping[str, SourceConfig] = field(default_factory=_empty)
    source_tokens: Mapping[str, str] = field(default_factory=_empty, repr=False)
    path: Path | None = None

    @property
    def webhook_signing(self) -> str:
        """How provider webhooks are checked: "simulator" (none come), "signed", or
        "unsigned_allowed" (a real transport without a secret, allowed by the operator)."""
        if self.transport.kind == "simulator":
            return "simulator"
        return "signed" if self.vonage.signature_secret else "unsigned_allowed"


def _sections() -> dict[str, type[Any]]:
    hints = get_type_hints(Config)
    return {
        f.name: hints[f.name]
        for f in dataclasses.fields(Config)
        if dataclasses.is_dataclass(hints[f.name])
    }


# --- loading ------------------------------------------------------------------------------------


def load_config(
    path: Path | None = None, environ: Mapping[str, str] | None = None, *, cwd: Path | None = None
) -> Config:
    """Defaults, then the file, then the environment; raises ConfigError naming what is wrong.

    `path` None: `$SMSBOT_CONFIG` if set, else the `config.toml` of `cwd` (default: the working
    directory) or of the nearest of its parents (`find_config_file`), else defaults only.
    """
    env = os.environ if environ is None else environ
    file = _choose_file(path, env, Path.cwd() if cwd is None else cwd)
    table = _read_file(file) if file is not None else {}
    reader = _Reader(file, env)
    config = reader.config(table)
    reader.problems += _oidc_problems(config.oidc, f"{file}: " if file is not None else "")
    if reader.problems:
        raise ConfigError(*reader.problems)
    return config


def find_config_file(start: Path) -> Path | None:
    """`config.toml` in `start` or in the nearest of its parents (as git finds its repository),
    so that a command run anywhere inside the project uses the project's configuration."""
    start = start.absolute()
    for folder in (start, *start.parents):
        candidate = folder / DEFAULT_FILE
        if candidate.is_file():
            return candidate
    return None


def _choose_file(path: Path | str | None, env: Mapping[str, str], cwd: Path) -> Path | None:
    if path is not None:
        path = Path(path)
    elif env.get(CONFIG_ENV):
        path = Path(env[CONFIG_ENV])
    if path is None:
        return find_config_file(cwd)
    if not path.is_file():
        raise ConfigError(f"{path}: configuration file not found")
    return path


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read: {error.strerror or error}") from None


def _env_name(where: Sequence[str]) -> str:
    return ENV_PREFIX + "__".join(where).upper()


def _token_env_name(source: str) -> str:
    return TOKEN_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", source).upper()


_SOURCE_NAME = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")


class _Invalid(Exception):
    """One wrong value; the message says what was expected and what was found."""


class _Reader:
    """Walks the dataclasses, taking each value from the environment, the file or the default."""

    def __init__(self, file: Path | None, environ: Mapping[str, str]) -> None:
        self.file = file
        self.base_dir = file.resolve().parent if file is not None else None
        self.env = {k: v for k, v in environ.items() if k.startswith(ENV_PREFIX) and "__" in k}
        self.environ = environ
        self.known_env: set[str] = set()
        self.problems: list[str] = []

    def config(self, table: Mapping[str, Any]) -> Config:
        sections = _sections()
        self._unknown_sections(table, sections)
        built = {
            name: self.build(cls, self._subtable(table, name, ()), (name,))
            for name, cls in sections.items()
        }
        sources = self._sources(table.get("sources", {}))
        self._unknown_env()
        return Config(
            **built,
            sources=types.MappingProxyType(sources),
            source_tokens=types.MappingProxyType(self._tokens(sources)),
            path=self.file.resolve() if self.file is not None else None,
        )

    def build(self, cls: type[_D], table: Mapping[str, Any], where: tuple[str, ...]) -> _D:
        fields = dataclasses.fields(cls)
        hints = get_type_hints(cls)
        names = [f.name for f in fields]
        for key in (key for key in table if key not in names):
            hint = _suggest(key, names)
            self.problems.append(f"{self._file_label(where, key)}: unknown key{hint}")
        values = {f.name: self._value(f, hints[f.name], table, where) for f in fields}
        return cls(**values)

    def _value(
        self, f: dataclasses.Field[Any], hint: Any, table: Mapping[str, Any], where: tuple[str, ...]
    ) -> Any:
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            return self.build(hint, self._subtable(table, f.name, where), (*where, f.name))
        env_name = _env_name((*where, f.name))
        self.known_env.add(env_name)
        label = self._file_label(where, f.name)
        try:
            if f.metadata.get("secret") and f.name in table:
                raise _Invalid(f"a secret may not be written in the file; set {env_name} instead")
            if env_name in self.env:
                label = env_name
                return _convert(_from_env(self.env[env_name], hint), hint, f.metadata)
            if f.name in table:
                return self._resolve(_convert(table[f.name], hint, f.metadata), f.metadata)
            return self._resolve(_default(f), f.metadata)
        except _Invalid as error:
            self.problems.append(f"{label}: {error}")
            return _default(f)

    def _resolve(self, value: Any, metadata: Mapping[str, Any]) -> Any:
        """A relative path from the file (or a default beside a file) is relative to the file."""
        if not metadata.get("path") or self.base_dir is None or value in ("", ":memory:"):
            return value
        return str(self.base_dir / value)

    def _subtable(self, table: Mapping[str, Any], name: str, where: tuple[str, ...]) -> Any:
        sub = table.get(name, {})
        if isinstance(sub, dict):
            return sub
        header = ".".join((*where, name))
        self.problems.append(
            f"{self._file_label(where, name)}: expected a table [{header}], got {sub!r}"
        )
        return {}

    def _unknown_sections(self, table: Mapping[str, Any], sections: Mapping[str, Any]) -> None:
        known = [*sections, "sources"]
        for name in (name for name in table if name not in known):
            what = "section" if isinstance(table[name], dict) else "key outside any section"
            self.problems.append(f"{self.file}: [{name}]: unknown {what}{_suggest(name, known)}")

    def _sources(self, table: object) -> dict[str, SourceConfig]:
        if not isinstance(table, dict):
            self.problems.append(f"{self.file}: sources: expected tables such as [sources.demo]")
            return {}
        sources: dict[str, SourceConfig] = {}
        for name in table:
            if not _SOURCE_NAME.fullmatch(name):
                self.problems.append(
                    f"{self.file}: [sources.{name}]: a source name is lower-case letters and "
                    f"digits, words joined by '-' or '_'"
                )
            sources[name] = self.build(
                SourceConfig, self._subtable(table, name, ("sources",)), ("sources", name)
            )
        return sources

    def _tokens(self, sources: Mapping[str, SourceConfig]) -> dict[str, str]:
        tokens: dict[str, str] = {}
        owners: dict[str, str] = {}
        for name in sorted(sources):
            env_name = _token_env_name(name)
            if env_name in owners:
                self.problems.append(
                    f"{self.file}: [sources.{name}]: its token variable {env_name} is also the "
                    f"one of [sources.{owners[env_name]}]; rename one of them"
                )
            owners[env_name] = name
            token = self.environ.get(env_name, "").strip()
            if token:
                tokens[name] = token
        return tokens

    def _unknown_env(self) -> None:
        for name in sorted(self.env.keys() - self.known_env):
            hint = _suggest(name, sorted(self.known_env))
            self.problems.append(f"{name}: unknown configuration variable{hint}")

    def _file_label(self, where: tuple[str, ...], key: str) -> str:
        section = f"[{'.'.join(where)}] " if where else ""
        return f"{self.file}: {section}{key}"


def _default(f: dataclasses.Field[Any]) -> Any:
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return f.default


# --- converting and checking one value ----------------------------------------------------------

_BOOLS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def _kind(hint: Any) -> str:
    origin = get_origin(hint)
    if origin is Literal:
        return "choice"
    if origin is tuple:
        return "list"
    if origin in (Union, types.UnionType):
        if set(get_args(hint)) != {str, type(None)}:
            raise TypeError(f"unsupported configuration type {hint!r}; use str | None")
        return "optional"
    return str(hint.__name__)


def _from_env(text: str, hint: Any) -> Any:
    """An environment string as the value a TOML file would give for the field."""
    kind = _kind(hint)
    parse = _ENV_PARSERS.get(kind)
    return text if parse is None else parse(text)


def _env_int(text: str) -> Any:
    return int(text) if re.fullmatch(r"\s*[-+]?\d+\s*", text) else text


def _env_float(text: str) -> Any:
    try:
        return float(text)
    except ValueError:
        return text


_ENV_PARSERS: dict[str, Callable[[str], Any]] = {
    "bool": lambda text: _BOOLS.get(text.strip().lower(), text),
    "int": _env_int,
    "float": _env_float,
    "list": lambda text: [item.strip() for item in text.split(",") if item.strip()],
    "optional": lambda text: text or None,
    "choice": str.strip,
}


def _convert(value: Any, hint: Any, metadata: Mapping[str, Any]) -> Any:
    """The value as the field's type, range-checked and checked by metadata["check"]."""
    kind = _kind(hint)
    expected = _expected(kind, hint, metadata)
    converted = _CONVERTERS[kind](value)
    if kind == "choice" and value not in get_args(hint):
        converted = _WRONG
    if converted is _WRONG or not _in_range(converted, metadata):
        extra = (
            _suggest(value, get_args(hint)) if kind == "choice" and isinstance(value, str) else ""
        )
        raise _Invalid(f"expected {expected}, got {value!r}{extra}")
    check: Callable[[Any], Any] | None = metadata.get("check")
    if check is None or converted is None:
        return converted
    try:
        return check(converted)
    except ValueError as error:
        raise _Invalid(str(error)) from None


_WRONG = object()


def _to_int(value: Any) -> Any:
    return value if isinstance(value, int) and not isinstance(value, bool) else _WRONG


def _to_float(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return _WRONG


def _to_list(value: Any) -> Any:
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return tuple(value)
    return _WRONG


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "bool": lambda value: value if isinstance(value, bool) else _WRONG,
    "int": _to_int,
    "float": _to_float,
    "str": lambda value: value if isinstance(value, str) else _WRONG,
    "optional": lambda value: value if value is None or isinstance(value, str) else _WRONG,
    "list": _to_list,
    "choice": lambda value: value,  # checked against the Literal's choices in _convert
}


def _in_range(value: Any, metadata: Mapping[str, Any]) -> bool:
    low, high = metadata.get("min"), metadata.get("max")
    return (low is None or value >= low) and (high is None or value <= high)


def _expected(kind: str, hint: Any, metadata: Mapping[str, Any]) -> str:
    if kind == "choice":
        return "one of " + ", ".join(repr(choice) for choice in get_args(hint))
    noun = {
        "bool": "true or false",
        "int": "a whole number",
        "float": "a number",
        "list": "a list of strings",
    }.get(kind, "a string")
    low, high = metadata.get("min"), metadata.get("max")
    if low is not None and high is not None:
        return f"{noun} from {low} to {high}"
    if low is not None:
        return f"{noun} of at least {low}"
    return f"{noun} of at most {high}" if high is not None else noun
