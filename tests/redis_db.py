"""A Redis database of its own for each test run and each of its workers.

Two runs on one machine (or two pytest-xdist workers of one run) that shared
a Redis database would count each other's queued jobs and delete each
other's keys. So each worker claims one of the numbered databases from the
one ``REDIS_URL`` names up to 15: the claim is a key in database 0 holding
the claimant's host and pid, taken with ``SET NX``, taken over when that pid
is gone (a run that was killed), and given back at exit. The database is
emptied when claimed, never before.

The servers a test starts inherit the claimed URL through the environment
and the claim's mark (``FASTSHIP_TEST_REDIS``, tagged with the worker), so
they use what the test gives them instead of claiming another.
"""

from __future__ import annotations

import atexit
import os
import socket
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from redis import Redis

LAST_DATABASE = 15  # Redis's default `databases 16`
CLAIM_KEY = "fastship-test:redis-db:{}"
CLAIM_SECONDS = 6 * 3600  # a run longer than this has hung; let others take it
INHERITED = "FASTSHIP_TEST_REDIS"


def _with_database(url: str, database: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def _holder_is_gone(holder: bytes | str | None) -> bool:
    if holder is None:
        return True
    if isinstance(holder, bytes):
        holder = holder.decode()
    host, _, pid = holder.rpartition(":")
    return host == socket.gethostname() and not os.path.exists(f"/proc/{pid}")


def claim(url: str, worker: str) -> str:
    """The URL of a database claimed for this process; ``url`` unchanged in a
    process a test started (it inherits this worker's claim, or the test
    points it at a Redis of the test's own)."""
    if os.environ.get(INHERITED, "").partition(" ")[0] == worker:
        return url

    import redis

    first = int(urlsplit(url).path.strip("/") or 0)
    registry = redis.Redis.from_url(
        _with_database(url, 0), socket_connect_timeout=5, socket_timeout=5
    )
    me = f"{socket.gethostname()}:{os.getpid()}"
    for database in range(max(first, 1), LAST_DATABASE + 1):
        key = CLAIM_KEY.format(database)
        taken = registry.set(key, me, nx=True, ex=CLAIM_SECONDS)
        if not taken and not _take_over(registry, key, me):
            continue
        mine = _with_database(url, database)
        redis.Redis.from_url(mine, socket_timeout=5).flushdb()
        atexit.register(_release, registry, key, me)
        os.environ[INHERITED] = f"{worker} {mine}"
        return mine
    raise RuntimeError(
        f"every Redis database from {first} to {LAST_DATABASE} is claimed by a "
        "running test run; wait for one to end or point REDIS_URL elsewhere"
    )


def _take_over(registry: Redis, key: str, me: str) -> bool:
    """Take ``key`` if its holder's process is gone; False if someone holds it."""
    import redis

    with registry.pipeline() as pipe:
        try:
            pipe.watch(key)
            if not _holder_is_gone(pipe.get(key)):
                return False
            pipe.multi()
            pipe.set(key, me, ex=CLAIM_SECONDS)
            pipe.execute()
        except redis.WatchError:  # another run took it first
            return False
    return True


def _release(registry: Redis, key: str, me: str) -> None:
    try:
        if registry.get(key) == me.encode():
            registry.delete(key)
    except Exception:  # Redis gone at exit: the claim expires or is taken over
        pass
