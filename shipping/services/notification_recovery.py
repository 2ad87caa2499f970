"""The outbox's recovery: what a relay sends again on its own, and what waits
for a person.

A row a worker left ``sending`` past its lease before its message went out is
sent again automatically; one whose message may have gone out waits for an
operator (the admin's re-send, with a warning). Pending rows whose job was
lost are queued again, never twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from fastship.jobs import background_enqueuer, enqueue_unless_alive
from shipping.jobs import OUTBOX_JOB_OPTIONS, mail_job_id, send_notification_job
from shipping.models import Notification

logger = logging.getLogger(__name__)
Stage = Notification.SendStage
# A row left ``sending`` past its lease at one of these stages never gave the
# mail server its message: it is sent again automatically.
UNSENT_STAGES = (Stage.CLAIMED, Stage.CONNECTED)


def _lease_cutoff() -> datetime:
    return timezone.now() - timedelta(seconds=settings.NOTIFICATION_SEND_LEASE)


def notifications_needing_attention() -> QuerySet[Notification]:
    """Rows claimed longer than the lease ago whose message may have gone out
    (``data_sent``, or claimed by a release that kept no stage)."""
    return Notification.objects.filter(
        state=Notification.State.SENDING, claimed_at__lt=_lease_cutoff()
    ).exclude(send_stage__in=UNSENT_STAGES)


def notifications_resend(*, notification_ids: list[int]) -> int:
    """Put ``sending`` rows back to pending and hand them over (an operator's
    call: the mail may go out twice)."""
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
        rows = list(
            Notification.objects.select_for_update()
            .filter(pk__in=notification_ids, state=state)
            .values_list("pk", "attempts")
        )
        Notification.objects.filter(pk__in=[pk for pk, _ in rows]).update(
            state=Notification.State.PENDING,
            send_stage="",
            claimed_at=None,
            next_attempt_at=None,
        )
        for notification_id, attempts in rows:
            background_enqueuer.submit_after_commit(
                "emails",
                send_notification_job,
                notification_id,
                job_id=mail_job_id(notification_id, attempts),
                **OUTBOX_JOB_OPTIONS,
            )
    return len(rows)


def notifications_relay(*, older_than_seconds: int = 60, limit: int = 500) -> int:
    """Enqueue the mails that wait and have no job; return how many.

    First, rows a worker left ``sending`` past their lease before the message
    went out (stage ``claimed`` or ``connected``) go back to pending: they
    were provably never sent. Then every pending row due for more than
    ``older_than_seconds`` whose job (named by the row and its attempt count)
    is not queued, scheduled or running is enqueued: the hand-over and the
    scheduled retries get that long, and a row is never queued twice.

    Runs in the worker (or a command), never on a request: a synchronous
    enqueue is fine here.
    """
    revived = Notification.objects.filter(
        pk__in=Notification.objects.filter(
            state=Notification.State.SENDING,
            claimed_at__lt=_lease_cutoff(),
            send_stage__in=UNSENT_STAGES,
        ).values("pk")[:limit]
    ).update(
        state=Notification.State.PENDING,
        send_stage="",
        next_attempt_at=None,
        last_error="the worker stopped before the message was sent",
    )
    if revived:
        logger.warning(
            "%s mail(s) a stopped worker had claimed but not sent: sending again",
            revived,
        )
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    due = {
        mail_job_id(pk, attempts): pk
        for pk, attempts in Notification.objects.filter(
            state=Notification.State.PENDING
        )
        .filter(
            Q(next_attempt_at__isnull=True, created_at__lt=cutoff)
            | Q(next_attempt_at__lt=cutoff)
            # Taken back from a stopped worker just now: due at once.
            | Q(next_attempt_at__isnull=True, claimed_at__isnull=False)
        )
        .order_by("created_at")
        .values_list("pk", "attempts")[:limit]
    }
    return enqueue_unless_alive(
        "emails",
        send_notification_job,
        due,
        started_within=timedelta(seconds=settings.NOTIFICATION_SEND_LEASE),
        job_options=OUTBOX_JOB_OPTIONS,
    )


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
