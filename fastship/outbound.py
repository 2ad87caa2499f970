"""HTTP requests to addresses a customer chose, safe against SSRF.

A target must be ``https`` on port 443 and every address its host resolves to
must be public (no loopback, private, link-local, shared or metadata range); the
request then connects to the address that was checked (a DNS answer that
changes in between cannot redirect it), follows no redirect, and waits at most
``timeout`` seconds to connect and for each read, and ``deadline`` seconds in
all: a target that trickles its answer a byte at a time is cut off then (its
socket is shut down from a timer). ``allow_private`` lifts the address and
scheme rules (development and tests).
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

MAX_RESPONSE_BYTES = 64 * 1024
RESOLVE_SECONDS = 3.0


class TargetRefused(Exception):
    """The URL may not be called: its scheme, form or addresses are refused."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    """What an attempt got: a status code, or the error that stopped it."""

    status: int | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


_V6 = ipaddress.ip_network
# IPv6 ranges refused whatever follows: site-local (deprecated, still routed
# inside sites) and local-use NAT64 (RFC 8215, a site's own translator).
_REFUSED_V6 = (_V6("fec0::/10"), _V6("64:ff9b:1::/48"))
# IPv6 ranges that carry an IPv4 address in their last 32 bits: IPv4-compatible
# (::a.b.c.d), IPv4-translated (::ffff:0:a.b.c.d) and well-known NAT64
# (64:ff9b::a.b.c.d, RFC 6052).
_LAST_32_BITS = (_V6("::/96"), _V6("::ffff:0:0:0/96"), _V6("64:ff9b::/96"))


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (mapped, compatible,
    translated, NAT64, 6to4, Teredo's server and client); none for others."""
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if any(ip in network for network in _LAST_32_BITS):
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)
    return []


def is_public(address: str) -> bool:
    """Whether ``address`` is a globally routable unicast address, judged by its
    class after unwrapping every IPv4 address it carries (never by pattern)."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        if any(ip in network for network in _REFUSED_V6):
            return False
        inner = embedded_ipv4(ip)
        if inner:
            return all(is_public(str(v4)) for v4 in inner)
    return ip.is_global and not ip.is_multicast


def check_target(
    url: str, *, allow_private: bool, resolve_within: float = RESOLVE_SECONDS
) -> Target:
    """Resolve ``url`` and refuse it unless it may be called (see the module)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetRefused("The URL is not valid.") from None
    allowed = ("http", "https") if allow_private else ("https",)
    if parts.scheme not in allowed:
        raise TargetRefused("The URL must use https.")
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise TargetRefused("The URL needs a host name and no credentials.")
    port = port or (443 if parts.scheme == "https" else 80)
    if not allow_private and port != 443:
        # The tasks' security group lets out HTTPS on 443 only (docker/).
        raise TargetRefused("The URL must use the https port, 443.")
    addresses = _resolve(parts.hostname, port, min(resolve_within, RESOLVE_SECONDS))
    if not allow_private and not all(is_public(address) for address in addresses):
        # Which address is not said: the answer must not tell a caller
        # what an internal name resolves to.
        raise TargetRefused(
            f"{parts.hostname} resolves to an address that is not public."
        )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname, port, path, addresses)


def _resolve(host: str, port: int, within: float) -> tuple[str, ...]:
    """The host's addresses, within ``within`` seconds (a slow resolver is refused)."""
    found: list[Any] = []

    def lookup() -> None:
        with contextlib.suppress(OSError, UnicodeError):
            found.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))

    thread = threading.Thread(target=lookup, name="outbound-dns", daemon=True)
    thread.start()
    thread.join(within)
    if thread.is_alive() or not found:
        raise TargetRefused(f"{host} does not resolve.")
    return tuple(dict.fromkeys(str(info[4][0]) for info in found))


class _Deadline:
    """Shuts a connection's socket down when ``seconds`` have passed."""

    def __init__(self, connection: http.client.HTTPConnection, seconds: float):
        self.connection = connection
        self.passed = threading.Event()
        self._timer = threading.Timer(max(seconds, 0.0), self._cut)
        self._timer.daemon = True
        self._timer.start()

    def _cut(self) -> None:
        self.passed.set()
        sock = self.connection.sock
        if sock is not None:
            # The plain socket's shutdown, also under TLS: it wakes a read in
            # another thread without touching the TLS object that read uses.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def check(self) -> None:
        if self.passed.is_set():
            raise TimeoutError("the deadline passed")

    def cancel(self) -> None:
        self._timer.cancel()


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to one checked address, with the certificate checked for the host."""

    deadline: _Deadline | None = None

    def __init__(self, target: Target, address: str, timeout: float) -> None:
        super().__init__(
            target.host,
            target.port,
            timeout=timeout,
            context=ssl.create_default_context(),
        )
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # The handshake starts once the deadline can reach the socket.
        self.sock = self._context.wrap_socket(  # type: ignore[attr-defined]
            sock, server_hostname=self.host, do_handshake_on_connect=False
        )
        if self.deadline is not None:
            self.deadline.check()
        self.sock.do_handshake()


class _PinnedHTTP(http.client.HTTPConnection):
    deadline: _Deadline | None = None

    def __init__(self, target: Target, address: str, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        if self.deadline is not None:
            self.deadline.check()


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    deadline: float,
    allow_private: bool,
) -> Outcome:
    """POST ``body`` once; never raises for the target's own failures."""
    started = time.monotonic()
    try:
        target = check_target(url, allow_private=allow_private, resolve_within=deadline)
    except TargetRefused as refused:
        return Outcome(None, f"refused: {refused}"[:200])
    kind = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    connection = kind(target, target.addresses[0], timeout)
    connection.deadline = cut = _Deadline(
        connection, deadline - (time.monotonic() - started)
    )
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        # An answer cut off (its headers or body ended by the shutdown) is no
        # answer: the attempt is retried with the same webhook-id.
        cut.check()
        return Outcome(response.status)
    except (OSError, http.client.HTTPException) as error:
        if cut.passed.is_set():
            return Outcome(None, f"no complete answer within {deadline:g} s")
        return Outcome(None, (type(error).__name__ + f": {error}")[:200])
    finally:
        cut.cancel()
        connection.close()
