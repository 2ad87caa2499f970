"""A shipment's handling tags, added and removed by its seller (on the timeline)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from shipping.exceptions import NotFound, UnknownTag
from shipping.models import Seller, Shipment, Tag
from shipping.services.shipments import (
    event_append,
    shipment_check_open,
    shipment_locked,
)


def tags_get(names: Iterable[str]) -> list[Tag]:
    """The tags of ``names``; an unknown name is a 400 ``unknown_tag``."""
    wanted = set(names)
    tags = list(Tag.objects.filter(name__in=wanted))
    missing = wanted - {tag.name for tag in tags}
    if missing:
        raise UnknownTag(f"Unknown tag: {', '.join(sorted(missing))}.", attr="tags")
    return tags


@transaction.atomic
def shipment_tag_add(
    *, shipment_id: Any, seller: Seller, name: str, livemode: bool = True
) -> Shipment:
    """Add a handling tag (recorded on the timeline); a finished shipment is
    frozen (409)."""
    shipment = shipment_locked(
        shipment_id=shipment_id, seller=seller, livemode=livemode
    )
    shipment_check_open(shipment, attr="name")
    (tag,) = tags_get([name])
    if not shipment.tags.filter(pk=tag.pk).exists():
        shipment.tags.add(tag)
        _changed(shipment, f"Tag {tag.name} added")
    return shipment


@transaction.atomic
def shipment_tag_remove(
    *, shipment_id: Any, seller: Seller, name: str, livemode: bool = True
) -> None:
    """Remove a handling tag (recorded on the timeline); unknown or absent is
    404, a finished shipment 409."""
    shipment = shipment_locked(
        shipment_id=shipment_id, seller=seller, livemode=livemode
    )
    shipment_check_open(shipment, attr="name")
    tag = shipment.tags.filter(name=name).first()
    if tag is None:
        raise NotFound()
    shipment.tags.remove(tag)
    _changed(shipment, f"Tag {tag.name} removed")


def _changed(shipment: Shipment, description: str) -> None:
    """On the timeline, and as changed for ``updated_since``."""
    shipment.save(update_fields=["updated_at"])
    event_append(shipment=shipment, description=description)
