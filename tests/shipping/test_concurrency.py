"""Concurrency on PostgreSQL: capacity holds and one key makes one shipment."""

from __future__ import annotations

import functools
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from shipping.exceptions import NoPartnerAvailable
from shipping.models import DeliveryPartner, Shipment
from shipping.services.shipments import shipment_create
from tests.factories import bearer, partner_make, seller_make

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(count: int, work):
    barrier = threading.Barrier(count)

    def one(number: int):
        try:
            barrier.wait(timeout=10)
            return work(number)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def create_for(seller, number: int) -> str:
    """One create to zip 20095: "created", or "refused" when no partner has room."""
    try:
        shipment_create(
            seller=seller,
            content=f"parcel {number}",
            weight_kg=Decimal("1.0"),
            destination_zip_code="20095",
            recipient_email=f"r{number}@example.org",
        )
    except NoPartnerAvailable:
        return "refused"
    return "created"


def test_capacity_n_allows_exactly_n_concurrent_creates():
    """Twelve simultaneous creates against capacity 3: exactly 3 succeed."""
    seller = seller_make()
    partner = partner_make(zip_codes=("20095",), capacity=3)

    outcomes = run_together(12, functools.partial(create_for, seller))
    assert outcomes.count("created") == 3
    assert outcomes.count("refused") == 9
    assert Shipment.objects.count() == 3
    assert DeliveryPartner.objects.get(pk=partner.pk).active_shipments == 3


def test_fifty_creates_for_one_zip_code_fill_two_partners_exactly():
    """50 simultaneous creates, two partners of capacity 20: 40 made, 10 refused.

    No create waits on another's whole transaction (the partner row is taken
    last), so none reaches the statement timeout: every outcome is a shipment
    or a clean refusal, never a database error.
    """
    seller = seller_make()
    first = partner_make(zip_codes=("20095",), capacity=20)
    second = partner_make(zip_codes=("20095",), capacity=20)

    outcomes = run_together(50, functools.partial(create_for, seller))
    assert outcomes.count("created") == 40
    assert outcomes.count("refused") == 10
    loads = dict(
        DeliveryPartner.objects.filter(pk__in=[first.pk, second.pk]).values_list(
            "pk", "active_shipments"
        )
    )
    assert loads == {first.pk: 20, second.pk: 20}
    assert Shipment.objects.filter(delivery_partner=first).count() == 20
    assert Shipment.objects.filter(delivery_partner=second).count() == 20


def test_least_loaded_partner_wins():
    """Creates spread to the least-loaded partner, ties broken by id."""
    seller = seller_make()
    first = partner_make(zip_codes=("20095",), capacity=10)
    second = partner_make(zip_codes=("20095",), capacity=10)
    assigned = []
    for number in range(4):
        shipment = shipment_create(
            seller=seller,
            content=str(number),
            weight_kg=Decimal("1.0"),
            destination_zip_code="20095",
            recipient_email="r@example.org",
        )
        assigned.append(shipment.delivery_partner_id)
    assert assigned == [first.pk, second.pk, first.pk, second.pk]


def test_one_idempotency_key_makes_one_shipment():
    """Eight simultaneous requests with one key: one shipment, eight equal answers."""
    seller = seller_make()
    partner_make(zip_codes=("20095",), capacity=50)
    body = {
        "content": "Only once",
        "weight_kg": "1.0",
        "destination_zip_code": "20095",
        "recipient_email": "once@example.org",
    }
    headers: dict[str, Any] = {**bearer(seller), "HTTP_IDEMPOTENCY_KEY": "same-key-1"}

    def post(number: int):
        response = APIClient().post(
            "/api/v1/shipments/", body, format="json", **headers
        )
        return response.status_code, response.json().get("id")

    results = run_together(8, post)
    assert {status for status, _ in results} == {201}
    assert len({shipment_id for _, shipment_id in results}) == 1
    assert Shipment.objects.filter(content="Only once").count() == 1
