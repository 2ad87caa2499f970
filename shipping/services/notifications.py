"""The notification outbox: recorded with the change, sent by RQ, at most once."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from fastship.counters import place_take
from fastship.jobs import background_enqueuer, enqueue
from shipping.jobs import OUTBOX_JOB_OPTIONS, send_notification_job
from shipping.models import Notification
from shipping.services.emails import EmailNotSent, build_email, email_deliver

logger = logging.getLogger(__name__)

# Mails to an address someone else chose (a seller's recipient, a sign-up
# with a stranger's address): limited per recipient and hour.
RECIPIENT_LIMITED_KINDS = frozenset(
    {
        Notification.Kind.ACCOUNT_EXISTS,
        Notification.Kind.SHIPMENT_PLACED,
        Notification.Kind.OUT_FOR_DELIVERY,
        Notification.Kind.DELIVERED,
        Notification.Kind.CANCELLED,
    }
)
# Context keys wiped once the mail is sent: they are secrets.
SECRET_CONTEXT_KEYS = frozenset({"code_nonce", "verification_code", "secret_link"})


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
    A shipment mail beyond the recipient's hourly limit is recorded ``held``
    and not sent (see :func:`notifications_release`).
    """
    notification = notification_planned(kind=kind, recipient=recipient, context=context)
    notification.save(force_insert=True)
    notification_hand_over(notification)
    return notification


def notification_planned(
    *, kind: str, recipient: str, context: dict[str, Any]
) -> Notification:
    """The outbox row of an email, not yet saved: ``held`` past the limit."""
    held = kind in RECIPIENT_LIMITED_KINDS and _recipient_over_limit(recipient)
    return Notification(
        kind=kind,
        recipient=recipient,
        context=context,
        state=Notification.State.HELD if held else Notification.State.PENDING,
    )


def notification_hand_over(notification: Notification) -> None:
    """Hand a saved outbox row to RQ once its transaction commits (or log why
    a held one is not)."""
    if notification.state == Notification.State.HELD:
        logger.warning(
            "notification %s (%s) held: its recipient reached the limit of %s "
            "shipment mails an hour",
            notification.pk,
            notification.kind,
            settings.NOTIFICATION_RECIPIENT_HOURLY_LIMIT,
        )
        return
    background_enqueuer.submit_after_commit(
        "emails", send_notification_job, notification.pk, **_job_options()
    )


def _recipient_over_limit(recipient: str) -> bool:
    """Count one shipment mail to ``recipient`` in its hour; True past the limit.

    An atomic counter (:mod:`fastship.counters`): simultaneous creates to one
    address cannot all slip under it. A held mail gives its place back (it
    was not sent); with Redis away the mail is sent (the limit fails open).
    """
    address = hashlib.sha256(recipient.strip().lower().encode()).hexdigest()
    place = place_take(
        f"mail_to:{address}",
        limit=settings.NOTIFICATION_RECIPIENT_HOURLY_LIMIT,
        duration=3600,
    )
    return place is not None and not place.allowed


def _job_options() -> dict[str, Any]:
    from rq import Retry

    return {
        **OUTBOX_JOB_OPTIONS,
        "retry": Retry(max=5, interval=[10, 30, 60, 300, 900]),
    }


def notification_send(*, notification_id: int) -> bool:
    """Send a pending outbox email at most once; return False if it was not due.

    The row is claimed (``sending``, committed) before the mail server is
    spoken to, and marked ``sent`` after. An error that proves nothing was
    sent (no connection, a refusal before the message was taken) puts it back
    to ``pending`` and raises, so RQ retries with backoff. Any other outcome
    (a timeout after the message went out, a crash, a database that will not
    take the result) leaves it ``sending``: never sent again automatically.
    """
    notification = notification_claim(notification_id=notification_id)
    if notification is None:
        return False
    try:
        email_deliver(build_email(notification))
    except EmailNotSent as error:
        reason = type(error.__cause__ or error).__name__[:200]
        Notification.objects.filter(
            pk=notification_id, state=Notification.State.SENDING
        ).update(state=Notification.State.PENDING, last_error=reason)
        logger.warning(
            "notification %s (%s) not sent, retrying later: %s",
            notification_id,
            notification.kind,
            reason,
        )
        raise NotificationNotSent(reason) from error
    except Exception as error:
        reason = type(error).__name__[:200]
        with contextlib.suppress(DatabaseError):
            Notification.objects.filter(pk=notification_id).update(last_error=reason)
        logger.error(
            "notification %s (%s) may or may not have been sent (%s): left "
            "'sending' for an operator, never sent again automatically",
            notification_id,
            notification.kind,
            reason,
        )
        return False
    notification_mark_sent(notification=notification)
    return True


def notification_claim(*, notification_id: int) -> Notification | None:
    """Move a pending row to ``sending`` and commit; None if it is not pending."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .filter(pk=notification_id, state=Notification.State.PENDING)
            .first()
        )
        if notification is None:
            return None
        notification.state = Notification.State.SENDING
        notification.claimed_at = timezone.now()
        notification.attempts += 1
        notification.save(update_fields=["state", "claimed_at", "attempts"])
    return notification


def notification_mark_sent(
    *, notification: Notification, retry_delays: tuple[float, ...] = (0.5, 1, 2, 4, 8)
) -> None:
    """Record a sent mail; a database fault is retried for about 15 s.

    The mail is out: if the result cannot be stored, the row stays
    ``sending`` (attention needed), which is the price of never sending twice.
    """
    context = {
        key: value
        for key, value in notification.context.items()
        if key not in SECRET_CONTEXT_KEYS
    }
    for delay in (*retry_delays, None):
        try:
            Notification.objects.filter(pk=notification.pk).update(
                state=Notification.State.SENT,
                sent_at=timezone.now(),
                context=context,
                last_error="",
            )
            return
        except DatabaseError as error:
            if delay is None:
                logger.error(
                    "notification %s sent, but its row could not be marked (%s)",
                    notification.pk,
                    type(error).__name__,
                )
                raise
            connection.close()  # the next try reconnects
            time.sleep(delay)


def notifications_needing_attention() -> QuerySet[Notification]:
    """Rows claimed longer than the lease ago without a result: maybe sent."""
    cutoff = timezone.now() - timedelta(seconds=settings.NOTIFICATION_SEND_LEASE)
    return Notification.objects.filter(
        state=Notification.State.SENDING, claimed_at__lt=cutoff
    )


def notifications_resend(*, notification_ids: list[int]) -> int:
    """Put ``sending`` rows back to pending and hand them over (an operator's call)."""
    return _notifications_requeue(
        notification_ids=notification_ids, state=Notification.State.SENDING
    )


def notifications_release(*, notification_ids: list[int]) -> int:
    """Send ``held`` rows after all (an operator's call); return how many."""
    return _notifications_requeue(
        notification_ids=notification_ids, state=Notification.State.HELD
    )


def _notifications_requeue(*, notification_ids: list[int], state: str) -> int:
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update()
            .filter(pk__in=notification_ids, state=state)
            .values_list("pk", flat=True)
        )
        Notification.objects.filter(pk__in=ids).update(
            state=Notification.State.PENDING, claimed_at=None
        )
        for notification_id in ids:
            background_enqueuer.submit_after_commit(
                "emails", send_notification_job, notification_id, **_job_options()
            )
    return len(ids)


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


def oldest_pending_notification_age() -> float:
    """Seconds the oldest mail still waiting to be sent has waited (0 if none)."""
    oldest = (
        Notification.objects.filter(state=Notification.State.PENDING)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if oldest is None:
        return 0.0
    return max((timezone.now() - oldest).total_seconds(), 0.0)
