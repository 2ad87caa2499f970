"""A seller's reference (its order number): one shipment per seller and mode.

A create that names a reference used before is a repeat (a retry after a
timeout) when it asks for the same fields, and answers that shipment; with
other fields it is refused. Two creates racing with one reference meet at the
unique index ``shipment_reference_unique``; the loser looks again here.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shipping.exceptions import ReferenceInUse
from shipping.models import Seller, Shipment, normalize_zip_code


def shipment_referenced(
    *, seller: Seller, livemode: bool, fields: dict[str, Any]
) -> Shipment | None:
    """The shipment ``fields["reference"]`` names if ``fields`` ask for the
    same one (the create's fields, as given); None if the reference is new;
    ``ReferenceInUse`` (409) if they ask for another."""
    earlier = (
        Shipment.objects.select_related("delivery_partner__user", "seller__user")
        .filter(seller=seller, livemode=livemode, reference=fields["reference"])
        .first()
    )
    if earlier is None:
        return None
    asked = dict(fields, tags=sorted(set(fields["tags"])))
    asked["destination_zip_code"] = normalize_zip_code(asked["destination_zip_code"])
    asked["recipient_email"] = asked["recipient_email"].strip().lower()
    asked["weight_kg"] = Decimal(str(asked["weight_kg"]))
    held = {name: getattr(earlier, name) for name in asked if name != "tags"}
    held["tags"] = sorted(tag.name for tag in earlier.tags.all())
    if held != asked:
        raise ReferenceInUse(attr="reference")
    return earlier
