"""The fast read paths answer exactly what DRF's generic serializer would."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework import serializers

from shipping import selectors
from shipping.apis.shipments import ShipmentOutputSerializer
from shipping.models import Shipment
from tests.factories import bearer, partner_make, seller_make, shipment_make

pytestmark = pytest.mark.django_db


def generic(shipment: Shipment) -> dict:
    """DRF's own field-by-field representation of the same serializer."""
    return dict(
        serializers.Serializer.to_representation(ShipmentOutputSerializer(), shipment)
    )


def test_shipment_output_matches_the_generic_serializer(client, seeded_tags):
    seller = seller_make()
    partner_make(zip_codes=("20095",))
    plain = shipment_make(seller=seller, recipient_phone="", weight_kg="0.5")
    tagged = shipment_make(seller=seller, tags=["fragile", "express"])
    Shipment.objects.filter(pk=tagged.pk).update(
        estimated_delivery=timezone.now() + timedelta(days=2)
    )
    listing = client.get("/api/v1/shipments/", **bearer(seller)).json()["results"]
    detail = client.get(f"/api/v1/shipments/{tagged.pk}/", **bearer(seller)).json()
    fresh = {s.pk: s for s in Shipment.objects.filter(pk__in=[plain.pk, tagged.pk])}
    expected = [generic(fresh[tagged.pk]), generic(fresh[plain.pk])]
    assert listing == expected
    assert detail == expected[0]
    assert detail["tags"] == ["express", "fragile"]
    assert detail["estimated_delivery"].endswith("Z")
    assert listing[1]["weight_kg"] == "0.50"
    # The selectors' joined names and tag lists give the same answer too.
    page = selectors.shipments_with_tag_names(
        selectors.shipment_list_for_user(user=seller.user)
    )
    assert [ShipmentOutputSerializer(s).data for s in page] == expected
