"""Shipments: create with partner assignment, partner updates, cancel, tags."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F

from fastship.compiled import CompiledQuery
from shipping.exceptions import (
    DomainError,
    InvalidTransition,
    InvalidVerificationCode,
    NoPartnerAvailable,
    NotFound,
    UnknownTag,
    VerificationLocked,
)
from shipping.models import (
    DeliveryPartner,
    DeliveryVerification,
    Notification,
    Seller,
    ServiceableZipCode,
    Shipment,
    ShipmentEvent,
    Tag,
    normalize_zip_code,
)
from shipping.services.notifications import absolute_url, notification_queue
from shipping.services.tokens import delivery_code, review_token

Status = Shipment.Status
logger = logging.getLogger(__name__)
MAX_CODE_ATTEMPTS = 5
# Codes per shipment (one per delivery attempt) until staff allow more: with
# 5 guesses each, at most 15 guesses in all.
MAX_CODES_PER_SHIPMENT = 3

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


@dataclass(frozen=True)
class PartnerChoice:
    id: int
    name: str


_CANDIDATES = CompiledQuery(
    lambda zip_code: (
        DeliveryPartner.objects.filter(
            zip_codes__zip_code=zip_code,
            approved_at__isnull=False,
            active_shipments__lt=F("max_handling_capacity"),
        )
        .order_by("active_shipments", "pk")
        .values_list("pk", "user__name")
    ),
    {"zip_code": ServiceableZipCode._meta.get_field("zip_code")},
)


def _partner_candidates(*, zip_code: str) -> list[PartnerChoice]:
    """Approved partners serving ``zip_code`` with capacity left, least loaded first."""
    return [
        PartnerChoice(id=row["pk"], name=row["user__name"])
        for row in _CANDIDATES.rows(zip_code=zip_code)
    ]


def partner_choose(*, zip_code: str) -> PartnerChoice:
    """The least-loaded approved partner with capacity left, read without a lock."""
    candidates = _partner_candidates(zip_code=zip_code)
    if not candidates:
        raise NoPartnerAvailable(attr="destination_zip_code")
    return candidates[0]


def partner_reserve(
    *, shipment: Shipment, chosen: PartnerChoice, zip_code: str
) -> PartnerChoice:
    """Take one unit of the chosen partner's capacity, late in the transaction.

    One conditional UPDATE (``active < capacity``) per try: the partner row is
    locked only from here to the commit, so concurrent creates for one zip code
    no longer queue behind each other's whole transaction (they reached the
    statement timeout). If the partner filled up meanwhile, the next
    least-loaded one is taken. With capacity N exactly N creates succeed: the
    UPDATE's condition is re-checked on the committed row, and the database's
    check constraint backs it up. Each transaction holds at most one partner
    row, so creates cannot deadlock. Returns the partner that was taken.
    """
    candidate = chosen
    tried: set[int] = set()
    while not DeliveryPartner.objects.filter(
        pk=candidate.id, active_shipments__lt=F("max_handling_capacity")
    ).update(active_shipments=F("active_shipments") + 1):
        tried.add(candidate.id)
        others = [
            partner
            for partner in _partner_candidates(zip_code=zip_code)
            if partner.id not in tried
        ]
        if not others:
            raise NoPartnerAvailable(attr="destination_zip_code")
        candidate = others[0]
    if candidate.id != chosen.id:
        shipment.delivery_partner_id = candidate.id
        shipment.save(update_fields=["delivery_partner", "updated_at"])
    return candidate


def _partner_release(*, partner_id: int) -> None:
    DeliveryPartner.objects.filter(pk=partner_id, active_shipments__gt=0).update(
        active_shipments=F("active_shipments") - 1
    )


def _event_append(
    *, shipment: Shipment, location_zip_code: str = "", description: str = ""
) -> ShipmentEvent:
    return ShipmentEvent.objects.create(
        shipment=shipment,
        status=shipment.status,
        location_zip_code=location_zip_code,
        description=description,
    )


def _tracking_context(
    shipment: Shipment, *, partner_name: str | None = None
) -> dict[str, Any]:
    return {
        "tracking_code": shipment.tracking_code,
        "tracking_url": absolute_url(f"/track/{shipment.tracking_code}/"),
        "content": shipment.content,
        "partner_name": partner_name or shipment.delivery_partner.user.name,
    }


def _tags_get(names: Iterable[str]) -> list[Tag]:
    wanted = set(names)
    tags = list(Tag.objects.filter(name__in=wanted))
    missing = wanted - {tag.name for tag in tags}
    if missing:
        raise UnknownTag(f"Unknown tag: {', '.join(sorted(missing))}.", attr="tags")
    return tags


@transaction.atomic
def shipment_create(
    *,
    seller: Seller,
    content: str,
    weight_kg: Decimal,
    destination_zip_code: str,
    recipient_email: str,
    recipient_phone: str = "",
    tags: Iterable[str] = (),
) -> Shipment:
    """Create a shipment, assign a partner, start the timeline, notify the recipient."""
    zip_code = normalize_zip_code(destination_zip_code)
    tag_objects = _tags_get(tags)
    chosen = partner_choose(zip_code=zip_code)
    shipment = Shipment.objects.create(
        seller=seller,
        delivery_partner_id=chosen.id,
        content=content,
        weight_kg=weight_kg,
        destination_zip_code=zip_code,
        recipient_email=recipient_email.strip().lower(),
        recipient_phone=recipient_phone,
    )
    if tag_objects:
        shipment.tags.set(tag_objects)
    _event_append(
        shipment=shipment,
        location_zip_code=seller.zip_code,
        description="Shipment placed",
    )
    # Last: the partner row is locked only from here to the commit.
    partner = partner_reserve(shipment=shipment, chosen=chosen, zip_code=zip_code)
    notification_queue(
        kind=Notification.Kind.SHIPMENT_PLACED,
        recipient=shipment.recipient_email,
        context=_tracking_context(shipment, partner_name=partner.name),
    )
    # What the answer shows, known here: not read back (the serializer's hooks).
    shipment.partner_name = partner.name  # type: ignore[attr-defined]
    shipment.tag_names = sorted(tag.name for tag in tag_objects)  # type: ignore[attr-defined]
    return shipment


def _code_hash(shipment_id: Any, code: str) -> str:
    message = f"{shipment_id}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _verification_start(*, shipment: Shipment) -> str | None:
    """Issue the next delivery code; return the nonce it is derived from.

    Only the code's hash is stored. After ``MAX_CODES_PER_SHIPMENT`` codes
    the verification is locked instead (None) until staff allow new codes.
    """
    verification, _ = DeliveryVerification.objects.select_for_update().get_or_create(
        shipment=shipment, defaults={"code_hash": ""}
    )
    if verification.codes_issued >= MAX_CODES_PER_SHIPMENT:
        verification.voided = True
        verification.save(update_fields=["voided"])
        return None
    nonce = secrets.token_urlsafe(16)
    code = delivery_code(shipment_id=shipment.pk, nonce=nonce)
    verification.code_hash = _code_hash(shipment.pk, code)
    verification.codes_issued += 1
    verification.failed_attempts = 0
    verification.voided = False
    verification.save()
    return nonce


def delivery_codes_allow(*, shipment_ids: Iterable[Any]) -> int:
    """Let locked shipments get codes again (staff); the next attempt issues one."""
    return DeliveryVerification.objects.filter(
        shipment_id__in=list(shipment_ids), voided=True
    ).update(codes_issued=0, failed_attempts=0)


def _verification_check(*, shipment: Shipment, code: str) -> DomainError | None:
    """Return the error of a wrong code (after counting it), or None if right."""
    verification = (
        DeliveryVerification.objects.select_for_update()
        .filter(shipment=shipment)
        .first()
    )
    if verification is None or verification.voided:
        return VerificationLocked(attr="verification_code")
    if hmac.compare_digest(verification.code_hash, _code_hash(shipment.pk, code)):
        verification.delete()  # used: it cannot deliver twice
        return None
    verification.failed_attempts += 1
    verification.voided = verification.failed_attempts >= MAX_CODE_ATTEMPTS
    verification.save(update_fields=["failed_attempts", "voided"])
    if verification.voided:
        return VerificationLocked(attr="verification_code")
    return InvalidVerificationCode(attr="verification_code")


def _shipment_locked(
    *,
    shipment_id: Any,
    seller: Seller | None = None,
    partner: DeliveryPartner | None = None,
) -> Shipment:
    """The shipment, row-locked for this transaction, if it is the owner's.

    Another owner's shipment is a 404, exactly like one that does not exist.
    """
    owner = {"seller": seller} if seller is not None else {"delivery_partner": partner}
    shipment = (
        Shipment.objects.select_for_update(of=("self",))
        .select_related("delivery_partner__user")
        .filter(pk=shipment_id, **owner)
        .first()
    )
    if shipment is None:
        raise NotFound()
    return shipment


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
        shipment = _shipment_locked(shipment_id=shipment_id, partner=partner)
        old = Status(shipment.status)
        new = Status(status) if status is not None else None
        if old in FINISHED:
            # Delivered and cancelled shipments are frozen, timeline included.
            raise InvalidTransition(
                f"A {old.value} shipment is finished and cannot change.",
                attr="status",
            )
        if new is not None and (old, new) not in PARTNER_TRANSITIONS:
            raise InvalidTransition(
                f"A shipment cannot go from {old.value} to {new.value}.", attr="status"
            )
        if new == Status.DELIVERED:
            error = _verification_check(shipment=shipment, code=verification_code or "")
        if error is None:
            _shipment_apply(
                shipment=shipment,
                new=new,
                location_zip_code=location_zip_code,
                description=description,
                estimated_delivery=estimated_delivery,
            )
    if error is not None:
        raise error
    return shipment


def _shipment_apply(
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
    _event_append(
        shipment=shipment,
        location_zip_code=normalize_zip_code(location_zip_code or ""),
        description=description or _default_description(new, estimated_delivery),
    )
    if new == Status.OUT_FOR_DELIVERY:
        nonce = _verification_start(shipment=shipment)
        if nonce is None:
            logger.warning(
                "shipment %s used its %s delivery codes: no new code until staff "
                "allow it in the admin",
                shipment.pk,
                MAX_CODES_PER_SHIPMENT,
            )
            return
        notification_queue(
            kind=Notification.Kind.OUT_FOR_DELIVERY,
            recipient=shipment.recipient_email,
            context={
                **_tracking_context(shipment),
                "shipment_id": str(shipment.pk),
                "code_nonce": nonce,
            },
        )
    elif new == Status.DELIVERED:
        _partner_release(partner_id=shipment.delivery_partner_id)
        token = review_token(shipment=shipment)
        notification_queue(
            kind=Notification.Kind.DELIVERED,
            recipient=shipment.recipient_email,
            context={
                **_tracking_context(shipment),
                "secret_link": absolute_url(f"/review/{token}/"),
            },
        )


def _default_description(
    new: Status | None, estimated_delivery: datetime | None
) -> str:
    if new is None:
        return "Estimated delivery updated" if estimated_delivery else "Update"
    return {
        Status.IN_TRANSIT: "In transit",
        Status.OUT_FOR_DELIVERY: "Out for delivery",
        Status.DELIVERED: "Delivered",
    }.get(new, new.label)


@transaction.atomic
def shipment_cancel(*, shipment_id: Any, seller: Seller) -> Shipment:
    """Cancel a placed or in-transit shipment; free the partner; tell the recipient."""
    shipment = _shipment_locked(shipment_id=shipment_id, seller=seller)
    if shipment.status not in CANCELLABLE:
        raise InvalidTransition(
            f"A shipment cannot go from {shipment.status} to cancelled.", attr="status"
        )
    shipment.status = Status.CANCELLED
    shipment.save(update_fields=["status", "updated_at"])
    _partner_release(partner_id=shipment.delivery_partner_id)
    DeliveryVerification.objects.filter(shipment=shipment).delete()
    _event_append(shipment=shipment, description="Cancelled by the seller")
    notification_queue(
        kind=Notification.Kind.CANCELLED,
        recipient=shipment.recipient_email,
        context=_tracking_context(shipment),
    )
    return shipment


@transaction.atomic
def shipment_tag_add(*, shipment_id: Any, seller: Seller, name: str) -> Shipment:
    """Add a handling tag (recorded on the timeline)."""
    shipment = _shipment_locked(shipment_id=shipment_id, seller=seller)
    (tag,) = _tags_get([name])
    if not shipment.tags.filter(pk=tag.pk).exists():
        shipment.tags.add(tag)
        _event_append(shipment=shipment, description=f"Tag {tag.name} added")
    return shipment


@transaction.atomic
def shipment_tag_remove(*, shipment_id: Any, seller: Seller, name: str) -> None:
    """Remove a handling tag (recorded on the timeline); unknown or absent is 404."""
    shipment = _shipment_locked(shipment_id=shipment_id, seller=seller)
    tag = shipment.tags.filter(name=name).first()
    if tag is None:
        raise NotFound()
    shipment.tags.remove(tag)
    _event_append(shipment=shipment, description=f"Tag {tag.name} removed")
