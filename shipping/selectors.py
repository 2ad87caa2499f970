"""Reads of the shipping domain: what each caller may see, in few queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import F, Prefetch, QuerySet

from shipping.exceptions import NotFound
from shipping.models import Shipment, ShipmentEvent, Tag, User


def _shipments_visible_to(user: User) -> QuerySet[Shipment]:
    # The two names the answer shows, joined in as columns: no Seller, User
    # and DeliveryPartner objects built per row just to read a name.
    shipments = Shipment.objects.annotate(
        seller_name=F("seller__user__name"),
        partner_name=F("delivery_partner__user__name"),
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
    # Tags are read per page with shipments_with_tag_names, after paginating.
    return shipments.order_by("-created_at", "-pk")


def shipments_with_tag_names(shipments: Iterable[Shipment]) -> list[Shipment]:
    """Give each shipment its sorted ``tag_names``, in one query for them all.

    A prefetch builds a related manager and Tag objects per shipment; the
    names alone, keyed by shipment id, are what the answer shows.
    """
    rows = list(shipments)
    names: defaultdict[Any, list[str]] = defaultdict(list)
    pairs = Shipment.tags.through.objects.filter(
        shipment_id__in=[shipment.pk for shipment in rows]
    ).values_list("shipment_id", "tag__name")
    for shipment_id, name in pairs:
        names[shipment_id].append(name)
    for shipment in rows:
        shipment.tag_names = sorted(names[shipment.pk])  # type: ignore[attr-defined]
    return rows


def shipment_get_for_user(*, user: User, shipment_id: Any) -> Shipment:
    """The shipment if the caller owns or carries it; 404 otherwise (never 403)."""
    shipment = _shipments_visible_to(user).filter(pk=shipment_id).first()
    if shipment is None:
        raise NotFound()
    return shipments_with_tag_names([shipment])[0]


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
