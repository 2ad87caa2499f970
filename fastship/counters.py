"""Atomic sliding-window counters for limits, in the ``throttle`` cache.

Every limit (logins, resets, creates, mail to one address) counts with one
atomic increment per attempt, so simultaneous attempts cannot all pass a
check before any of them is counted: each takes a place in the window, and
its place number decides. A refused attempt, or one that does not count
(the right password), gives its place back.

The window slides: the previous fixed window's count weighs in by the share
of it still within the duration, so there is no double burst at an edge.
In Redis a place costs one round trip (INCR, EXPIRE and the previous
window's GET pipelined); in a local-memory cache (development), the cache's
own locked increment.

A counter never takes the service down with it: on a Redis connection or
timeout error the attempt is allowed (``None``), and after a few in a row a
breaker skips Redis for a while, so a hung Redis costs at most a few short
timeouts per process. Any other error is a bug and is raised.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.utils.connection import ConnectionProxy
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from fastship.breaker import CircuitBreaker

logger = logging.getLogger(__name__)
COUNTER_CACHE = "throttle"
OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError)
# The breaker of the one cache client every limit uses.
counter_breaker = CircuitBreaker(threshold=3, reset_seconds=30)
T = TypeVar("T")


@dataclass(frozen=True)
class Place:
    """An attempt's place in a window: ``allowed`` when within the limit."""

    window_key: str
    allowed: bool
    seconds_left: float  # until the window ends: a Retry-After


def fail_open(call: Callable[[], T], *, what: str) -> T | None:
    """Run a counter ``call``; a Redis outage (or an open breaker) gives None."""
    if not counter_breaker.allow():
        return None
    try:
        result = call()
    except OUTAGE_ERRORS as error:
        counter_breaker.record_failure()
        logger.warning("limit %s failing open: %s", what, type(error).__name__)
        return None
    counter_breaker.record_success()
    return result


def place_take(
    key: str,
    *,
    limit: int,
    duration: int,
    now: float | None = None,
    cache: Any = None,
) -> Place | None:
    """Count one attempt of ``key`` (``limit`` per ``duration`` seconds).

    A refused attempt's place is given back at once. None: the counter store
    is out, and the attempt is allowed.
    """
    cache = cache or ConnectionProxy(caches, COUNTER_CACHE)
    now = time.time() if now is None else now
    window = int(now // duration)
    current, previous = f"{key}:{window}", f"{key}:{window - 1}"
    counted = fail_open(
        lambda: _increment(cache, current, previous, duration), what=key
    )
    if counted is None:
        return None
    place, before = counted
    elapsed = (now % duration) / duration
    allowed = place + int(before * (1 - elapsed)) <= limit
    if not allowed:
        place_give_back(current, cache=cache)
    return Place(current, allowed, duration - (now % duration))


def place_give_back(window_key: str, *, cache: Any = None) -> None:
    """Take one attempt off its window: it does not count after all."""
    cache = cache or ConnectionProxy(caches, COUNTER_CACHE)
    fail_open(lambda: _decrement(cache, window_key), what=window_key)


def _increment(
    cache: Any, current: str, previous: str, duration: int
) -> tuple[int, int]:
    client = _redis_client(cache, current)
    if client is None:
        cache.add(current, 0, 2 * duration)
        return int(cache.incr(current)), int(cache.get(previous, 0))
    pipe = client.pipeline(transaction=False)
    pipe.incr(cache.make_and_validate_key(current))
    pipe.expire(cache.make_and_validate_key(current), 2 * duration)
    pipe.get(cache.make_and_validate_key(previous))
    place, _, before = pipe.execute()
    return int(place), int(before or 0)


def _decrement(cache: Any, current: str) -> bool:
    client = _redis_client(cache, current)
    if client is None:
        with contextlib.suppress(ValueError):  # expired meanwhile
            cache.decr(current)
        return True
    client.decr(cache.make_and_validate_key(current))
    return True


def _redis_client(cache: Any, key: str) -> Any:
    """The redis-py client of a Django Redis cache, or None for another cache."""
    backend = cache
    if isinstance(cache, ConnectionProxy):
        backend = cache._connections[cache._alias]
    if not isinstance(backend, RedisCache):
        return None
    return backend._cache.get_client(key, write=True)
