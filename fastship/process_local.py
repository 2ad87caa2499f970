"""One object per process, built on first use: the one way FastShip holds one.

Objects built from settings (the shared Redis client, the request-log
shipper, the readiness runner and its Redis client) cannot be built at import
time, so each is a :class:`ProcessLocal`; objects that need no settings are
plain module-level instances.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class ProcessLocal(Generic[T]):
    """Build with ``build()`` once (under a lock); ``reset()`` forgets the object.

    ``close`` runs on an object that is forgotten; ``after_fork`` runs on it in
    a forked child (default: the child keeps it as it is).
    """

    def __init__(
        self,
        build: Callable[[], T],
        *,
        close: Callable[[T], object] | None = None,
        after_fork: Callable[[T], object] | None = None,
    ) -> None:
        self._build = build
        self._close = close
        self._after_fork = after_fork
        self._lock = threading.Lock()
        self._value: T | None = None
        os.register_at_fork(after_in_child=self._in_child)

    def get(self) -> T:
        value = self._value
        if value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._build()
                value = self._value
        return value

    def peek(self) -> T | None:
        """The object if it was built, without building it."""
        return self._value

    def reset(self) -> None:
        """Forget the object (tests that change settings), closing it first."""
        with self._lock:
            value, self._value = self._value, None
        if value is not None and self._close is not None:
            self._close(value)

    def _in_child(self) -> None:
        self._lock = threading.Lock()  # the parent's may have been held
        if self._value is not None and self._after_fork is not None:
            self._after_fork(self._value)
