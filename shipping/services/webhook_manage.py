"""A seller's own care of its webhook endpoints: change, test, replay, statistics.

The same calls serve the API (``/api/v1/webhooks/{id}/...``) and the admin.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from shipping.exceptions import NotFound, WebhookDisabled
from shipping.models import Seller, WebhookDelivery, WebhookEndpoint
from shipping.services.webhook_delivery import deliveries_redeliver, endpoint_disable
from shipping.services.webhooks import (
    DISABLED,
    endpoint_of,
    webhook_target_check,
    webhooks_hand_over,
)

State = WebhookDelivery.State
Event = WebhookEndpoint.Event


def webhook_update(
    *,
    seller: Seller,
    webhook_id: Any,
    url: str | None = None,
    events: list[str] | None = None,
    enabled: bool | None = None,
) -> WebhookEndpoint:
    """Change an endpoint's URL, events, or whether it is enabled.

    Enabling a disabled endpoint clears its failing period and sends what
    was held while it was disabled (what retention has kept), each with its
    ``webhook-id``. Disabling one holds its unsent deliveries. The secret
    stays. A new URL is checked like a new endpoint's, before the transaction.
    """
    if url is not None:
        webhook_target_check(url)
    with transaction.atomic():
        endpoint = endpoint_of(seller=seller, webhook_id=webhook_id, lock=True)
        changed = []
        if url is not None:
            endpoint.url = url
            changed.append("url")
        if events is not None:
            endpoint.events = sorted(set(events))
            changed.append("events")
        if changed:
            endpoint.save(update_fields=changed)
        if enabled is True and endpoint.disabled_at is not None:
            endpoint.disabled_at = None
            endpoint.failing_since = None
            endpoint.save(update_fields=["disabled_at", "failing_since"])
            deliveries_redeliver(held_for=endpoint.pk)
        elif enabled is False and endpoint.disabled_at is None:
            endpoint_disable(endpoint, now=timezone.now())
    return endpoint


def webhook_ping(
    *, seller: Seller, webhook_id: Any, livemode: bool = True
) -> WebhookDelivery:
    """A signed ``webhook.ping`` to the endpoint, recorded in its delivery
    log and sent by the workers like any event (retried the same way). A
    disabled endpoint is pinged too: a check before enabling it again."""
    endpoint = endpoint_of(seller=seller, webhook_id=webhook_id)
    now = timezone.now()
    body = {
        "type": WebhookEndpoint.PING,
        "timestamp": now.isoformat(),
        "livemode": livemode,
        "data": {"webhook_id": str(endpoint.pk), "url": endpoint.url},
    }
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            id=uuid.uuid4(),
            endpoint=endpoint,
            event_type=WebhookEndpoint.PING,
            body=json.dumps(body, separators=(",", ":")),
            created_at=now,
            next_attempt_at=now,
        )
        webhooks_hand_over([delivery])
    return delivery


def webhook_replay(*, seller: Seller, webhook_id: Any, message_id: str) -> Any:
    """Send one delivery again now: the same body and ``webhook-id``, one
    more attempt. A delivery still being sent is left to finish (409)."""
    endpoint = endpoint_of(seller=seller, webhook_id=webhook_id)
    if endpoint.disabled_at is not None:
        raise WebhookDisabled(attr="webhook_id")
    delivery_id = _delivery_id(message_id)
    if delivery_id is None or not (
        WebhookDelivery.objects.filter(pk=delivery_id, endpoint=endpoint).exists()
    ):
        raise NotFound("No such delivery of this webhook.")
    with transaction.atomic():
        if not deliveries_redeliver(delivery_ids=[delivery_id]):
            raise WebhookDisabled(
                "This delivery is being sent right now; look again shortly.",
                attr="delivery_id",
            )
    return delivery_id


def _delivery_id(message_id: str) -> uuid.UUID | None:
    """The row of a ``webhook-id`` (``msg_<hex>``) or of a bare UUID."""
    try:
        return uuid.UUID(message_id.removeprefix("msg_"))
    except ValueError:
        return None


@dataclass(frozen=True)
class WebhookStats:
    """An endpoint's deliveries as kept (retention deletes the oldest)."""

    pending: int
    sending: int
    delivered: int
    failed: int
    held: int  # failed because the endpoint was disabled: sent on enabling
    delivered_24h: int
    failed_24h: int
    success_rate_24h: float | None  # delivered / finished, None with none
    last_delivered_at: datetime | None
    last_failed_at: datetime | None
    failing_since: datetime | None
    disabled_at: datetime | None


def webhook_stats(
    *, seller: Seller | None = None, webhook_id: Any, now: datetime | None = None
) -> WebhookStats:
    """Counts by state, the last day's success rate, the last success and
    failure: one aggregate over the endpoint's deliveries (its own index)."""
    endpoints = WebhookEndpoint.objects.filter(pk=webhook_id)
    if seller is not None:
        endpoints = endpoints.filter(seller=seller)
    endpoint = endpoints.first()
    if endpoint is None:
        raise NotFound("No such webhook.")
    since = (now or timezone.now()) - timedelta(hours=24)
    held = Q(state=State.FAILED, last_error=DISABLED)
    failed = Q(state=State.FAILED) & ~held
    recent = Q(created_at__gte=since)
    totals = WebhookDelivery.objects.filter(endpoint=endpoint).aggregate(
        pending=Count("pk", filter=Q(state=State.PENDING)),
        sending=Count("pk", filter=Q(state=State.SENDING)),
        delivered=Count("pk", filter=Q(state=State.DELIVERED)),
        failed=Count("pk", filter=failed),
        held=Count("pk", filter=held),
        delivered_24h=Count("pk", filter=Q(state=State.DELIVERED) & recent),
        failed_24h=Count("pk", filter=failed & recent),
        last_delivered_at=Max("delivered_at"),
        last_failed_at=Max("next_attempt_at", filter=failed),
    )
    finished = totals["delivered_24h"] + totals["failed_24h"]
    return WebhookStats(
        **totals,
        success_rate_24h=(
            round(totals["delivered_24h"] / finished, 4) if finished else None
        ),
        failing_since=endpoint.failing_since,
        disabled_at=endpoint.disabled_at,
    )


__all__ = [
    "WebhookStats",
    "webhook_ping",
    "webhook_replay",
    "webhook_stats",
    "webhook_update",
]
