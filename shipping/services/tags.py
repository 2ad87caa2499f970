"""A shipment's handling tags, added and removed by its seller (on the timeline)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from shipping.exceptions import NotFound
from shipping.models import Seller, Shipment
from shipping.services.shipments import event_append, shipment_locked, tags_get


@transaction.atomic
def shipment_tag_add(*, shipment_id: Any, seller: Seller, name: str) -> Shipment:
    """Add a handling tag (recorded on the timeline)."""
    shipment = shipment_locked(shipment_id=shipment_id, seller=seller)
    (tag,) = tags_get([name])
    if not shipment.tags.filter(pk=tag.pk).exists():
        shipment.tags.add(tag)
        event_append(shipment=shipment, description=f"Tag {tag.name} added")
    return shipment


@transaction.atomic
def shipment_tag_remove(*, shipment_id: Any, seller: Seller, name: str) -> None:
    """Remove a handling tag (recorded on the timeline); unknown or absent is 404."""
    shipment = shipment_locked(shipment_id=shipment_id, seller=seller)
    tag = shipment.tags.filter(name=name).first()
    if tag is None:
        raise NotFound()
    shipment.tags.remove(tag)
    event_append(shipment=shipment, description=f"Tag {tag.name} removed")
