"""The floor for the probe benchmark: the smallest ASGI app giving the same answer."""

from __future__ import annotations

from typing import Any

BODY = b'{"status": "pass"}'
HEADERS = [
    (b"content-type", b"application/health+json"),
    (b"cache-control", b"no-store"),
    (b"content-length", str(len(BODY)).encode()),
]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
