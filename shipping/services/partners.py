"""Partner choice for a new shipment: the least loaded approved one, reserved late."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import F

from fastship.compiled import CompiledQuery
from shipping.exceptions import NoPartnerAvailable
from shipping.models import DeliveryPartner, ServiceableZipCode, Shipment


@dataclass(frozen=True)
class PartnerChoice:
    id: int
    name: str


def _serving(*, with_capacity: bool) -> CompiledQuery:
    """Approved partners serving a zip code: with capacity left, least loaded
    first; or any of them (a test shipment's: it takes no capacity, and the
    partner never sees it), in a stable order."""

    def build(zip_code: Any) -> Any:
        partners = DeliveryPartner.objects.filter(
            zip_codes__zip_code=zip_code, approved_at__isnull=False
        )
        if with_capacity:
            partners = partners.filter(
                active_shipments__lt=F("max_handling_capacity")
            ).order_by("active_shipments", "pk")
        else:
            partners = partners.order_by("pk")
        return partners.values_list("pk", "user__name")

    return CompiledQuery(
        build, {"zip_code": ServiceableZipCode._meta.get_field("zip_code")}
    )


_CANDIDATES = _serving(with_capacity=True)
_SERVING = _serving(with_capacity=False)


def partner_candidates(*, zip_code: str, livemode: bool = True) -> list[PartnerChoice]:
    """Approved partners serving ``zip_code`` with capacity left, least loaded
    first; for a test shipment, every approved one serving it."""
    query = _CANDIDATES if livemode else _SERVING
    return [
        PartnerChoice(id=row["pk"], name=row["user__name"])
        for row in query.rows(zip_code=zip_code)
    ]


def partner_choose(*, zip_code: str, livemode: bool = True) -> PartnerChoice:
    """The least-loaded approved partner with capacity left, read without a
    lock; for a test shipment, the first approved partner serving the zip."""
    candidates = partner_candidates(zip_code=zip_code, livemode=livemode)
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
            for partner in partner_candidates(zip_code=zip_code)
            if partner.id not in tried
        ]
        if not others:
            raise NoPartnerAvailable(attr="destination_zip_code")
        candidate = others[0]
    if candidate.id != chosen.id:
        shipment.delivery_partner_id = candidate.id
        shipment.save(update_fields=["delivery_partner", "updated_at"])
    return candidate


def partner_release(*, shipment: Shipment) -> None:
    """Give back the unit of capacity a live shipment took (a test one took
    none)."""
    if not shipment.livemode:
        return
    DeliveryPartner.objects.filter(
        pk=shipment.delivery_partner_id, active_shipments__gt=0
    ).update(active_shipments=F("active_shipments") - 1)
