"""Structured logging: JSON lines (or a console view), phone numbers masked, no message bodies.

Every event is one JSON object a line with `event`, `level`, `timestamp` (ISO 8601, UTC) and its
key-value pairs, plus the context bound with `structlog.contextvars` (request_id,
conversation_id, flow, phone, ...). Phone numbers are masked wherever they appear (values of keys
named phone, msisdn, to, from, and anything that looks like an E.164 number), and message bodies
(keys named text, body) are dropped unless the configured level is debug.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable, Mapping
from typing import TextIO

import structlog
from structlog.typing import EventDict, FilteringBoundLogger, Processor, WrappedLogger

__all__ = ["configure_logging", "drop_bodies", "get_logger", "mask_phone", "mask_phones"]

PHONE_KEYS = frozenset({"phone", "msisdn", "to", "from"})
BODY_KEYS = frozenset({"text", "body"})
FORMATS = ("auto", "json", "console")
LEVELS: Mapping[str, int] = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}

_E164 = re.compile(r"\+[1-9]\d{6,14}(?!\d)")
_KEEP_START = 6
_KEEP_END = 2


def mask_phone(number: str) -> str:
    """Keep the first 6 characters and the last 2: "+358401234567" -> "+35840*****67".

    A number too short to hide anything that way (8 characters or fewer) is all `*` after `+`.
    """
    if len(number) <= _KEEP_START + _KEEP_END:
        plus = "+" if number.startswith("+") else ""
        return plus + "*" * (len(number) - len(plus))
    hidden = len(number) - _KEEP_START - _KEEP_END
    return number[:_KEEP_START] + "*" * hidden + number[-_KEEP_END:]


def _mask_text(text: str) -> str:
    return _E164.sub(lambda match: mask_phone(match[0]), text)


def _mask_value(key: object, value: object) -> object:
    if isinstance(key, str) and key.lower() in PHONE_KEYS:
        if isinstance(value, int) and not isinstance(value, bool):
            return mask_phone(str(value))
        if isinstance(value, str) and any(char.isdigit() for char in value):
            return mask_phone(value)
    return _walk(value, _mask_value, _mask_text)


def _walk(
    value: object, on_item: Callable[[object, object], object], on_text: Callable[[str], str]
) -> object:
    """Apply on_item to the items of mappings and sequences (at any depth), on_text to strings."""
    if isinstance(value, str):
        return on_text(value)
    if isinstance(value, Mapping):
        return {key: on_item(key, item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [on_item(None, item) for item in value]  # a JSON array either way
    return value


def mask_phones(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """Processor: mask phone numbers in every value, however deeply nested."""
    for key, value in event_dict.items():
        event_dict[key] = _mask_value(key, value)
    return event_dict


def _without_bodies(value: object) -> object:
    if isinstance(value, Mapping):
        return {
            key: _without_bodies(item)
            for key, item in value.items()
            if not (isinstance(key, str) and key.lower() in BODY_KEYS)
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_without_bodies(item) for item in value]
    return value


def drop_bodies(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """Processor: remove message bodies (keys text, body, at any depth)."""
    for key in [key for key in event_dict if key.lower() in BODY_KEYS]:
        del event_dict[key]
    for key, value in event_dict.items():
        event_dict[key] = _without_bodies(value)
    return event_dict


class _NamedWriteLogger(structlog.WriteLogger):
    """A WriteLogger that knows the name it was asked for (see add_logger_name)."""

    def __init__(self, file: TextIO | None = None, name: str | None = None) -> None:
        super().__init__(file)
        self.name = name


class _NamedWriteLoggerFactory:
    """Like structlog.WriteLoggerFactory, keeping get_logger(name)'s name; one logger a name."""

    def __init__(self, file: TextIO) -> None:
        self._file = file
        self._loggers: dict[str | None, _NamedWriteLogger] = {}

    def __call__(self, *args: object) -> _NamedWriteLogger:
        name = str(args[0]) if args else None
        logger = self._loggers.get(name)
        if logger is None:
            logger = self._loggers[name] = _NamedWriteLogger(self._file, name)
        return logger


def add_logger_name(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """Processor: the name given to get_logger() as the key `logger`."""
    name = getattr(logger, "name", None)
    if name is not None:
        event_dict.setdefault("logger", name)
    return event_dict


def _level_number(level: str) -> int:
    try:
        return LEVELS[level.lower()]
    except KeyError:
        raise ValueError(
            f"unknown log level {level!r}; expected one of {', '.join(LEVELS)}"
        ) from None


def _renderer(format: str, stream: TextIO) -> Processor:
    if format not in FORMATS:
        raise ValueError(f"unknown log format {format!r}; expected one of {', '.join(FORMATS)}")
    tty = _is_tty(stream)
    if format == "console" or (format == "auto" and tty):
        # Tracebacks are already text (formatted before masking), so plain is all that is left.
        return structlog.dev.ConsoleRenderer(
            colors=tty, exception_formatter=structlog.dev.plain_traceback
        )
    return structlog.processors.JSONRenderer(ensure_ascii=False)


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed or not a real file
        return False


def configure_logging(
    format: str = "auto", level: str = "info", stream: TextIO | None = None
) -> None:
    """Configure structlog for the whole process (call again to change it).

    format: "json" (one object a line), "console" (for people), or "auto" (console when `stream`
    is a terminal, else JSON). level: debug, info, warning or error; bodies only at debug.
    `stream` defaults to standard error.
    """
    out = sys.stderr if stream is None else stream
    threshold = _level_number(level)
    processors: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,  # tracebacks as text, so masking reaches them
        mask_phones,
    ]
    if threshold > logging.DEBUG:
        processors.append(drop_bodies)
    structlog.configure(
        processors=[*processors, _renderer(format, out)],
        wrapper_class=structlog.make_filtering_bound_logger(threshold),
        context_class=dict,
        logger_factory=_NamedWriteLoggerFactory(out),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str | None = None) -> FilteringBoundLogger:
    """A logger; once configured, `name` (e.g. "smsbot.http.app") is logged as the key `logger`."""
    logger: FilteringBoundLogger = (
        structlog.get_logger() if name is None else structlog.get_logger(name)
    )
    return logger
