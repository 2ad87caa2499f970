"""ASGI lifespan for Django (which has none): flush buffers when the server stops.

uvicorn (0.29+) re-raises SIGTERM after a graceful shutdown, so the process
then dies by the signal: neither atexit handlers nor gunicorn's worker_exit
hook run. The lifespan shutdown event is the last moment the worker is sure
to run code, so the request-log shipper is flushed there.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

logger = logging.getLogger(__name__)


class LifespanMiddleware:
    """Answer the lifespan protocol; at shutdown, run the sync ``on_shutdown`` calls."""

    def __init__(
        self,
        app: Any,
        *,
        on_shutdown: list[Callable[[], None]],
        on_startup: Sequence[Callable[[], None]] = (),
    ) -> None:
        self.app = app
        self.on_shutdown = on_shutdown
        self.on_startup = list(on_startup)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                for callback in self.on_startup:
                    try:
                        callback()
                    except Exception:
                        logger.exception("startup hook %r failed", callback)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for callback in self.on_shutdown:
                    try:
                        # Off the loop: a flush may block on its own bounded I/O.
                        await asyncio.to_thread(callback)
                    except Exception:
                        logger.exception("shutdown hook %r failed", callback)
                await send({"type": "lifespan.shutdown.complete"})
                return
