"""PostgreSQL timestamps parsed by psycopg's C loader read exactly as Django's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader

from fastship import timestamps

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

SAMPLES = [
    datetime(1970, 1, 1, tzinfo=UTC),
    datetime(2026, 12, 3, 9, 30, 1, 123456, tzinfo=UTC),
    datetime(2026, 3, 29, 1, 59, 59, 999999, tzinfo=UTC),
    datetime(9999, 12, 31, 22, 59, 59, tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=UTC),
]


def read(values: list[datetime], *, django_loader: bool) -> list[tuple]:
    with connection.cursor() as cursor:
        if django_loader:
            register_tzloader(connection.timezone, cursor.cursor)
        cursor.execute(
            "SELECT v, v + interval '1 hour', NULL::timestamptz "
            "FROM unnest(%s::timestamptz[]) AS v",
            [values],
        )
        return cursor.fetchall()


def test_the_native_loader_reads_what_djangos_reads():
    if timestamps.NATIVE is None:
        pytest.fail("psycopg's C module is a dependency (psycopg[binary])")
    ours = read(SAMPLES, django_loader=False)
    assert ours == read(SAMPLES, django_loader=True)
    assert [row[0] for row in ours] == SAMPLES
    assert all(row[0].tzinfo is connection.timezone for row in ours)
    assert ours[1][1] - ours[1][0] == timedelta(hours=1)
    loader = connection.connection.adapters.get_loader(
        timestamps.TIMESTAMPTZ_OID, timestamps.Format.TEXT
    )
    assert issubclass(loader, timestamps.NativeTzLoader)
    assert loader.timezone == connection.timezone
