"""Log line formats: JSON lines for machines, readable lines for people.

The request id of the current request (a context variable, set by the request
middleware) is added to every line logged while that request runs.
"""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from fastship.tracing import current_ids

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

MASK = "***"
# Secrets that a path, a query string or a message can carry: the token of a
# mailed reset or review link, token-like query values, bearer JWTs and API
# keys. Whatever logs a request (Django's "Bad Request: /review/<token>/",
# a CSRF refusal, the development server's request lines) is masked alike.
_SECRETS = [
    (re.compile(r"(/(?:reset-password|review)/)[^/\s\"'?#]+"), rf"\g<1>{MASK}"),
    (
        re.compile(
            r"([?&;](?:token|key|code|verification_code|password|refresh|access|"
            r"authorization|secret|api_key)=)[^&;\s\"']+",
            re.IGNORECASE,
        ),
        rf"\g<1>{MASK}",
    ),
    (re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), MASK),
    (re.compile(r"fsk_[A-Za-z0-9]{8}\.[A-Za-z0-9]{4,}"), f"fsk_{MASK}"),
    (re.compile(r"whsec_[A-Za-z0-9+/=]{8,}"), f"whsec_{MASK}"),
]


def mask_secrets(text: str) -> str:
    """``text`` with every secret it carries replaced by ``***``."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class SecretMaskingFilter(logging.Filter):
    """Mask secrets in a record's message and exception, on every handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_secrets(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_secrets(record.exc_text)
        return True


# Attributes every LogRecord has; anything else was passed through ``extra=``.
_STANDARD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys() | {"message", "asctime"}
)


class RequestIdFilter(logging.Filter):
    """Put the current request id on every record as ``request_id``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object on one line."""

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id and request_id != "-":
            event["request_id"] = request_id
        ids = current_ids()
        if ids is not None:
            event["trace_id"], event["span_id"] = ids
        for key, value in vars(record).items():
            if (
                key not in _STANDARD_ATTRIBUTES
                and key not in event
                and key != "request_id"
            ):
                event[key] = value
        if record.exc_text:
            event["exception"] = record.exc_text
        elif record.exc_info:
            event["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            event["stack"] = self.formatStack(record.stack_info)
        return json.dumps(event, default=str, separators=(",", ":"))


def logging_config(*, json_lines: bool, level: str) -> dict[str, Any]:
    """Return the ``LOGGING`` dict: everything to stdout, one format for all."""
    formatter: dict[str, Any]
    if json_lines:
        formatter = {"()": "fastship.logs.JsonFormatter"}
    else:
        formatter = {
            "format": (
                "%(asctime)s %(levelname)-7s [%(request_id)s] %(name)s: %(message)s"
            )
        }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "fastship.logs.RequestIdFilter"},
            "secrets": {"()": "fastship.logs.SecretMaskingFilter"},
        },
        "formatters": {"default": formatter, "raw": {"format": "%(message)s"}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "default",
                "filters": ["request_id", "secrets"],
            },
            # Request-log records that could not be shipped: already JSON lines.
            "stdout_raw": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "raw",
                "filters": ["secrets"],
            },
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            "django": {"level": level, "propagate": True},
            # The development server's request lines, through the same filter
            # (Django's own handler for them writes paths as they are).
            "django.server": {
                "level": "INFO",
                "handlers": ["stdout"],
                "propagate": False,
            },
            "rq.worker": {"level": level, "propagate": True},
            "fastship.requestlog.fallback": {
                "level": "INFO",
                "handlers": ["stdout_raw"],
                "propagate": False,
            },
            # Each process's start and release (fastship.version): always shown.
            "fastship.release": {
                "level": "INFO",
                "handlers": ["stdout_raw"],
                "propagate": False,
            },
            # CloudWatch embedded-metric-format lines: the JSON alone, one per line.
            "fastship.metrics": {
                "level": "INFO",
                "handlers": ["stdout_raw"],
                "propagate": False,
            },
        },
    }
