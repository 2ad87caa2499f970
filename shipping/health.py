"""Readiness check of the notification outbox: mail waiting, mail needing a person."""

from __future__ import annotations

from django.db import connection

from healthcheck.readiness import CheckError, CheckResult, ReadinessCheck
from shipping.models import Notification
from shipping.services.notification_recovery import notifications_needing_attention


class OutboxCheck(ReadinessCheck):
    """Warn when a claimed mail outlived its lease (it may or may not be out)."""

    name = "notifications:outbox"
    component_type = "component"
    failure_status = "warn"

    def measure(self) -> CheckResult:
        try:
            attention = notifications_needing_attention().count()
            counts = {
                "pending": Notification.objects.filter(
                    state=Notification.State.PENDING
                ).count(),
                "sending": Notification.objects.filter(
                    state=Notification.State.SENDING
                ).count()
                - attention,
                "needsAttention": attention,
                # over a recipient's hourly limit, waiting for an operator
                "held": Notification.objects.filter(
                    state=Notification.State.HELD
                ).count(),
            }
        finally:
            connection.close()  # this checker thread's own: nobody else closes it
        if attention:
            raise CheckError(
                f"{attention} mail(s) claimed longer than the lease ago without a "
                "result: maybe sent; re-send them from the admin if they did not "
                "arrive",
                observed_value=counts,
                observed_unit="notifications",
            )
        return CheckResult("pass", counts, "notifications")
