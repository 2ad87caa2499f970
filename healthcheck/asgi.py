"""An ASGI layer that answers the liveness probe before Django sees the request.

No Django request handling runs for a probe: no middleware, no signals, no
thread hop, no database connection, no host validation, no HTTPS redirect.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastship.draining import is_draining
from healthcheck.probe import DRAINING_ANSWER, PATHS, asgi_probe_answer

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
# Loose on purpose: servers and frameworks disagree on the exact mapping types.
ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]


class ProbeASGIMiddleware:
    """Answer ``/health`` itself; pass everything else to the wrapped application."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in PATHS:
            status, headers, body = asgi_probe_answer(scope["method"])
            if is_draining() and status == 200:
                # Stopping: the load balancer should choose another task.
                status, headers, body = DRAINING_ANSWER
                body = b"" if scope["method"] == "HEAD" else body
            await send(
                {"type": "http.response.start", "status": status, "headers": headers}
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)
