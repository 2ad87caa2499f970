"""Every job of the shipping app: they take ids, load rows and call a service.

Run by the worker: the periodic ones from ``FASTSHIP_PERIODIC_JOBS``, the
others enqueued by the services. Services are imported inside each job, so a
service module can enqueue a job from here without an import cycle.
"""

from __future__ import annotations

from django.conf import settings

from fastship import metrics

# RQ options of every job that sends an outbox row: the row is the record, so
# no result is kept; a failed job stays a week for a look.
OUTBOX_JOB_OPTIONS = {"result_ttl": 0, "failure_ttl": 7 * 24 * 3600}


# An outbox row's job is named by the row and its attempt count at enqueue
# time: a relay asks whether that job is alive before it enqueues, so a row is
# queued once however often the relay runs, and a retry (a new count) never
# collides with the job that scheduled it.
def mail_job_id(notification_id: int, attempts: int) -> str:
    return f"mail-{notification_id}-{attempts}"


def webhook_job_id(delivery_id: object, attempts: int) -> str:
    return f"webhook-{delivery_id}-{attempts}"


def send_notification_job(notification_id: int) -> bool:
    """Send one outbox email (see ``notification_send``: at most once)."""
    from shipping.services.notifications import notification_send

    return notification_send(notification_id=notification_id)


def relay_notifications_job() -> int:
    """Periodic: relay what the hand-over missed; report the oldest waiting mail.

    The alarm on that metric also fires when this job stops reporting (no
    worker, no Redis).
    """
    from shipping.services.notification_recovery import (
        notifications_relay,
        oldest_pending_notification_age,
    )

    relayed = notifications_relay(older_than_seconds=settings.NOTIFICATION_RELAY_EVERY)
    if metrics.enabled():
        metrics.emit(
            {metrics.OLDEST_PENDING_NOTIFICATION: oldest_pending_notification_age()}
        )
    return relayed


def prune_records_job() -> dict[str, int]:
    """Periodic: delete sent mail, finished webhook deliveries, idempotency keys
    and expired refresh tokens past their retention, in bounded batches."""
    from shipping.services.retention import records_prune

    return records_prune()


def flush_expired_tokens_job() -> dict[str, int]:
    """The periodic job's name in the previous release (a run it enqueued)."""
    return prune_records_job()


def deliver_webhook_job(delivery_id: str) -> bool:
    """One attempt at one webhook delivery (see ``delivery_attempt``)."""
    from shipping.services.webhook_delivery import delivery_attempt

    return delivery_attempt(delivery_id=delivery_id)


def relay_webhooks_job() -> int:
    """Periodic: enqueue due webhook deliveries the hand-over or a retry missed."""
    from shipping.services.webhook_delivery import deliveries_relay

    return deliveries_relay(older_than_seconds=3 * settings.WEBHOOK_RELAY_EVERY)
