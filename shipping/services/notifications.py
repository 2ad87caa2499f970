"""The notification outbox: recorded with the change, sent by RQ, at most once."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from fastship.jobs import background_enqueuer, enqueue
from shipping.models import Notification

logger = logging.getLogger(__name__)

SUBJECTS = {
    Notification.Kind.VERIFY_EMAIL: "Verify your FastShip email address",
    Notification.Kind.PASSWORD_RESET: "Reset your FastShip password",
    Notification.Kind.SHIPMENT_PLACED: "A shipment is on its way to you",
    Notification.Kind.OUT_FOR_DELIVERY: "Your shipment is out for delivery",
    Notification.Kind.DELIVERED: "Your shipment was delivered",
    Notification.Kind.CANCELLED: "A shipment to you was cancelled",
}
# Context keys wiped once the mail is sent: they are secrets.
SECRET_CONTEXT_KEYS = frozenset({"verification_code", "secret_link"})
EMAIL_JOB_OPTIONS: dict[str, Any] = {"result_ttl": 0, "failure_ttl": 7 * 24 * 3600}


class NotificationNotSent(Exception):
    """The mail server refused or failed; RQ retries the job with backoff."""


def absolute_url(path: str) -> str:
    """Return ``path`` under ``PUBLIC_BASE_URL`` (links in emails are absolute)."""
    return f"{settings.PUBLIC_BASE_URL}{path}"


def notification_queue(
    *, kind: str, recipient: str, context: dict[str, Any]
) -> Notification:
    """Record an email in the current transaction; hand it to RQ after commit.

    The hand-over happens on a background thread, so the request never waits
    on Redis; if it fails, the row stays pending and the relay sends it later.
    """
    notification = Notification.objects.create(
        kind=kind, recipient=recipient, context=context
    )
    transaction.on_commit(
        lambda: background_enqueuer.submit(
            "emails", send_notification_job, notification.pk, **_job_options()
        )
    )
    return notification


def _job_options() -> dict[str, Any]:
    from rq import Retry

    return {**EMAIL_JOB_OPTIONS, "retry": Retry(max=5, interval=[10, 30, 60, 300, 900])}


def send_notification_job(notification_id: int) -> bool:
    """RQ job: send one outbox email (see :func:`notification_send`)."""
    return notification_send(notification_id=notification_id)


def notification_send(*, notification_id: int) -> bool:
    """Send a pending outbox email once; return False if it was already sent.

    The row stays locked while the mail goes out, so a duplicate job (the relay
    racing a retry) waits, then finds it sent and does nothing.
    """
    failure: Exception | None = None
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update().filter(pk=notification_id).first()
        )
        if notification is None or notification.state == Notification.State.SENT:
            return False
        notification.attempts += 1
        try:
            build_email(notification).send()
        except Exception as error:
            notification.last_error = type(error).__name__[:200]
            notification.save(update_fields=["attempts", "last_error"])
            failure = error
        else:
            notification.state = Notification.State.SENT
            notification.sent_at = timezone.now()
            notification.context = {
                key: value
                for key, value in notification.context.items()
                if key not in SECRET_CONTEXT_KEYS
            }
            notification.save(update_fields=["attempts", "state", "sent_at", "context"])
    if failure is not None:
        logger.warning(
            "notification %s (%s) not sent: %s",
            notification_id,
            notification.kind,
            type(failure).__name__,
        )
        raise NotificationNotSent(type(failure).__name__) from failure
    return True


def build_email(notification: Notification) -> EmailMultiAlternatives:
    """Render the text and HTML bodies of an outbox email from its templates."""
    context = {**notification.context, "public_base_url": settings.PUBLIC_BASE_URL}
    template = f"shipping/email/{notification.kind}"
    message = EmailMultiAlternatives(
        subject=SUBJECTS[Notification.Kind(notification.kind)],
        body=render_to_string(f"{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
    )
    message.attach_alternative(
        render_to_string(f"{template}.html", context), "text/html"
    )
    return message


def notifications_relay(*, older_than_seconds: int = 60, limit: int = 500) -> int:
    """Enqueue pending notifications older than ``older_than_seconds``; return how many.

    Runs in the worker (or a command), never on a request: a synchronous
    enqueue is fine here.
    """
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        Notification.objects.filter(
            state=Notification.State.PENDING, created_at__lt=cutoff
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for notification_id in ids:
        enqueue(
            "emails", send_notification_job, notification_id, job_options=_job_options()
        )
    return len(ids)


RELAY_JOB_ID = "notifications-relay"
RELAY_EVERY_SECONDS = 60


def relay_notifications_periodically() -> int:
    """RQ job: relay pending notifications, then schedule itself again."""
    from fastship.jobs import schedule_every

    relayed = notifications_relay()
    schedule_every(
        "default",
        relay_notifications_periodically,
        seconds=RELAY_EVERY_SECONDS,
        job_id=RELAY_JOB_ID,
    )
    return relayed
