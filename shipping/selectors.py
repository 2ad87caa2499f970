"""Reads of the shipping domain: what each caller may see, in few queries."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from shipping.exceptions import NotFound
from shipping.models import Shipment, ShipmentEvent, Tag, User


def _shipments_visible_to(user: User) -> QuerySet[Shipment]:
    shipments = Shipment.objects.select_related(
        "seller__user", "delivery_partner__user"
    )
    if user.role == User.Role.SELLER:
        return shipments.filter(seller_id=user.pk)
    if user.role == User.Role.PARTNER:
        return shipments.filter(delivery_partner_id=user.pk)
    return shipments.none()


def shipment_list_for_user(
    *, user: User, status: str | None = None, tag: str | None = None
) -> QuerySet[Shipment]:
    """A seller's own or a partner's assigned shipments, newest first, filtered."""
    shipments = _shipments_visible_to(user)
    if status:
        shipments = shipments.filter(status=status)
    if tag:
        shipments = shipments.filter(tags__name=tag)
    return shipments.prefetch_related(
        Prefetch("tags", queryset=Tag.objects.only("name"))
    ).order_by("-created_at", "-pk")


def shipment_get_for_user(*, user: User, shipment_id: Any) -> Shipment:
    """The shipment if the caller owns or carries it; 404 otherwise (never 403)."""
    shipment = (
        _shipments_visible_to(user)
        .prefetch_related("tags")
        .filter(pk=shipment_id)
        .first()
    )
    if shipment is None:
        raise NotFound()
    return shipment


def shipment_events(*, shipment: Shipment) -> QuerySet[ShipmentEvent]:
    """The timeline, oldest first."""
    return shipment.events.order_by("created_at", "pk")


def shipment_get_by_tracking_code(*, tracking_code: str) -> Shipment:
    """The public view of a shipment (the caller shows no personal data)."""
    shipment = (
        Shipment.objects.select_related("delivery_partner__user")
        .prefetch_related(
            Prefetch(
                "events", queryset=ShipmentEvent.objects.order_by("created_at", "pk")
            )
        )
        .filter(tracking_code=tracking_code)
        .first()
    )
    if shipment is None:
        raise NotFound()
    return shipment


def tag_list() -> QuerySet[Tag]:
    return Tag.objects.order_by("name")
