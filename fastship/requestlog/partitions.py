"""Request logs on PostgreSQL: one partition a day, made ahead, dropped whole.

The table only grows (a row per request), so retention must not cost a
``DELETE`` of millions of rows. It is partitioned by ``started_at`` into UTC
days (``requestlog_requestlog_p20261207``); the periodic job makes the next
days' partitions ahead and drops those past the retention.

Neither blocks an insert: a partition is made as a table of its own and then
attached (``ATTACH PARTITION`` takes a lock that inserts do not wait for),
and an old one is detached with ``DETACH PARTITION ... CONCURRENTLY`` (which
waits for running transactions instead of making new ones wait) and then
dropped as a table of its own. A detach interrupted half-way is finished on
the next run. Should a batch ever hold a day with no partition (the worker
was away for longer than the days made ahead), the batch makes it.

On SQLite (the embedded default) the table is plain and pruned by chunks of
``DELETE`` (:mod:`fastship.requestlog.pruning`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connection, transaction

PARENT = "requestlog_requestlog"
PREFIX = f"{PARENT}_p"
DAYS_AHEAD = 7
_NAME = re.compile(rf"^{PREFIX}(\d{{8}})$")
# One advisory lock for whoever makes partitions (two workers, a batch).
_LOCK = 7_301_447_211


def is_partitioned() -> bool:
    """Whether the request-log table is partitioned (PostgreSQL, migrated)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [PARENT]
        )
        row = cursor.fetchone()
    return bool(row and row[0] == "p")


def partition_name(day: date) -> str:
    return f"{PREFIX}{day:%Y%m%d}"


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


def partitions() -> dict[date, tuple[str, bool]]:
    """The attached day partitions: day -> (name, detach pending)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, i.inhdetachpending
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = to_regclass(%s)
            """,
            [PARENT],
        )
        found = cursor.fetchall()
    days = {}
    for name, pending in found:
        match = _NAME.match(name)
        if match:
            day = datetime.strptime(match[1], "%Y%m%d").replace(tzinfo=UTC).date()
            days[day] = (name, bool(pending))
    return days


def partitions_ensure(*, days: Iterable[date]) -> list[str]:
    """Make (and attach) the partitions of ``days`` that are missing; their names."""
    wanted = sorted(set(days))
    if not wanted or not is_partitioned():
        return []
    made = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])
        existing = partitions()
        quote = connection.ops.quote_name
        for day in wanted:
            if day in existing:
                continue
            name = partition_name(day)
            start, end = day_bounds(day)
            # A table of its own first: attaching it locks only the new table
            # and takes a lock on the parent that inserts do not wait for.
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {quote(name)} "
                f"(LIKE {quote(PARENT)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
            )
            # DDL takes no parameters: the bounds are our own UTC instants.
            cursor.execute(
                f"ALTER TABLE {quote(PARENT)} ATTACH PARTITION {quote(name)} "
                f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
            )
            made.append(name)
    return made


def partitions_drop_before(*, cutoff: date) -> list[str]:
    """Detach (concurrently) and drop every day partition that ends by ``cutoff``.

    Must run outside a transaction (``DETACH ... CONCURRENTLY``); a detach
    left pending by an interrupted run is finished here.
    """
    if not is_partitioned():
        return []
    if connection.in_atomic_block:
        raise RuntimeError("detaching concurrently cannot run inside a transaction")
    quote = connection.ops.quote_name
    dropped = []
    for day, (name, pending) in sorted(partitions().items()):
        if day + timedelta(days=1) > cutoff:
            continue
        mode = "FINALIZE" if pending else "CONCURRENTLY"
        with connection.cursor() as cursor:
            cursor.execute(
                f"ALTER TABLE {quote(PARENT)} DETACH PARTITION {quote(name)} {mode}"
            )
            cursor.execute(f"DROP TABLE IF EXISTS {quote(name)}")
        dropped.append(name)
    dropped += _drop_stray_tables(cutoff)
    return dropped


def _drop_stray_tables(cutoff: date) -> list[str]:
    """Day tables detached but not dropped (a run died in between), or made but
    never attached, whose day is past: nobody reads them."""
    attached = {name for name, _ in partitions().values()}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relname LIKE %s",
            [f"{PREFIX}%"],
        )
        names = [row[0] for row in cursor.fetchall()]
        dropped = []
        for name in names:
            match = _NAME.match(name)
            if not match or name in attached:
                continue
            day = datetime.strptime(match[1], "%Y%m%d").date()
            if day + timedelta(days=1) <= cutoff:
                cursor.execute(
                    f"DROP TABLE IF EXISTS {connection.ops.quote_name(name)}"
                )
                dropped.append(name)
    return dropped


def partitions_maintain(
    *, retention_days: int, today: date | None = None
) -> dict[str, Any]:
    """Make the partitions of yesterday to DAYS_AHEAD days ahead; drop the expired."""
    today = today or datetime.now(UTC).date()
    made = partitions_ensure(
        days=[today + timedelta(days=n) for n in range(-1, DAYS_AHEAD + 1)]
    )
    dropped = partitions_drop_before(cutoff=today - timedelta(days=retention_days))
    return {"made": made, "dropped": dropped}


def rows_in(names: list[str]) -> int:
    """Rows the named partitions hold (a day's count: an index-only scan)."""
    total = 0
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(name)}")  # noqa: S608 - a partition's name
            row = cursor.fetchone()
            total += int(row[0]) if row else 0
    return total


def is_missing_partition(error: Exception) -> bool:
    """Whether an insert failed because no partition holds one of its rows."""
    return "no partition of relation" in str(error)
