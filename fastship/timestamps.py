"""PostgreSQL timestamps read by psycopg's C parser instead of Python code.

Django registers its own ``timestamptz`` loader so every value gets the
connection's time zone; being a Python subclass of psycopg's pure-Python
loader, it parses each timestamp in Python (a twentieth of a list request's
CPU: three timestamps per shipment). This loader does what Django's does,
the same ``tzinfo`` replacement and the same ``timezone`` attribute Django
compares in ``create_cursor``, but parses with the C loader that
``psycopg[binary]`` provides. Without the C module nothing changes.
"""

from __future__ import annotations

import functools
from datetime import datetime, tzinfo
from typing import Any

import psycopg
from django.db.backends.signals import connection_created
from psycopg import abc
from psycopg.adapt import Loader
from psycopg.postgres import types
from psycopg.pq import Format
from psycopg.types.datetime import TimestamptzLoader

TIMESTAMPTZ_OID = types["timestamptz"].oid


def _native_loader() -> type[abc.Loader] | None:
    """psycopg's own timestamptz loader if it is the C one, else None."""
    loader = psycopg.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    return None if loader is None or loader is TimestamptzLoader else loader


NATIVE = _native_loader()


class NativeTzLoader(Loader):
    """Django's ``BaseTzLoader`` contract, parsed by the C loader."""

    timezone: tzinfo | None = None

    def __init__(self, oid: int, context: Any = None) -> None:
        super().__init__(oid, context)
        native = NATIVE or TimestamptzLoader  # registered only when NATIVE exists
        self._parse = native(oid, context).load

    def load(self, data: Any) -> datetime:
        return self._parse(data).replace(tzinfo=self.timezone)


@functools.cache
def loader_for(zone: tzinfo | None) -> type[NativeTzLoader]:
    return type("ZoneTzLoader", (NativeTzLoader,), {"timezone": zone})


def use_native_loader(sender: Any, connection: Any, **kwargs: Any) -> None:
    """On each new PostgreSQL connection (pooled ones once), swap the loader in."""
    if NATIVE is None or connection.vendor != "postgresql":
        return
    adapters = connection.connection.adapters
    current = adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    wanted = loader_for(connection.timezone)
    if current is not wanted:
        adapters.register_loader("timestamptz", wanted)


def install() -> None:
    connection_created.connect(use_native_loader, dispatch_uid="native-timestamps")
