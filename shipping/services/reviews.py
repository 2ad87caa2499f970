"""Reviews: one per delivered shipment, through the link in the delivered email."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from shipping.exceptions import AlreadyReviewed
from shipping.models import Review
from shipping.services.tokens import review_shipment


def review_create(*, token: str, rating: int, comment: str = "") -> Review:
    """Record the recipient's review; a second one is refused."""
    shipment = review_shipment(token=token)
    if Review.objects.filter(shipment=shipment).exists():
        raise AlreadyReviewed()
    try:
        with transaction.atomic():
            return Review.objects.create(
                shipment=shipment, rating=rating, comment=comment
            )
    except IntegrityError:  # two submissions at the same moment
        raise AlreadyReviewed() from None
