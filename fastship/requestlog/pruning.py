"""Delete request logs past their retention, in chunks (no long table lock)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from fastship.requestlog.models import RequestLog


def request_logs_prune(*, older_than_days: int, chunk_size: int = 5000) -> int:
    """Delete records started more than ``older_than_days`` ago; return how many."""
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
