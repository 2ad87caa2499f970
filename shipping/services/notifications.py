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
from django.db.models import Q
from django.utils import timezone

from fastship import tracing
from fastship.counters import place_take
from fastship.jobs import (
    SCHEDULER_RESOLUTION,
    background_enqueuer,
    enqueue_in,
)
from shipping.jobs import OUTBOX_JOB_OPTIONS, mail_job_id, send_notification_job
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
# Seconds before attempt 2, 3, ... after a refusal or a failed connection;
# the last delay repeats: a mail is never given up on.
RETRY_DELAYS = (10, 30, 60, 300, 900)
Stage = Notification.SendStage


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
        "emails",
        send_notification_job,
        notification.pk,
        job_id=mail_job_id(notification.pk, notification.attempts),
        **OUTBOX_JOB_OPTIONS,
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


def notification_send(*, notification_id: int) -> bool:
    """Send a pending outbox email at most once; return False if it was not due.

    The row is claimed (``sending``, committed) before the mail server is
    spoken to, and each step is recorded before it is taken: ``connected``
    once the server greeted us, ``data_sent`` just before the message goes
    out. An error that proves nothing was sent (no connection, a refusal
    before the message was taken) puts the row back to ``pending`` with a
    retry time and schedules that retry. Any other outcome after
    ``data_sent`` (a timeout waiting for the reply, a crash, a database that
    will not take the result) leaves it ``sending``: never sent again
    automatically. A worker that dies before ``data_sent`` leaves a row the
    relay sends again after its lease.
    """
    notification = notification_claim(notification_id=notification_id)
    if notification is None:
        return False
    claim = Notification.objects.filter(
        pk=notification_id,
        state=Notification.State.SENDING,
        claimed_at=notification.claimed_at,
    )

    def reached(stage: str) -> None:
        # The claim is the fence: a row the relay took back after the lease
        # (this worker stalled) is not this attempt's any more, and the
        # message must not go out.
        if not claim.update(send_stage=stage):
            raise EmailNotSent(f"the claim was lost before {stage}")

    try:
        with tracing.client_span(
            "smtp send",
            **{
                "server.address": settings.EMAIL_HOST,
                "fastship.notification.kind": notification.kind,
            },
        ):
            email_deliver(build_email(notification), progress=reached)
    except EmailNotSent as error:
        reason = type(error.__cause__ or error).__name__[:200]
        delay = RETRY_DELAYS[min(notification.attempts, len(RETRY_DELAYS)) - 1]
        if claim.update(
            state=Notification.State.PENDING,
            send_stage="",
            last_error=reason,
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
        ):
            _schedule_retry(notification, delay)
        logger.warning(
            "notification %s (%s) not sent, retrying in %s s: %s",
            notification_id,
            notification.kind,
            delay,
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
    logger.info("notification %s (%s) sent", notification_id, notification.kind)
    return True


def _schedule_retry(notification: Notification, delay: float) -> None:
    """Enqueue the retry for its time; if Redis fails, the relay finds it later."""
    try:
        enqueue_in(
            timedelta(seconds=delay),
            "emails",
            send_notification_job,
            notification.pk,
            job_options={
                **OUTBOX_JOB_OPTIONS,
                "job_id": mail_job_id(notification.pk, notification.attempts),
            },
        )
    except Exception as error:  # the periodic relay picks the due row up
        logger.warning("mail retry %s not scheduled (%s)", notification.pk, error)


def notification_claim(*, notification_id: int) -> Notification | None:
    """Move a due pending row to ``sending`` (stage ``claimed``) and commit;
    None if it is not pending or not due (within the scheduler's resolution)."""
    now = timezone.now()
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .filter(pk=notification_id, state=Notification.State.PENDING)
            .filter(
                Q(next_attempt_at__isnull=True)
                | Q(next_attempt_at__lte=now + SCHEDULER_RESOLUTION)
            )
            .first()
        )
        if notification is None:
            return None
        notification.state = Notification.State.SENDING
        notification.send_stage = Stage.CLAIMED
        notification.claimed_at = now
        notification.attempts += 1
        notification.save(
            update_fields=["state", "send_stage", "claimed_at", "attempts"]
        )
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
                send_stage="",
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
