"""Request logs past their retention: whole day partitions dropped on
PostgreSQL (:mod:`fastship.requestlog.partitions`), chunks of ``DELETE``
elsewhere (no long table lock either way)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from fastship.requestlog import partitions
from fastship.requestlog.models import RequestLog


def request_logs_prune(*, older_than_days: int, chunk_size: int = 5000) -> int:
    """Remove records started more than ``older_than_days`` ago; return how many.

    Partitioned, a day goes once all of it is past the retention, and the
    partitions of the next days are made at the same time.
    """
    if partitions.is_partitioned():
        return _drop_days(older_than_days)
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted = 0
    while True:
        ids = list(
            RequestLog.objects.filter(started_at__lt=cutoff).values_list(
                "id", flat=True
            )[:chunk_size]
        )
        if not ids:
            return deleted
        deleted += RequestLog.objects.filter(id__in=ids).delete()[0]


def _drop_days(older_than_days: int) -> int:
    """Count what the expired partitions hold, then drop them."""
    cutoff = timezone.now().date() - timedelta(days=older_than_days)
    expired = [
        name
        for day, (name, _) in partitions.partitions().items()
        if day + timedelta(days=1) <= cutoff
    ]
    held = partitions.rows_in(expired)
    partitions.partitions_maintain(retention_days=older_than_days)
    return held
