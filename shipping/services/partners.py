"""Partner choice for a new shipment: the least loaded approved one, reserved late."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F

from fastship.compiled import CompiledQuery
from shipping.exceptions import NoPartnerAvailable
from shipping.models import DeliveryPartner, ServiceableZipCode, Shipment


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


def partner_candidates(*, zip_code: str) -> list[PartnerChoice]:
    """Approved partners serving ``zip_code`` with capacity left, least loaded first."""
    return [
        PartnerChoice(id=row["pk"], name=row["user__name"])
        for row in _CANDIDATES.rows(zip_code=zip_code)
    ]


# A test shipment's partner: any approved one serving the zip code, full or
# not (it takes no capacity, and the partner never sees it).
_SERVING = CompiledQuery(
    lambda zip_code: (
        DeliveryPartner.objects.filter(
            zip_codes__zip_code=zip_code, approved_at__isnull=False
        )
        .order_by("pk")
        .values_list("pk", "user__name")
    ),
    {"zip_code": ServiceableZipCode._meta.get_field("zip_code")},
)


def partner_choose(*, zip_code: str, livemode: bool = True) -> PartnerChoice:
    """The least-loaded approved partner with capacity left, read without a
    lock; for a test shipment, the first approved partner serving the zip."""
    if livemode:
        candidates = partner_candidates(zip_code=zip_code)
    else:
        rows = _SERVING.rows(zip_code=zip_code)
        candidates = [PartnerChoice(id=r["pk"], name=r["user__name"]) for r in rows]
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


def partner_release(*, partner_id: int) -> None:
    DeliveryPartner.objects.filter(pk=partner_id, active_shipments__gt=0).update(
        active_shipments=F("active_shipments") - 1
    )
