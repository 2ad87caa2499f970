"""Every job of the shipping app: they take ids, load rows and call a service.

Run by the worker: the periodic ones from ``FASTSHIP_PERIODIC_JOBS``, the
others enqueued by the services. Services are imported inside each job, so a
service module can enqueue a job from here without an import cycle.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.core.management import call_command

from fastship import metrics


def send_notification_job(notification_id: int) -> bool:
    """Send one outbox email (see ``notification_send``: at most once)."""
    from shipping.services.notifications import notification_send

    return notification_send(notification_id=notification_id)


def relay_notifications_job() -> int:
    """Periodic: relay what the hand-over missed; report the oldest waiting mail.

    The alarm on that metric also fires when this job stops reporting (no
    worker, no Redis).
    """
    from shipping.services.notifications import (
        notifications_relay,
        oldest_pending_notification_age,
    )

    relayed = notifications_relay(older_than_seconds=settings.NOTIFICATION_RELAY_EVERY)
    if metrics.enabled():
        metrics.emit(
            {metrics.OLDEST_PENDING_NOTIFICATION: oldest_pending_notification_age()}
        )
    return relayed


def flush_expired_tokens_job() -> str:
    """Delete expired refresh tokens and their blacklist entries (simplejwt's own).

    Without it the outstanding-token tables grow with every login, for ever.
    """
    out = io.StringIO()
    call_command("flushexpiredtokens", stdout=out)
    return out.getvalue().strip()
