"""Fields a shop backend syncs by: its reference (one shipment each), its
metadata, the tracking URL, and the recipient's name and address, which
never reach a public page."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from shipping.models import Shipment
from tests.factories import SHIPMENT_BODY, bearer, partner_make, seller_make

pytestmark = pytest.mark.django_db

FULL = {
    **SHIPMENT_BODY,
    "reference": "ORDER-1001",
    "metadata": {"order_id": "1001", "channel": "web"},
    "recipient_name": "Grace Hopper",
    "recipient_address_line1": "1 Navy Yard",
    "recipient_address_line2": "",
    "tags": ["fragile"],
}


def create(api, seller, body, **headers):
    return api.post(
        "/api/v1/shipments/", body, format="json", **bearer(seller), **headers
    )


def test_a_reference_makes_one_shipment_and_a_repeat_answers_it(api, seeded_tags):
    seller = seller_make()
    partner_make(zip_codes=("20095",))
    first = create(api, seller, FULL)
    assert first.status_code == 201, first.content
    shown = first.json()
    assert shown["reference"] == "ORDER-1001"
    assert shown["metadata"] == FULL["metadata"]
    assert shown["recipient_name"] == "Grace Hopper"
    # The same body again (a retry after a timeout): the same shipment, 200.
    again = create(api, seller, {**FULL, "recipient_email": "YOU@example.org "})
    assert again.status_code == 200, again.content
    assert again.json() == shown
    # Another body with the reference: 409, nothing made.
    other = create(api, seller, {**FULL, "weight_kg": "2.0"})
    assert other.status_code == 409
    assert other.json()["errors"][0]["code"] == "reference_in_use"
    assert Shipment.objects.filter(seller=seller).count() == 1
    # Another seller's same reference is its own.
    assert create(api, seller_make(), FULL).status_code == 201
    # Without a reference, no limit.
    plain = {k: v for k, v in FULL.items() if k != "reference"}
    assert create(api, seller, plain).status_code == 201
    assert create(api, seller, plain).status_code == 201


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_with_one_reference_make_one_shipment(seeded_tags):
    """Two creates racing past the first lookup: the unique index decides,
    and the loser answers the winner's shipment."""
    import threading

    from django.db import connection

    from shipping.services.creation import shipment_create_answer

    seller = seller_make()
    partner_make(zip_codes=("20095",), capacity=10)
    fields: dict[str, Any] = {
        "content": "A book",
        "weight_kg": Decimal("0.8"),
        "destination_zip_code": "20095",
        "recipient_email": "you@example.org",
        "reference": "RACE-1",
    }
    answers, errors, barrier = [], [], threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            answers.append(shipment_create_answer(seller=seller, **fields).status)
        except Exception as error:  # the assertion below shows it
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(answers) == [200, 201]
    assert Shipment.objects.filter(reference="RACE-1").count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("reference", ""),
        ("reference", "has space"),
        ("reference", "x" * 101),
        ("metadata", {f"k{n}": "v" for n in range(21)}),
        ("metadata", {"k": "v" * 501}),
        ("metadata", {f"k{n}": "v" * 300 for n in range(15)}),  # > 4096 bytes
        ("metadata", {"bad key": "v"}),
        ("metadata", {"k": 1}),
        ("metadata", {"k": {"nested": "no"}}),
        ("metadata", ["not", "a", "map"]),
        ("recipient_name", "Ada\nLovelace"),
        ("recipient_name", "x" * 101),
        ("recipient_address_line1", "Road\x00"),
        ("recipient_address_line2", 12),
    ],
)
def test_bad_sync_fields_are_a_400_and_make_nothing(api, field, value):
    seller = seller_make()
    partner_make(zip_codes=("20095",))
    answer = create(api, seller, {**SHIPMENT_BODY, field: value})
    assert answer.status_code == 400, answer.content
    assert answer.json()["errors"][0]["attr"].split(".")[0] == field
    assert not Shipment.objects.exists()


def test_the_recipients_name_and_address_never_reach_public_pages(api, client):
    seller = seller_make()
    partner_make(zip_codes=("20095",))
    shown = create(api, seller, FULL).json()
    assert shown["tracking_url"].endswith(f"/track/{shown['tracking_code']}/")
    page = client.get(f"/track/{shown['tracking_code']}/")
    public_api = client.get(f"/api/v1/track/{shown['tracking_code']}/")
    for answer in (page, public_api):
        assert answer.status_code == 200
        for private in ("Grace Hopper", "1 Navy Yard", "ORDER-1001", "order_id"):
            assert private.encode() not in answer.content


def test_updated_since_lists_by_change_with_the_new_fields(api):
    seller = seller_make()
    partner = partner_make(zip_codes=("20095",))
    older = create(api, seller, {**FULL, "reference": "A", "tags": []}).json()
    newer = create(api, seller, {**FULL, "reference": "B", "tags": []}).json()
    api.patch(
        f"/api/v1/shipments/{older['id']}/",
        {"status": "in_transit"},
        format="json",
        **bearer(partner),
    )
    synced = api.get(
        "/api/v1/shipments/",
        {"updated_since": older["created_at"], "page_size": 1},
        **bearer(seller),
    ).json()
    assert [s["reference"] for s in synced["results"]] == ["B"]
    following = api.get(synced["next"], **bearer(seller)).json()
    assert [(s["reference"], s["status"]) for s in following["results"]] == [
        ("A", "in_transit")
    ]
    assert following["results"][0]["metadata"] == FULL["metadata"]
    del newer
