"""The fast read paths answer exactly what DRF's generic serializer would."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework import serializers

from shipping import selectors
from shipping.models import Shipment
from shipping.representations import ShipmentOutputSerializer
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
    shipments = selectors.shipment_list_for_user(user=seller.user)
    page = shipments.window(after=None, backwards=False, limit=20)
    assert [ShipmentOutputSerializer(s).data for s in page] == expected


def queries_for(client, path: str, seller) -> list[str]:
    header = bearer(seller)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, **header)
    assert response.status_code == 200, response.content
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.parametrize("filters", ["", "&status=placed", "&tag=fragile"])
def test_list_queries_do_not_grow_with_the_page(client, seeded_tags, filters):
    seller = seller_make()
    partner_make(zip_codes=("20095",), capacity=20)
    for _ in range(12):
        shipment_make(seller=seller, tags=["fragile", "express"])
    small = queries_for(client, f"/api/v1/shipments/?page_size=2{filters}", seller)
    large = queries_for(client, f"/api/v1/shipments/?page_size=50{filters}", seller)
    # Authentication, the page, the page's tags: whatever the size, no count.
    assert len(small) == len(large) == 3, large
    assert not any("COUNT(" in sql.upper() for sql in large)
    listing = client.get(
        f"/api/v1/shipments/?page_size=50{filters}", **bearer(seller)
    ).json()
    assert len(listing["results"]) == 12
    assert listing["next"] is None
    assert all(row["tags"] == ["express", "fragile"] for row in listing["results"])


def test_detail_events_and_tracking_are_fixed_query_counts(client, seeded_tags):
    seller = seller_make()
    partner_make(zip_codes=("20095",))
    shipment = shipment_make(seller=seller, tags=["fragile"])
    detail = queries_for(client, f"/api/v1/shipments/{shipment.pk}/", seller)
    assert len(detail) == 3  # authentication, the shipment, its tags
    events = queries_for(client, f"/api/v1/shipments/{shipment.pk}/events/", seller)
    assert len(events) == 3  # authentication, the shipment, its events
    with CaptureQueriesContext(connection) as captured:
        answer = client.get(f"/api/v1/track/{shipment.tracking_code}/")
    assert answer.status_code == 200
    assert len(captured.captured_queries) == 2  # the shipment, its events


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # as served: no test transaction around
def test_a_create_is_four_statements_whatever_it_writes(client, seeded_tags):
    """Authentication with the seller's profile, the partners, the seller's
    webhooks, and one statement that writes everything (no BEGIN/COMMIT)."""
    from shipping.models import WebhookEndpoint
    from tests.factories import SHIPMENT_BODY

    seller = seller_make()
    partner_make(zip_codes=("20095",), capacity=20)
    WebhookEndpoint.objects.create(
        seller=seller, url="https://shop.example/hooks", events=["shipment.created"]
    )
    header = bearer(seller)
    for extra, headers in (
        ({}, {}),
        ({"tags": ["fragile"]}, {}),
        ({}, {"HTTP_IDEMPOTENCY_KEY": "order-1"}),
    ):
        with CaptureQueriesContext(connection) as captured:
            response = client.post(
                "/api/v1/shipments/",
                {**SHIPMENT_BODY, **extra},
                content_type="application/json",
                **header,
                **headers,
            )
        assert response.status_code == 201, response.content
        statements = [q["sql"] for q in captured.captured_queries]
        assert len(statements) <= 4 + bool(extra), statements
        assert not any(sql in ("BEGIN", "COMMIT") for sql in statements), statements
