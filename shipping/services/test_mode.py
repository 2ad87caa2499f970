"""Test mode's mail: a test shipment's mails go to its seller, marked.

A test key's shipments (``livemode`` false) never reach a recipient: every
mail about one is sent to the seller instead, with a notice naming who would
have had it (``emails.build_email`` marks the subject ``[TEST]``).
"""

from __future__ import annotations

from typing import Any

from shipping.models import Notification, Shipment, User
from shipping.services.notifications import notification_queue


def shipment_notify(
    shipment: Shipment, *, kind: str, context: dict[str, Any]
) -> Notification:
    """Mail the recipient about ``shipment``; a test shipment's mail goes to
    its seller instead, marked as a test (a recipient never hears of one)."""
    if shipment.livemode:
        return notification_queue(
            kind=kind, recipient=shipment.recipient_email, context=context
        )
    return notification_queue(
        kind=kind,
        recipient=seller_email(shipment.seller_id),
        context=test_mail_context(shipment, context),
    )


def seller_email(seller_id: int) -> str:
    return str(User.objects.values_list("email", flat=True).get(pk=seller_id))


def test_mail_context(shipment: Shipment, context: dict[str, Any]) -> dict[str, Any]:
    """A test shipment's mail context: marked, and naming who would have got it."""
    return {**context, "test_mode": True, "test_recipient": shipment.recipient_email}
