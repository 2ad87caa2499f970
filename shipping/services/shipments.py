"""Shipments: create with partner assignment, partner updates, cancel."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction

from shipping.exceptions import DomainError, InvalidTransition, NotFound
from shipping.models import (
    DeliveryPartner,
    DeliveryVerification,
    Notification,
    Seller,
    Shipment,
    ShipmentEvent,
    Tag,
    WebhookEndpoint,
    normalize_zip_code,
)
from shipping.representations import tracking_url
from shipping.services.delivery_codes import (
    MAX_CODES_PER_SHIPMENT,
    verification_check,
    verification_start,
)
from shipping.services.notifications import absolute_url
from shipping.services.partners import partner_choose, partner_release, partner_reserve
from shipping.services.test_mode import shipment_notify
from shipping.services.tokens import review_token
from shipping.services.webhooks import webhook_events_record

Status = Shipment.Status
Event = WebhookEndpoint.Event
logger = logging.getLogger(__name__)

# (from, to) pairs a partner may make; a seller may only cancel.
PARTNER_TRANSITIONS = frozenset(
    {
        (Status.PLACED, Status.IN_TRANSIT),
        (Status.IN_TRANSIT, Status.IN_TRANSIT),
        (Status.IN_TRANSIT, Status.OUT_FOR_DELIVERY),
        (Status.OUT_FOR_DELIVERY, Status.IN_TRANSIT),
        (Status.OUT_FOR_DELIVERY, Status.DELIVERED),
    }
)
CANCELLABLE = frozenset({Status.PLACED, Status.IN_TRANSIT})
FINISHED = frozenset({Status.DELIVERED, Status.CANCELLED})


def event_append(
    *, shipment: Shipment, location_zip_code: str = "", description: str = ""
) -> ShipmentEvent:
    return ShipmentEvent.objects.create(
        shipment=shipment,
        status=shipment.status,
        location_zip_code=location_zip_code,
        description=description,
    )


def tracking_context(
    shipment: Shipment, *, partner_name: str | None = None
) -> dict[str, Any]:
    """What a recipient's mail about ``shipment`` says and links to."""
    return {
        "tracking_code": shipment.tracking_code,
        "tracking_url": tracking_url(shipment.tracking_code),
        "content": shipment.content,
        "partner_name": partner_name or shipment.delivery_partner.user.name,
    }


def shipment_create(*, seller: Seller, **fields: Any) -> Shipment:
    """Create a shipment (``creation.shipment_create_answer`` without a key): the
    shipment, with ``partner_name`` and ``tag_names`` as the answer shows them."""
    from shipping.services.creation import shipment_create_answer

    created = shipment_create_answer(seller=seller, **fields)
    if created.shipment is None:  # only a replay has none, and a key makes it
        raise RuntimeError("a create without a key answered a replay")
    return created.shipment


@transaction.atomic
def shipment_write(*, shipment: Shipment, tags: list[Tag], origin: str) -> Shipment:
    """Write a new shipment by the ORM (SQLite; PostgreSQL writes it in one
    statement): a partner is reserved, the timeline started, the recipient
    told and the seller's webhooks recorded, in one transaction."""
    zip_code = shipment.destination_zip_code
    chosen = partner_choose(zip_code=zip_code, livemode=shipment.livemode)
    shipment.delivery_partner_id = chosen.id
    shipment.save(force_insert=True)
    if tags:
        shipment.tags.set(tags)
    event_append(
        shipment=shipment, location_zip_code=origin, description="Shipment placed"
    )
    # Last: the partner row is locked only from here to the commit. A test
    # shipment takes no capacity.
    partner = chosen
    if shipment.livemode:
        partner = partner_reserve(shipment=shipment, chosen=chosen, zip_code=zip_code)
    shipment_notify(
        shipment,
        kind=Notification.Kind.SHIPMENT_PLACED,
        context=tracking_context(shipment, partner_name=partner.name),
    )
    shipment.partner_name = partner.name  # type: ignore[attr-defined]
    webhook_events_record(shipment=shipment, events=[Event.SHIPMENT_CREATED])
    return shipment


def shipment_locked(
    *,
    shipment_id: Any,
    seller: Seller | None = None,
    partner: DeliveryPartner | None = None,
    livemode: bool = True,
) -> Shipment:
    """The shipment, row-locked for this transaction, if it is the owner's
    and in the caller's mode (a partner's are live).

    Another owner's shipment is a 404, exactly like one that does not exist.
    """
    owner = {"seller": seller} if seller is not None else {"delivery_partner": partner}
    shipment = (
        Shipment.objects.select_for_update(of=("self",))
        .select_related("delivery_partner__user")
        .filter(pk=shipment_id, livemode=livemode, **owner)
        .first()
    )
    if shipment is None:
        raise NotFound()
    return shipment


def shipment_check_open(shipment: Shipment, *, attr: str = "status") -> None:
    """Delivered and cancelled shipments are frozen: timeline, tags and all."""
    if shipment.status in FINISHED:
        raise InvalidTransition(
            f"A {shipment.status} shipment is finished and cannot change.", attr=attr
        )


def shipment_update(
    *,
    shipment_id: Any,
    partner: DeliveryPartner,
    status: str | None = None,
    location_zip_code: str | None = None,
    description: str | None = None,
    estimated_delivery: datetime | None = None,
    verification_code: str | None = None,
) -> Shipment:
    """Apply a partner's update: a transition from the table, a scan, an estimate.

    A wrong delivery code is counted and committed before the error is raised.
    """
    error: DomainError | None = None
    with transaction.atomic():
        shipment = shipment_locked(shipment_id=shipment_id, partner=partner)
        old = Status(shipment.status)
        new = Status(status) if status is not None else None
        shipment_check_open(shipment)
        transition_check(old, new, PARTNER_TRANSITIONS)
        if new == Status.DELIVERED:
            error = verification_check(shipment=shipment, code=verification_code or "")
        if error is None:
            shipment_move(
                shipment,
                old=old,
                new=new,
                location_zip_code=location_zip_code,
                description=description,
                estimated_delivery=estimated_delivery,
            )
    if error is not None:
        raise error
    return shipment


def transition_check(
    old: Status, new: Status | None, allowed: frozenset[tuple[Status, Status]]
) -> None:
    """409 ``invalid_transition`` unless ``old`` to ``new`` is in ``allowed``."""
    if new is not None and (old, new) not in allowed:
        raise InvalidTransition(
            f"A shipment cannot go from {old.value} to {new.value}.", attr="status"
        )


def shipment_move(
    shipment: Shipment, *, old: Status, new: Status | None, **fields: Any
) -> None:
    """Apply a checked change (:func:`shipment_apply`) and record the
    webhook events a new status makes."""
    shipment_apply(shipment=shipment, new=new, **fields)
    if new is not None and new != old:
        webhook_events_record(shipment=shipment, events=events_of(new))


def shipment_apply(
    *,
    shipment: Shipment,
    new: Status | None,
    location_zip_code: str | None,
    description: str | None,
    estimated_delivery: datetime | None,
) -> None:
    fields = ["updated_at"]
    if estimated_delivery is not None:
        shipment.estimated_delivery = estimated_delivery
        fields.append("estimated_delivery")
    if new is not None:
        shipment.status = new
        fields.append("status")
    shipment.save(update_fields=fields)
    event_append(
        shipment=shipment,
        location_zip_code=normalize_zip_code(location_zip_code or ""),
        description=description or default_description(new, estimated_delivery),
    )
    if new == Status.OUT_FOR_DELIVERY:
        nonce = verification_start(shipment=shipment)
        if nonce is None:
            logger.warning(
                "shipment %s used its %s delivery codes: no new code until staff "
                "allow it in the admin",
                shipment.pk,
                MAX_CODES_PER_SHIPMENT,
            )
            return
        shipment_notify(
            shipment,
            kind=Notification.Kind.OUT_FOR_DELIVERY,
            context={
                **tracking_context(shipment),
                "shipment_id": str(shipment.pk),
                "code_nonce": nonce,
            },
        )
    elif new == Status.DELIVERED:
        partner_release(shipment=shipment)
        token = review_token(shipment=shipment)
        shipment_notify(
            shipment,
            kind=Notification.Kind.DELIVERED,
            context={
                **tracking_context(shipment),
                "secret_link": absolute_url(f"/review/{token}/"),
            },
        )


def events_of(new: Status) -> list[str]:
    """The webhook events a change of status to ``new`` makes."""
    extra = {
        Status.DELIVERED: Event.SHIPMENT_DELIVERED,
        Status.CANCELLED: Event.SHIPMENT_CANCELLED,
    }
    return [Event.SHIPMENT_STATUS_CHANGED, *([extra[new]] if new in extra else [])]


def default_description(new: Status | None, estimated_delivery: datetime | None) -> str:
    if new is None:
        return "Estimated delivery updated" if estimated_delivery else "Update"
    return {
        Status.IN_TRANSIT: "In transit",
        Status.OUT_FOR_DELIVERY: "Out for delivery",
        Status.DELIVERED: "Delivered",
    }.get(new, new.label)


@transaction.atomic
def shipment_cancel(
    *, shipment_id: Any, seller: Seller, livemode: bool = True
) -> Shipment:
    """Cancel a placed or in-transit shipment; free the partner; tell the recipient."""
    shipment = shipment_locked(
        shipment_id=shipment_id, seller=seller, livemode=livemode
    )
    if shipment.status not in CANCELLABLE:
        raise InvalidTransition(
            f"A shipment cannot go from {shipment.status} to cancelled.", attr="status"
        )
    shipment.status = Status.CANCELLED
    shipment.save(update_fields=["status", "updated_at"])
    partner_release(shipment=shipment)
    DeliveryVerification.objects.filter(shipment=shipment).delete()
    event_append(shipment=shipment, description="Cancelled by the seller")
    webhook_events_record(shipment=shipment, events=events_of(Status.CANCELLED))
    shipment_notify(
        shipment, kind=Notification.Kind.CANCELLED, context=tracking_context(shipment)
    )
    return shipment
