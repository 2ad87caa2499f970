"""The RQ job that stores a batch of request-log records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastship.requestlog.models import RequestLog

FIELDS = frozenset(field.name for field in RequestLog._meta.fields) - {"id"}


def store_request_logs(records: list[dict[str, Any]]) -> int:
    """Insert a batch with one bulk insert; a re-run batch inserts nothing twice."""
    rows = []
    for record in records:
        values = {key: value for key, value in record.items() if key in FIELDS}
        values["started_at"] = datetime.fromisoformat(values["started_at"])
        rows.append(RequestLog(**values))
    RequestLog.objects.bulk_create(rows, ignore_conflicts=True)
    acknowledge_stored()
    return len(rows)


def acknowledge_stored() -> None:
    """Tell the shipper that enqueued this job that its batch is stored."""
    from rq import get_current_job

    from fastship.requestlog.shipper import ACK_KEY_PREFIX, ACK_SECONDS

    job = get_current_job()
    if job is not None:  # None when called inline, without RQ
        job.connection.set(f"{ACK_KEY_PREFIX}{job.id}", 1, ex=ACK_SECONDS)
