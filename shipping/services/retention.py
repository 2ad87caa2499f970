"""Retention of the records that only grow: deleted in bounded batches.

Sent mail, finished webhook deliveries, idempotency keys past their 24 hours
and expired refresh tokens are kept for a while for people and replays, then
deleted, oldest first, a batch of rows per short transaction: no statement
holds many row locks or runs long, so nothing else waits on it, and a run
that is interrupted leaves the rest for the next one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from shipping.models import IdempotencyRecord, Notification, WebhookDelivery
from shipping.services.idempotency import KEEP

BATCH = 5000


def batches_delete(rows: QuerySet[Any], *, batch: int = BATCH) -> int:
    """Delete ``rows`` a batch at a time (by primary key); return how many
    (rows that go with them, a token's blacklist entry, are not counted)."""
    model = rows.model
    deleted = 0
    while True:
        ids = list(rows.order_by().values_list("pk", flat=True)[:batch])
        if not ids:
            return deleted
        with transaction.atomic():
            _, by_model = model._default_manager.filter(pk__in=ids).delete()
        deleted += by_model.get(model._meta.label, 0)


def records_prune(*, batch: int = BATCH) -> dict[str, int]:
    """Delete what is past its retention; how many rows of each kind went."""
    now = timezone.now()
    mail_cutoff = now - timedelta(days=settings.NOTIFICATION_RETENTION_DAYS)
    webhook_cutoff = now - timedelta(days=settings.WEBHOOK_DELIVERY_RETENTION_DAYS)
    finished = [WebhookDelivery.State.DELIVERED, WebhookDelivery.State.FAILED]
    return {
        "idempotency_keys": batches_delete(
            IdempotencyRecord.objects.filter(created_at__lt=now - KEEP), batch=batch
        ),
        # Only mail that was sent: pending, held and interrupted rows wait for
        # the relay or a person, however old.
        "notifications": batches_delete(
            Notification.objects.filter(
                state=Notification.State.SENT, created_at__lt=mail_cutoff
            ),
            batch=batch,
        ),
        "webhook_deliveries": batches_delete(
            WebhookDelivery.objects.filter(
                state__in=finished, created_at__lt=webhook_cutoff
            ),
            batch=batch,
        ),
        # simplejwt's own flush is one DELETE of every expired token.
        "refresh_tokens": batches_delete(
            OutstandingToken.objects.filter(expires_at__lte=now), batch=batch
        ),
    }
