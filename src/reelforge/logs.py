"""Logging: structlog everywhere, with a redaction processor in front of every renderer.

Secrets are removed by key name (authorization, api keys, tokens, passwords, secrets),
inside URLs' query strings, and by value: every stored credential or key the process
learns is registered with ``register_secret`` and masked wherever it appears.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections import deque
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

REDACTED = "[redacted]"

_SENSITIVE_KEY = re.compile(
    r"(authorization|api[_-]?key|apikey|token|password|passwd|secret|credential|"
    r"x-api-key|x-key|cookie|signature|access[_-]?key|private[_-]?key)",
    re.IGNORECASE,
)
_QUERY_SECRET = re.compile(
    r"([?&](?:api[_-]?key|apikey|token|access_token|key|password|secret|signature|sig|"
    r"x-amz-signature|x-amz-credential)=)[^&\s\"']+",
    re.IGNORECASE,
)
_BEARER = re.compile(r"\b(Bearer|Key|Basic|Token)\s+[A-Za-z0-9._~+/=:-]{8,}", re.IGNORECASE)

_secrets: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Mask this exact value in every log line from now on (min. 6 chars to stay useful)."""
    if value and len(value) >= 6:
        with _lock:
            _secrets.add(value)


def redact_text(text: str) -> str:
    text = _QUERY_SECRET.sub(lambda m: m.group(1) + REDACTED, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def redact(value: Any, key: str | None = None) -> Any:
    """Redact a value recursively; a sensitive key hides its whole value."""
    if key is not None and _SENSITIVE_KEY.search(key):
        return REDACTED if value not in (None, "") else value
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact(v) for v in value)
    if isinstance(value, BaseException):
        return redact_text(repr(value))
    return value


def _redaction_processor(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event_dict.keys()):
        if key == "exc_info":
            continue
        event_dict[key] = redact(event_dict[key], key if key != "event" else None)
    return event_dict


def _redact_rendered(_logger: Any, _method: str, rendered: Any) -> Any:
    # Last line of defence: the final rendered line (tracebacks included) is scrubbed too.
    return redact_text(rendered) if isinstance(rendered, str) else rendered


class LogRing(logging.Handler):
    """The last log lines of this process, rendered as JSON and redacted, for the setup
    hub's diagnostics export (GET /v1/setup/diagnostics)."""

    def __init__(self, size: int = 1000) -> None:
        super().__init__()
        self.lines: deque[str] = deque(maxlen=size)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:  # a log line must never break the caller
            self.handleError(record)


_ring = LogRing()


def recent_log_lines(limit: int = 100) -> list[str]:
    """The last ``limit`` lines, redacted again (a secret learned since is masked too)."""
    return [redact_text(line) for line in list(_ring.lines)[-limit:]]


def configure_logging(level: str = "INFO", *, json: bool = False) -> None:
    """Configure structlog and route the standard library's logging through it."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redaction_processor,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json
        # Plain tracebacks: the default rich one prints every frame's locals (values that
        # may hold request data) and took seconds per error, which made a 500 slow too.
        else structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info if json else _identity,
            renderer,
            _redact_rendered,
        ],
    )
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_reelforge", False):
            root.removeHandler(old)
    handler._reelforge = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    _ring.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(),
                _redact_rendered,
            ],
        )
    )
    if _ring not in root.handlers:
        root.addHandler(_ring)
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "botocore", "boto3", "urllib3", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _identity(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> Any:
    return event_dict


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
