"""Password hashing, bounded: a flood of logins cannot starve other requests.

A password hash is made slow on purpose (PBKDF2, a third of a second of CPU
here). Twenty-four logins at once held every request thread and database
connection while they hashed, and other requests waited seconds. A login
now checks the password holding no database connection, in one of
``PASSWORD_HASH_CONCURRENCY`` slots per process; one that cannot get a slot
within ``PASSWORD_HASH_WAIT`` seconds is refused at once (503, try again).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection

from fastship.process_local import ProcessLocal


class HashingBusy(Exception):
    """Every hashing slot stayed taken for the wait allowed."""


_slots: ProcessLocal[threading.BoundedSemaphore] = ProcessLocal(
    lambda: threading.BoundedSemaphore(settings.PASSWORD_HASH_CONCURRENCY)
)


@contextmanager
def hashing_slot() -> Iterator[None]:
    """Hold one hashing slot, the database connection handed back first.

    Raises :class:`HashingBusy` when no slot frees up in time.
    """
    release_database_connection()
    slots = _slots.get()
    if not slots.acquire(timeout=settings.PASSWORD_HASH_WAIT):
        raise HashingBusy
    try:
        yield
    finally:
        slots.release()


def release_database_connection() -> None:
    """Give this thread's pooled connection back (outside a transaction); the
    next query takes one again."""
    pooled = bool(connection.settings_dict.get("OPTIONS", {}).get("pool"))
    if pooled and connection.connection is not None and not connection.in_atomic_block:
        connection.close()
