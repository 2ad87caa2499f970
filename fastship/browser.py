"""Middleware only browsers need (sessions, the user, messages), skipped for the API.

The API authenticates every request itself (tokens and keys, in DRF) and
never uses a session, a cookie-bound user or flash messages, yet each of
these middlewares cost every API request (a session store, a lazy user and a
message storage made, then inspected on the way out). They are Django's own,
run as they are for pages, the admin and the readiness probe (which shows
its details to a staff session).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest

API_PREFIX = "/api/"
# Under /api/ but read by people: readiness details for a staff session.
SESSION_API_PATHS = ("/api/v1/health",)


def browser_request(request: HttpRequest) -> bool:
    """Whether the request may carry a browser session (not an API call)."""
    path = request.path_info
    return not path.startswith(API_PREFIX) or path.startswith(SESSION_API_PATHS)


class _BrowserOnly:
    get_response: Any

    def __call__(self, request: HttpRequest) -> Any:
        if browser_request(request):
            return super().__call__(request)  # type: ignore[misc]
        return self.get_response(request)


class BrowserSessionMiddleware(_BrowserOnly, SessionMiddleware):
    """Django's session middleware, for pages, the admin and readiness."""


class BrowserAuthenticationMiddleware(_BrowserOnly, AuthenticationMiddleware):
    """Django's ``request.user`` from the session (DRF authenticates the API)."""


class BrowserMessageMiddleware(_BrowserOnly, MessageMiddleware):
    """Django's flash messages (the admin's)."""
