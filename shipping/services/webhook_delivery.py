"""Sending outboxed webhook events: claim, sign, POST, retry with backoff.

Each attempt claims its row (``sending``, committed) before it calls the
endpoint, so two workers never send one delivery at once, and a delivery that
succeeded is never sent again. Any 2xx is success; anything else is retried
after a growing delay with jitter (the first within 10 s), for about a day,
then marked failed. A claim older than the lease (a worker that died
mid-attempt) counts as a failed attempt and is retried with the same
``webhook-id``: receivers deduplicate by it, as Standard Webhooks asks. An
endpoint whose every attempt failed for ``WEBHOOK_DISABLE_AFTER_DAYS`` is
disabled, and its seller is told by mail.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fastship import metric_series, outbound, tracing
from fastship.jobs import (
    SCHEDULER_RESOLUTION,
    background_enqueuer,
    enqueue_in,
    enqueue_unless_alive,
)
from shipping.jobs import OUTBOX_JOB_OPTIONS, deliver_webhook_job, webhook_job_id
from shipping.models import Notification, WebhookDelivery, WebhookEndpoint
from shipping.services.notifications import absolute_url, notification_queue
from shipping.services.webhooks import DISABLED, signature, signing_secrets

logger = logging.getLogger(__name__)
State = WebhookDelivery.State
Event = WebhookEndpoint.Event
# Seconds before attempt 2, 3, ... 8: about 28 hours in all.
RETRY_DELAYS = (5, 300, 1800, 7200, 18000, 36000, 36000)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.2


def retry_delay(attempts: int) -> float:
    """Seconds to wait after ``attempts`` failed attempts, with ±20 % jitter."""
    base = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
    return base * random.uniform(1 - JITTER, 1 + JITTER)  # noqa: S311 - not a secret


def _claim(delivery_id: str) -> WebhookDelivery | None:
    """Move a due pending row to ``sending`` and commit; None if not due.

    Due means due within the scheduler's resolution: a retry job that RQ
    started a fraction of a second early still makes its attempt.
    """
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            # Only the delivery's row: its endpoint's other deliveries go on.
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(
                pk=delivery_id,
                state=State.PENDING,
                next_attempt_at__lte=now + SCHEDULER_RESOLUTION,
            )
            .first()
        )
        if delivery is None:
            return None
        delivery.state = State.SENDING
        delivery.claimed_at = now
        delivery.attempts += 1
        delivery.save(update_fields=["state", "claimed_at", "attempts"])
    return delivery


def attempt_deadline() -> float:
    """Seconds one attempt may take in all: DNS, connect, TLS, send, answer."""
    return 2 * settings.WEBHOOK_TIMEOUT


def claim_lease() -> timedelta:
    """How long a claim stands before the relay takes its worker for dead.

    A full timeout longer than an attempt may take, so a slow receiver is
    never sent the event a second time while the first attempt still runs.
    """
    return timedelta(seconds=attempt_deadline() + settings.WEBHOOK_TIMEOUT)


def delivery_attempt(*, delivery_id: str) -> bool:
    """Make one attempt at a due delivery; return whether it was delivered."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return False
    endpoint = delivery.endpoint
    # A disabled endpoint is sent nothing but its seller's test ping (a check
    # before re-enabling it).
    if endpoint.disabled_at is not None and delivery.event_type != WebhookEndpoint.PING:
        _settle(delivery, outbound.Outcome(None, DISABLED), final=True)
        return False
    now = timezone.now()
    timestamp = int(now.timestamp())
    signatures = [
        signature(
            secret,
            message_id=delivery.message_id,
            timestamp=timestamp,
            body=delivery.body,
        )
        for secret in signing_secrets(endpoint, now=now)
    ]
    with tracing.client_span(
        "webhook POST", **{"fastship.webhook.event": delivery.event_type}
    ):
        outcome = outbound.post(
            endpoint.url,
            delivery.body.encode(),
            {
                "Content-Type": "application/json",
                "User-Agent": "FastShip-Webhooks/1.0",
                "webhook-id": delivery.message_id,
                "webhook-timestamp": str(timestamp),
                "webhook-signature": " ".join(signatures),
                **tracing.context_carrier(),  # traceparent: the receiver's parent
            },
            timeout=settings.WEBHOOK_TIMEOUT,
            deadline=attempt_deadline(),
            allow_private=settings.WEBHOOK_ALLOW_PRIVATE_TARGETS,
        )
    _settle(delivery, outcome, final=False)
    metric_series.webhook_attempted(
        endpoint_failing=endpoint.failing_since is not None, failed=not outcome.ok
    )
    return outcome.ok


def _settle(
    delivery: WebhookDelivery, outcome: outbound.Outcome, *, final: bool
) -> None:
    """Record an attempt's outcome; schedule the next one or give up.

    A success is recorded whatever happened to the row meanwhile (so it is
    never sent again); a failure only if the row is still this attempt's.
    """
    now = timezone.now()
    fields = {"last_status_code": outcome.status, "last_error": outcome.error}
    row = WebhookDelivery.objects.filter(pk=delivery.pk)
    if outcome.ok:
        row.exclude(state=State.DELIVERED).update(
            state=State.DELIVERED, delivered_at=now, **fields
        )
        WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).update(
            failing_since=None
        )
        return
    this_attempt = row.filter(state=State.SENDING, claimed_at=delivery.claimed_at)
    if final or delivery.attempts >= MAX_ATTEMPTS:
        if not this_attempt.update(state=State.FAILED, **fields):
            return
    else:
        delay = retry_delay(delivery.attempts)
        if not this_attempt.update(
            state=State.PENDING,
            next_attempt_at=now + timedelta(seconds=delay),
            **fields,
        ):
            return
        _schedule(str(delivery.pk), delay, attempts=delivery.attempts)
    logger.warning(
        "webhook delivery %s (%s) attempt %s failed: %s",
        delivery.pk,
        delivery.event_type,
        delivery.attempts,
        outcome.error or f"status {outcome.status}",
    )
    _note_failure(delivery.endpoint_id, now=now)


def _schedule(delivery_id: str, delay: float, *, attempts: int) -> None:
    """Enqueue the retry for its time; if Redis fails, the relay finds it later."""
    try:
        enqueue_in(
            timedelta(seconds=delay),
            "webhooks",
            deliver_webhook_job,
            delivery_id,
            job_options={
                **OUTBOX_JOB_OPTIONS,
                "job_id": webhook_job_id(delivery_id, attempts),
            },
        )
    except Exception as error:  # the periodic relay picks the due row up
        logger.warning("webhook retry %s not scheduled (%s)", delivery_id, error)


def _note_failure(endpoint_id: Any, *, now: datetime) -> None:
    """Start the endpoint's failing period; past the limit, disable it."""
    with transaction.atomic():
        endpoint = (
            WebhookEndpoint.objects.select_for_update()
            .select_related("seller__user")
            .filter(pk=endpoint_id, disabled_at__isnull=True)
            .first()
        )
        if endpoint is None:
            return
        if endpoint.failing_since is None:
            endpoint.failing_since = now
            endpoint.save(update_fields=["failing_since"])
            return
        limit = timedelta(days=settings.WEBHOOK_DISABLE_AFTER_DAYS)
        if endpoint.failing_since > now - limit:
            return
        endpoint_disable(endpoint, now=now)
        notification_queue(
            kind=Notification.Kind.WEBHOOK_DISABLED,
            recipient=endpoint.seller.user.email,
            context={
                "url": endpoint.url,
                "days": settings.WEBHOOK_DISABLE_AFTER_DAYS,
                "docs_url": absolute_url("/docs"),
            },
        )
        logger.error("webhook endpoint %s disabled after failing for days", endpoint.pk)


def endpoint_disable(endpoint: WebhookEndpoint, *, now: datetime) -> None:
    """Disable an endpoint (in the caller's transaction): its unsent
    deliveries wait, failed as ``DISABLED``, for it to be enabled again."""
    endpoint.disabled_at = now
    endpoint.save(update_fields=["disabled_at"])
    WebhookDelivery.objects.filter(endpoint=endpoint, state=State.PENDING).update(
        state=State.FAILED, last_error=DISABLED
    )


def deliveries_relay(*, older_than_seconds: float = 30, limit: int = 500) -> int:
    """Periodic: retry attempts a dead worker left, enqueue what is overdue.

    What the hand-over missed (Redis down at the change) or a lost scheduled
    retry (Redis restarted empty) is found here: rows due for more than
    ``older_than_seconds`` whose job (named by the row and its attempt count)
    is not queued, scheduled or running. A row is never queued twice, however
    far behind the worker is. Returns how many were enqueued.
    """
    now = timezone.now()
    stale = WebhookDelivery.objects.filter(
        state=State.SENDING, claimed_at__lt=now - claim_lease()
    )
    for delivery in stale.select_related("endpoint")[:limit]:
        _settle(delivery, outbound.Outcome(None, "attempt did not finish"), final=False)
    due = {
        webhook_job_id(delivery_id, attempts): str(delivery_id)
        for delivery_id, attempts in WebhookDelivery.objects.filter(
            state=State.PENDING,
            next_attempt_at__lte=now - timedelta(seconds=older_than_seconds),
        )
        .order_by("next_attempt_at")
        .values_list("pk", "attempts")[:limit]
    }
    return enqueue_unless_alive(
        "webhooks",
        deliver_webhook_job,
        due,
        started_within=claim_lease(),
        job_options=OUTBOX_JOB_OPTIONS,
    )


def deliveries_redeliver(
    *, delivery_ids: list[Any] | None = None, held_for: Any = None
) -> int:
    """Send deliveries again now, whatever became of them (an operator's or
    the seller's call), with their ``webhook-id``: those of ``delivery_ids``,
    or the ones ``held_for`` an endpoint while it was disabled."""
    if held_for is not None:
        chosen = WebhookDelivery.objects.filter(
            endpoint_id=held_for, state=State.FAILED, last_error=DISABLED
        )
    else:
        chosen = WebhookDelivery.objects.filter(pk__in=delivery_ids or [])
    rows = list(chosen.exclude(state=State.SENDING).values_list("pk", "attempts"))
    WebhookDelivery.objects.filter(pk__in=[pk for pk, _ in rows]).update(
        state=State.PENDING, next_attempt_at=timezone.now(), delivered_at=None
    )
    for delivery_id, attempts in rows:  # handed over without waiting
        background_enqueuer.submit_after_commit(
            "webhooks",
            deliver_webhook_job,
            str(delivery_id),
            job_id=webhook_job_id(delivery_id, attempts),
            **OUTBOX_JOB_OPTIONS,
        )
    return len(rows)
