"""Build domain objects for tests through the services (no shortcuts past the rules)."""

from __future__ import annotations

import itertools
from typing import Any

from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from shipping.models import DeliveryPartner, Seller, Shipment, User
from shipping.services import accounts, shipments

PASSWORD = "correct-horse-battery-42"
# A seller's create body, as the README's walkthrough sends it.
SHIPMENT_BODY = {
    "content": "A book",
    "weight_kg": "0.8",
    "destination_zip_code": "20095",
    "recipient_email": "you@example.org",
}
_numbers = itertools.count(1)


def seller_make(
    *, email: str | None = None, verified: bool = True, zip_code: str = "10115"
) -> Seller:
    number = next(_numbers)
    seller = accounts.seller_create(
        name=f"Seller {number}",
        email=email or f"seller{number}@example.com",
        password=PASSWORD,
        address=f"{number} Market Street",
        zip_code=zip_code,
    )
    if verified:
        User.objects.filter(pk=seller.pk).update(email_verified_at=timezone.now())
    return seller


def partner_make(
    *,
    zip_codes: tuple[str, ...] = ("20095",),
    capacity: int = 10,
    email: str | None = None,
    verified: bool = True,
    approved: bool = True,
) -> DeliveryPartner:
    number = next(_numbers)
    partner = accounts.partner_create(
        name=f"Partner {number}",
        email=email or f"partner{number}@example.com",
        password=PASSWORD,
        serviceable_zip_codes=list(zip_codes),
        max_handling_capacity=capacity,
    )
    if verified:
        User.objects.filter(pk=partner.pk).update(email_verified_at=timezone.now())
    if approved:
        accounts.partners_approve(partner_ids=[partner.pk])
        partner.refresh_from_db()
    return partner


def shipment_make(
    *, seller: Seller, zip_code: str = "20095", **fields: Any
) -> Shipment:
    values: dict[str, Any] = {
        "content": "Two books",
        "weight_kg": "1.50",
        "destination_zip_code": zip_code,
        "recipient_email": "recipient@example.org",
        "recipient_phone": "+4915112345678",
        **fields,
    }
    return shipments.shipment_create(seller=seller, **values)


def bearer(user: Any) -> dict[str, str]:
    """Return the Authorization header of a fresh access token for ``user``."""
    account = user if isinstance(user, User) else user.user
    return {
        "HTTP_AUTHORIZATION": f"Bearer {RefreshToken.for_user(account).access_token}"
    }
