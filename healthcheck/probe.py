"""The liveness answer, owned here once for the ASGI layer and the middleware.

It is precomputed bytes: answering does no I/O, reads no settings, touches no
database, cache or session, and never calls ``request.get_host()``, so a
private-IP ``Host`` header, plain HTTP and a dead Redis all get the same 200.
"""

from __future__ import annotations

import json

from fastship.api.error_format import error_body

PATHS = frozenset({"/health", "/health/"})
METHODS = frozenset({"GET", "HEAD"})

BODY = json.dumps({"status": "pass"}).encode()
CONTENT_TYPE = "application/health+json"
CACHE_CONTROL = "no-store"
ALLOW = "GET, HEAD"

METHOD_NOT_ALLOWED_BODY = error_body(
    "method_not_allowed", "Only GET and HEAD are allowed on the health probe."
)


def is_probe_path(path: str) -> bool:
    """Return whether ``path`` is the liveness probe (with or without the slash)."""
    return path in PATHS


def probe_answer(method: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """Return status, headers and body of the probe's answer to ``method``.

    HEAD gets GET's headers (``Content-Length`` included) and no body.
    """
    if method in METHODS:
        status, body, content_type = 200, BODY, CONTENT_TYPE
    else:
        status, body, content_type = 405, METHOD_NOT_ALLOWED_BODY, "application/json"
    headers = [
        ("content-type", content_type),
        ("cache-control", CACHE_CONTROL),
        ("content-length", str(len(body))),
    ]
    if status == 405:
        headers.append(("allow", ALLOW))
    return status, headers, b"" if method == "HEAD" else body


def _asgi_form(method: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    status, headers, body = probe_answer(method)
    return status, [(name.encode(), value.encode()) for name, value in headers], body


# A stopping server (SIGTERM, draining): 503, and the connection closed.
DRAINING_BODY = json.dumps({"status": "fail", "output": "draining"}).encode()
DRAINING_ANSWER = (
    503,
    [
        (b"content-type", CONTENT_TYPE.encode()),
        (b"cache-control", CACHE_CONTROL.encode()),
        (b"content-length", str(len(DRAINING_BODY)).encode()),
        (b"connection", b"close"),
    ],
    DRAINING_BODY,
)

# The ASGI layer sends these as they are: built once at import.
_ASGI_ANSWERS = {method: _asgi_form(method) for method in METHODS}
_ASGI_NOT_ALLOWED = _asgi_form("POST")


def asgi_probe_answer(method: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Return the precomputed ASGI form of :func:`probe_answer`."""
    return _ASGI_ANSWERS.get(method, _ASGI_NOT_ALLOWED)
