"""Build one request-log record from a request and its response, without I/O.

Secrets never enter a record: no bodies, no headers but the user agent, the
values of secret query keys are masked, and so is the token segment of the
pages whose path carries one (a password-reset or review link).
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from django.http import HttpRequest, HttpResponseBase
from django.utils.functional import SimpleLazyObject, empty

SECRET_QUERY_KEYS = frozenset(
    {
        "authorization",
        "cookie",
        "password",
        "token",
        "refresh",
        "access",
        "code",
        "verification_code",
        "key",
    }
)
MASK = "***"
MAX_PATH = 2048
MAX_QUERY = 2048
MAX_USER_AGENT = 256

# Pages whose path segment after the prefix is a bearer secret: a reset or
# review link opened from a mail. The email-verification link carries its
# token in the query (``token``), masked by SECRET_QUERY_KEYS.
_SECRET_PATH = re.compile(r"^(/(?:reset-password|review)/)[^/]+")
_REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def text(value: str) -> str:
    """``value`` storable as text: PostgreSQL refuses NUL, so it becomes U+FFFD
    (a path with one must not cost the batch its other records)."""
    return value.replace("\x00", "\ufffd") if "\x00" in value else value


def request_id_from(incoming: str | None) -> str:
    """Keep a short, safe incoming request id; otherwise make a new one."""
    if incoming and _REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def mask_query_string(query_string: str) -> str:
    """Return the query string with the values of secret keys replaced by ``***``."""
    if not query_string:
        return ""
    pairs = parse_qsl(query_string, keep_blank_values=True)
    masked = [
        (key, MASK if key.lower() in SECRET_QUERY_KEYS else value)
        for key, value in pairs
    ]
    return urlencode(masked, safe="*")[:MAX_QUERY]


def mask_path(path: str) -> str:
    """Return ``path`` with the secret token segment of a mailed link masked."""
    return _SECRET_PATH.sub(rf"\g<1>{MASK}", path, count=1)[:MAX_PATH]


def client_ip(meta: dict[str, Any], *, trusted_proxies: int) -> str | None:
    """Return the client address, trusting ``trusted_proxies`` hops of X-Forwarded-For.

    Each trusted proxy appends the address it received from, so the client is
    the entry ``trusted_proxies`` places left of the socket peer; anything
    further left was written by the client and cannot be trusted.
    """
    peer = meta.get("REMOTE_ADDR") or None
    if trusted_proxies <= 0:
        return valid_ip(peer)
    forwarded = [
        part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")
    ]
    chain = [address for address in forwarded if address] + ([peer] if peer else [])
    if not chain:
        return None
    return valid_ip(chain[max(0, len(chain) - 1 - trusted_proxies)])


def valid_ip(text: str | None) -> str | None:
    """Return ``text`` if it is an IP address (headers hold anything), else None."""
    if not text:
        return None
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def user_of(request: HttpRequest) -> tuple[int | None, str]:
    """Return (user id, role) of an already-authenticated user, never loading one.

    ``request.user`` from the session middleware is lazy: evaluating it here
    would query the session store just to log. DRF sets the real user on the
    request when it authenticates, which is read as it is.
    """
    user = request.__dict__.get("user")
    if user is None:
        return None, ""
    if isinstance(user, SimpleLazyObject):
        wrapped = user._wrapped
        if wrapped is empty:
            return None, ""
        user = wrapped
    if not getattr(user, "is_authenticated", False):
        return None, ""
    return getattr(user, "pk", None), str(getattr(user, "role", "") or "")


def response_size(response: HttpResponseBase) -> int | None:
    """Return the body size in bytes when known without consuming a stream."""
    if getattr(response, "streaming", False):
        length = response.get("Content-Length")
        return int(length) if length and length.isdigit() else None
    content = getattr(response, "content", None)
    return len(content) if content is not None else None


def build_record(
    request: HttpRequest,
    response: HttpResponseBase,
    *,
    request_id: str,
    started_at: float,
    duration_ms: float,
    trusted_proxies: int,
) -> dict[str, Any]:
    """Return the record of one finished request: plain JSON-safe values only."""
    user_id, role = user_of(request)
    return {
        "record_id": uuid.uuid4().hex,
        "request_id": request_id,
        "started_at": datetime.fromtimestamp(started_at, tz=UTC).isoformat(),
        "method": text((request.method or "")[:16]),
        "path": text(mask_path(request.path)),
        "query_string": text(mask_query_string(request.META.get("QUERY_STRING", ""))),
        "status_code": response.status_code,
        "duration_ms": round(duration_ms, 3),
        "user_id": user_id,
        "user_role": role[:16],
        # How the caller authenticated, as the credential labels itself (an
        # API key gives its prefix); never a key or a token.
        "credential": str(getattr(request.__dict__.get("auth"), "log_label", ""))[:32],
        "client_ip": client_ip(request.META, trusted_proxies=trusted_proxies),
        "user_agent": text(request.META.get("HTTP_USER_AGENT", "")[:MAX_USER_AGENT]),
        "response_size": response_size(response),
    }
