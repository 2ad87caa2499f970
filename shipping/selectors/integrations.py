"""Reads of seller integrations (keys, webhooks, deliveries) and of timelines."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from fastship.keyset import Order, QuerySetSource
from shipping.exceptions import NotFound
from shipping.models import (
    ApiKey,
    Seller,
    ShipmentEvent,
    WebhookDelivery,
    WebhookEndpoint,
)

NEWEST_FIRST = Order("created_at", descending=True)
OLDEST_FIRST = Order("created_at", descending=False)


def api_keys_of(*, seller: Seller) -> QuerySetSource:
    """A seller's keys that still work, newest first."""
    keys = ApiKey.objects.filter(seller=seller, revoked_at__isnull=True)
    return QuerySetSource(keys, NEWEST_FIRST)


def webhooks_of(*, seller: Seller) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(seller=seller).order_by("-created_at")


def webhook_deliveries(*, seller: Seller, webhook_id: Any) -> QuerySetSource:
    """One endpoint's delivery log, newest first; another seller's is a 404."""
    if not WebhookEndpoint.objects.filter(pk=webhook_id, seller=seller).exists():
        raise NotFound("No such webhook.")
    deliveries = WebhookDelivery.objects.filter(endpoint_id=webhook_id)
    return QuerySetSource(deliveries, NEWEST_FIRST)


def webhook_delivery(*, delivery_id: Any) -> WebhookDelivery:
    """One delivery (the caller checked whose it is)."""
    return WebhookDelivery.objects.get(pk=delivery_id)


def shipment_timeline(*, shipment_id: Any) -> QuerySetSource:
    """A shipment's events, oldest first (the caller checked who may see them)."""
    events = ShipmentEvent.objects.filter(shipment_id=shipment_id)
    return QuerySetSource(events, OLDEST_FIRST)
