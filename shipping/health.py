"""Readiness check of the notification outbox: mail waiting, mail needing a person."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from healthcheck.readiness import CheckError, CheckResult, ReadinessCheck
from shipping.models import Notification


class OutboxCheck(ReadinessCheck):
    """Warn when a claimed mail outlived its lease (it may or may not be out)."""

    name = "notifications:outbox"
    component_type = "component"
    failure_status = "warn"

    def measure(self) -> CheckResult:
        lease_cutoff = timezone.now() - timedelta(
            seconds=settings.NOTIFICATION_SEND_LEASE
        )
        # A connection of its own, closed after: this runs on a checker thread.
        connection = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT state, claimed_at < %s, count(*) FROM "  # noqa: S608
                    f"{Notification._meta.db_table} WHERE state <> %s GROUP BY 1, 2",
                    [lease_cutoff, Notification.State.SENT],
                )
                rows = cursor.fetchall()
        finally:
            connection.close()
        counts = {"pending": 0, "sending": 0, "needsAttention": 0}
        for state, lease_expired, count in rows:
            if state == Notification.State.SENDING and lease_expired:
                counts["needsAttention"] += count
            else:
                counts[str(state)] = counts.get(str(state), 0) + count
        if counts["needsAttention"]:
            raise CheckError(
                f"{counts['needsAttention']} mail(s) claimed over "
                f"{settings.NOTIFICATION_SEND_LEASE}s ago without a result: maybe "
                "sent; re-send them from the admin if they did not arrive",
                observed_value=counts,
                observed_unit="notifications",
            )
        return CheckResult("pass", counts, "notifications")
