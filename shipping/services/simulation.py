"""A test shipment moved by its seller as its partner would (test mode)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from shipping.models import Seller, Shipment
from shipping.services.shipments import (
    CANCELLABLE,
    PARTNER_TRANSITIONS,
    Status,
    default_description,
    shipment_cancel,
    shipment_check_open,
    shipment_locked,
    shipment_move,
    transition_check,
)

# What a test shipment may be moved to by its seller (POST .../simulate/{status}):
# the partner's steps, delivery without a code, and cancelling.
SIMULATED = PARTNER_TRANSITIONS | {(old, Status.CANCELLED) for old in CANCELLABLE}


def shipment_simulate(*, shipment_id: Any, seller: Seller, status: str) -> Shipment:
    """Move a test shipment as a partner would (no code is asked to deliver it):
    the same timeline, mails (to the seller) and webhooks (``livemode`` false)."""
    new = Status(status)
    if new == Status.CANCELLED:
        return shipment_cancel(shipment_id=shipment_id, seller=seller, livemode=False)
    with transaction.atomic():
        shipment = shipment_locked(
            shipment_id=shipment_id, seller=seller, livemode=False
        )
        old = Status(shipment.status)
        shipment_check_open(shipment)
        transition_check(old, new, SIMULATED)
        shipment_move(
            shipment,
            old=old,
            new=new,
            location_zip_code=shipment.destination_zip_code,
            description=f"{default_description(new, None)} (simulated)",
            estimated_delivery=None,
        )
    return shipment
