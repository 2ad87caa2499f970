"""Records that only grow are deleted past their retention, in bounded batches."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import (
    BlacklistedToken,
    OutstandingToken,
)

from shipping.jobs import prune_records_job
from shipping.models import (
    IdempotencyRecord,
    Notification,
    WebhookDelivery,
    WebhookEndpoint,
)
from shipping.services.retention import records_prune
from tests.factories import seller_make

pytestmark = pytest.mark.django_db


def aged(model, days: float, **fields):
    row = model.objects.create(**fields)
    model.objects.filter(pk=row.pk).update(
        created_at=timezone.now() - timedelta(days=days)
    )
    return row


def test_only_what_is_past_its_retention_goes(settings):
    settings.NOTIFICATION_RETENTION_DAYS = 90
    settings.WEBHOOK_DELIVERY_RETENTION_DAYS = 30
    seller = seller_make()
    Notification.objects.all().delete()  # the sign-up's verification mail
    stale_keys = [
        aged(IdempotencyRecord, 2, seller=seller, key=f"k{n}") for n in range(5)
    ]
    fresh_key = aged(IdempotencyRecord, 0.5, seller=seller, key="fresh")
    sent = Notification.State.SENT
    old_sent = [
        aged(Notification, 100, recipient="a@example.org", state=sent) for _ in range(3)
    ]
    kept_mail = [
        aged(Notification, 100, recipient="b@example.org", state=state)
        for state in ("pending", "held", "sending")
    ] + [aged(Notification, 10, recipient="c@example.org", state=sent)]
    endpoint = WebhookEndpoint.objects.create(
        seller=seller, url="https://shop.example/hook", secret="s"
    )
    body = {"endpoint": endpoint, "event_type": "shipment.created", "body": "{}"}
    old_done = [
        aged(WebhookDelivery, 40, state=state, **body)
        for state in ("delivered", "failed")
    ]
    kept_deliveries = [
        aged(WebhookDelivery, 40, state="pending", **body),
        aged(WebhookDelivery, 5, state="delivered", **body),
    ]
    now = timezone.now()
    expired = OutstandingToken.objects.create(
        user=seller.user, jti="gone", token="t", expires_at=now - timedelta(hours=1)
    )
    BlacklistedToken.objects.create(token=expired)
    live = OutstandingToken.objects.create(
        user=seller.user, jti="live", token="t", expires_at=now + timedelta(days=1)
    )
    assert records_prune(batch=2) == {
        "idempotency_keys": len(stale_keys),
        "notifications": len(old_sent),
        "webhook_deliveries": len(old_done),
        "refresh_tokens": 1,
    }
    assert list(IdempotencyRecord.objects.all()) == [fresh_key]
    assert set(Notification.objects.all()) == set(kept_mail)
    assert set(WebhookDelivery.objects.all()) == set(kept_deliveries)
    assert list(OutstandingToken.objects.all()) == [live]
    assert not BlacklistedToken.objects.exists()
    assert prune_records_job() == dict.fromkeys(
        ("idempotency_keys", "notifications", "webhook_deliveries", "refresh_tokens"), 0
    )
