"""Reads of the shipping domain: what each caller may see, in few queries.

The API's hot reads (a page of shipments, one shipment, public tracking) are
compiled once per process (:mod:`fastship.compiled`) and answer plain rows:
no queryset built, no SQL compiled and no model instances made per request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import F, QuerySet, TextField
from django.db.models.functions import Cast

from fastship.compiled import CompiledQuery, Row
from shipping.exceptions import NotFound
from shipping.models import Shipment, ShipmentEvent, Tag, User


@dataclass(slots=True)
class ShipmentRow:
    """A shipment as the API shows it to its seller or partner."""

    id: Any
    tracking_code: str
    status: str
    content: str
    weight_kg: Decimal
    destination_zip_code: str
    recipient_email: str
    recipient_phone: str
    recipient_name: str
    recipient_address_line1: str
    recipient_address_line2: str
    reference: str
    metadata: dict[str, str]
    livemode: bool
    seller_id: int
    seller_name: str
    delivery_partner_id: int
    partner_name: str
    estimated_delivery: datetime | None
    created_at: datetime
    updated_at: datetime
    tag_names: list[str] = field(default_factory=list)


@dataclass(slots=True)
class EventRow:
    status: str
    location_zip_code: str
    description: str
    created_at: datetime

    def get_status_display(self) -> str:
        return str(Shipment.Status(self.status).label)


@dataclass(slots=True)
class TrackingRow:
    """The public view of a shipment: no recipient, no seller."""

    tracking_code: str
    status: str
    estimated_delivery: datetime | None
    partner_name: str
    events: list[EventRow]

    def get_status_display(self) -> str:
        return str(Shipment.Status(self.status).label)


# The metadata is read as its JSON text (no converter runs on the row: with
# one, every row of a page took Django's per-row converter loop) and parsed
# here, the usual empty map without parsing.
_COLUMNS = [
    "metadata_json" if name == "metadata" else name
    for name in ShipmentRow.__slots__
    if name != "tag_names"
]
_OWNER = {User.Role.SELLER: "seller", User.Role.PARTNER: "delivery_partner"}
_FIELD = Shipment._meta.get_field


def _shown(shipments: QuerySet[Shipment]) -> QuerySet[Any]:
    # The two names the answer shows, joined in as columns.
    return shipments.annotate(
        metadata_json=Cast("metadata", TextField()),
        seller_name=F("seller__user__name"),
        partner_name=F("delivery_partner__user__name"),
    ).values_list(*_COLUMNS)


def _detail_query(owner: str, livemode: bool) -> CompiledQuery:
    return CompiledQuery(
        lambda **values: _shown(
            Shipment.objects.filter(
                pk=values["shipment"], livemode=livemode, **{owner: values["owner"]}
            ).order_by()  # one row: nothing to sort
        ),
        {"owner": _FIELD(owner), "shipment": Shipment._meta.pk},
    )


# By owner and mode (a partner's are live only).
_DETAILS = {
    ("seller", True): _detail_query("seller", True),
    ("seller", False): _detail_query("seller", False),
    ("delivery_partner", True): _detail_query("delivery_partner", True),
}
_TAGS_OF: dict[int, CompiledQuery] = {}  # by how many shipments: an IN list each
_TRACKED = CompiledQuery(
    lambda code: (
        Shipment.objects.filter(tracking_code=code)
        .order_by()
        .annotate(partner_name=F("delivery_partner__user__name"))
        .values_list(
            "id", "tracking_code", "status", "estimated_delivery", "partner_name"
        )
    ),
    {"code": _FIELD("tracking_code")},
)
_SCANNED = CompiledQuery(
    lambda partner, code: (
        Shipment.objects.filter(
            tracking_code=code, delivery_partner=partner, livemode=True
        )
        .order_by()
        .values_list("pk")
    ),
    {"partner": _FIELD("delivery_partner"), "code": _FIELD("tracking_code")},
)
_EVENTS = CompiledQuery(
    lambda shipment: (
        ShipmentEvent.objects.filter(shipment_id=shipment)
        .order_by("created_at", "pk")
        .values_list("status", "location_zip_code", "description", "created_at")
    ),
    {"shipment": ShipmentEvent._meta.get_field("shipment")},
)


def _shipment_row(row: Row) -> ShipmentRow:
    text = row.pop("metadata_json")
    row["metadata"] = {} if text == "{}" else json.loads(text)
    return ShipmentRow(**row)


def _with_tag_names(rows: list[Row]) -> list[ShipmentRow]:
    """Shipment rows with their sorted tag names, in one query for them all."""
    shipments = [_shipment_row(row) for row in rows]
    if not shipments:
        return shipments
    query = _TAGS_OF.get(len(shipments)) or _tags_query(len(shipments))
    by_shipment = {shipment.id: shipment for shipment in shipments}
    values = {f"s{n}": shipment.id for n, shipment in enumerate(shipments)}
    for row in query.rows(**values):
        by_shipment[row["shipment_id"]].tag_names.append(row["tag__name"])
    for shipment in shipments:
        shipment.tag_names.sort()
    return shipments


def _tags_query(size: int) -> CompiledQuery:
    through = Shipment.tags.through
    query = CompiledQuery(
        lambda **values: through.objects.filter(
            shipment_id__in=[values[f"s{n}"] for n in range(size)]
        ).values_list("shipment_id", "tag__name"),
        {f"s{n}": through._meta.get_field("shipment") for n in range(size)},
    )
    return _TAGS_OF.setdefault(size, query)


def shipment_get_for_user(
    *, user: User, shipment_id: Any, tags: bool = True, livemode: bool = True
) -> ShipmentRow:
    """The shipment if the caller owns or carries it, in the caller's mode
    (a test key's shipments are test ones; partners carry live ones only);
    404 otherwise (never 403).

    Without ``tags`` its ``tag_names`` stay empty (one query fewer).
    """
    owner = _OWNER.get(user.role)  # type: ignore[call-overload]
    row = owner and _DETAILS[owner, mode_of(owner, livemode)].first(
        owner=user.pk, shipment=shipment_id
    )
    if not row:
        raise NotFound()
    return _with_tag_names([row])[0] if tags else _shipment_row(row)


def mode_of(owner: str | None, livemode: bool) -> bool:
    """The shipments an owner reads: a seller's in the caller's mode, a
    partner's live ones only (a test shipment never reaches a partner)."""
    return livemode if owner == "seller" else True


def shipment_id_for_scan(*, partner_id: int, tracking_code: str) -> Any:
    """The id of the partner's live shipment with this code, or None."""
    row = _SCANNED.first(partner=partner_id, code=tracking_code)
    return None if row is None else row["pk"]


def shipment_events(*, shipment_id: Any) -> list[EventRow]:
    """The timeline, oldest first."""
    return [EventRow(**row) for row in _EVENTS.rows(shipment=shipment_id)]


def tracking_code_known(*, tracking_code: str) -> bool:
    """Whether a shipment has this code (one query; no timeline read)."""
    return _TRACKED.first(code=tracking_code) is not None


def shipment_get_by_tracking_code(*, tracking_code: str) -> TrackingRow:
    """The public view of a shipment (the caller shows no personal data)."""
    row = _TRACKED.first(code=tracking_code)
    if row is None:
        raise NotFound()
    shipment_id = row.pop("id")
    return TrackingRow(**row, events=shipment_events(shipment_id=shipment_id))


def tag_list() -> QuerySet[Tag]:
    return Tag.objects.order_by("name")


def user_with_profile(*, user_id: int) -> User:
    """A user with the seller or partner row its role has (one query)."""
    return User.objects.select_related("seller", "partner").get(pk=user_id)
