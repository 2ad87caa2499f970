"""Probe a running FastShip over HTTP. Standard library only: it must start fast
inside the container (ECS runs it every interval) and needs no Django."""

from __future__ import annotations

import argparse
import http.client
import os
import sys
from urllib.parse import urlsplit


def default_url() -> str:
    """Return the liveness URL of the server in this container."""
    return f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/health"


def probe(url: str, *, timeout: float) -> tuple[bool, str]:
    """GET ``url``; return whether it answered 200 in time, and what happened."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return False, f"not an http(s) URL: {url!r}"
    connection_class = (
        http.client.HTTPSConnection
        if parts.scheme == "https"
        else http.client.HTTPConnection
    )
    connection = connection_class(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request(
            "GET", parts.path or "/", headers={"User-Agent": "fastship-healthcheck"}
        )
        response = connection.getresponse()
        body = response.read(512)
    except (OSError, http.client.HTTPException) as error:
        return False, f"{url}: {type(error).__name__}: {error}"
    finally:
        connection.close()
    if response.status != 200:
        return False, f"{url}: HTTP {response.status} {body[:200]!r}"
    return True, f"{url}: HTTP 200 {body[:200].decode(errors='replace')}"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: exit 0 when the server answers 200 within the timeout."""
    parser = argparse.ArgumentParser(description="Probe a running FastShip server.")
    parser.add_argument("--url", default=default_url(), help="default: %(default)s")
    parser.add_argument(
        "--timeout", type=float, default=3.0, help="seconds (default 3)"
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing on success")
    options = parser.parse_args(argv)
    healthy, message = probe(options.url, timeout=options.timeout)
    if not healthy or not options.quiet:
        print(message, file=sys.stdout if healthy else sys.stderr)
    return 0 if healthy else 1
