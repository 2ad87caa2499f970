"""One row per HTTP request (probes excepted), stored in batches by an RQ job."""

from __future__ import annotations

from typing import ClassVar

from django.db import models


class RequestLog(models.Model):
    """What happened to one request: never its body, never a secret.

    On PostgreSQL the table is partitioned by day of ``started_at``
    (:mod:`fastship.requestlog.partitions`): the primary key is (id,
    started_at) and ``record_id`` is unique with ``started_at``, which a
    record keeps when its batch is stored again.
    """

    # Made by the server per record: makes a re-run batch job insert nothing twice.
    record_id = models.UUIDField(unique=True, editable=False)
    request_id = models.CharField(max_length=64, db_index=True)
    started_at = models.DateTimeField()
    method = models.CharField(max_length=16)
    path = models.CharField(max_length=2048)
    query_string = models.TextField(blank=True)
    status_code = models.PositiveSmallIntegerField()
    duration_ms = models.FloatField()
    # Not a foreign key: logs outlive accounts and are never joined on the hot path.
    user_id = models.BigIntegerField(null=True, blank=True)
    user_role = models.CharField(max_length=16, blank=True)
    credential = models.CharField(max_length=32, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=256, blank=True)
    response_size = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-started_at"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["-started_at"], name="requestlog_started_idx"),
            models.Index(
                fields=["status_code", "-started_at"], name="requestlog_status_idx"
            ),
            # A prefix search (the admin's) uses it on PostgreSQL too.
            models.Index(
                fields=["path"],
                name="requestlog_path_idx",
                opclasses=["varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status_code} ({self.request_id})"
