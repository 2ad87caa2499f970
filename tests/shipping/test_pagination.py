"""Lists are read by keyset cursors; old page numbers work, deprecated, one release."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from fastship.api import pagination
from shipping.models import Shipment, ShipmentEvent
from shipping.services import api_keys, shipments
from tests.factories import bearer, partner_make, seller_make, shipment_make

pytestmark = pytest.mark.django_db


def contents(answer: dict) -> list[str]:
    return [row["content"] for row in answer["results"]]


def link(response, rel: str) -> str:
    found = re.search(rf'<([^>]+)>; rel="{rel}"', response.get("Link", ""))
    assert found, response.get("Link")
    return found[1]


@pytest.fixture
def seller_with_25(seeded_tags):
    """A seller with parcels 0..24 (24 the newest), three sharing one instant."""
    partner = partner_make(zip_codes=("20095",), capacity=50)
    seller = seller_make()
    start = timezone.now() - timedelta(days=1)
    for number in range(25):
        shipment = shipment_make(seller=seller, content=f"parcel {number:02}")
        moment = start + timedelta(minutes=number)
        if number in (10, 11, 12):  # a bulk import: the same microsecond
            moment = start + timedelta(minutes=10)
        Shipment.objects.filter(pk=shipment.pk).update(
            created_at=moment, updated_at=moment
        )
    return seller, partner


def walk(client, seller, first: str, direction: str = "next") -> list[list[str]]:
    pages, url = [], first
    while url:
        response = client.get(url, **bearer(seller))
        assert response.status_code == 200, response.content
        answer = response.json()
        pages.append(
            [row.get("content", row.get("created_at")) for row in answer["results"]]
        )
        url = answer[direction]
    return pages


def test_next_links_visit_every_shipment_once_newest_first(client, seller_with_25):
    """Ties on the timestamp are broken by id: nothing skipped, nothing twice."""
    seller, _ = seller_with_25
    pages = walk(client, seller, "/api/v1/shipments/?page_size=4")
    seen = [content for page in pages for content in page]
    assert len(pages) == 7
    assert sorted(seen) == [f"parcel {n:02}" for n in range(25)]
    assert len(set(seen)) == 25
    by_time = list(
        Shipment.objects.filter(seller=seller)
        .order_by("-created_at", "-pk")
        .values_list("content", flat=True)
    )
    assert seen == by_time


def test_previous_links_walk_back_through_the_same_pages(client, seller_with_25):
    seller, _ = seller_with_25
    forward = walk(client, seller, "/api/v1/shipments/?page_size=4")
    first = client.get("/api/v1/shipments/?page_size=4", **bearer(seller))
    last = client.get(link(first, "last"), **bearer(seller))
    assert last.json()["next"] is None
    backward = walk(client, seller, link(first, "last"), direction="previous")
    # The last page holds the 4 oldest; earlier pages are whole pages again.
    assert backward[0] == [f"parcel {n:02}" for n in (3, 2, 1, 0)]
    flat_back = [content for page in reversed(backward) for content in page]
    assert flat_back == [content for page in forward for content in page]
    assert first.json()["previous"] is None


def test_filters_and_the_cursor_belong_together(client, seller_with_25):
    """A cursor made for one filter, another list or forged is a 400, not a 500."""
    seller, _ = seller_with_25
    Shipment.objects.filter(
        seller=seller, content__in=["parcel 03", "parcel 20"]
    ).update(status="in_transit")
    page = client.get(
        "/api/v1/shipments/?status=in_transit&page_size=1", **bearer(seller)
    ).json()
    assert contents(page) == ["parcel 20"]
    second = client.get(page["next"], **bearer(seller)).json()
    assert contents(second) == ["parcel 03"]
    cursor = parse_qs(urlsplit(page["next"]).query)["cursor"][0]
    for query in (
        f"status=placed&cursor={cursor}",
        f"cursor={cursor}",
        f"cursor={cursor[:-2]}xx&status=in_transit",
        "cursor=not-a-cursor",
        "cursor=%00",
        f"cursor={'a' * 600}",
        f"cursor={cursor}&page=2&status=in_transit",
    ):
        response = client.get(f"/api/v1/shipments/?{query}", **bearer(seller))
        assert response.status_code == 400, query
        error = response.json()["errors"][0]
        assert error["attr"] in ("cursor", "page", None), query
        assert error["code"] != "error", query
    shipment = Shipment.objects.filter(seller=seller)[0]
    events = client.get(
        f"/api/v1/shipments/{shipment.pk}/events/?cursor={cursor}", **bearer(seller)
    )
    assert events.status_code == 400
    assert events.json()["errors"][0]["code"] == "invalid_cursor"


def test_created_and_updated_filters(client, seller_with_25):
    """updated_since lists what changed since then, oldest change first."""
    seller, partner = seller_with_25
    start = Shipment.objects.get(content="parcel 00").created_at
    window = client.get(
        "/api/v1/shipments/",
        {
            "created_after": (start + timedelta(minutes=20)).isoformat(),
            "created_before": (start + timedelta(minutes=23)).isoformat(),
        },
        **bearer(seller),
    ).json()
    assert contents(window) == ["parcel 22", "parcel 21"]
    since = timezone.now()
    moved = Shipment.objects.get(content="parcel 05")
    shipments.shipment_update(
        shipment_id=moved.pk, partner=partner, status="in_transit"
    )
    cancelled = Shipment.objects.get(content="parcel 02")
    shipments.shipment_cancel(shipment_id=cancelled.pk, seller=seller)
    poll = client.get(
        "/api/v1/shipments/",
        {"updated_since": since.isoformat(), "page_size": 1},
        **bearer(seller),
    ).json()
    assert contents(poll) == ["parcel 05"]
    rest = client.get(poll["next"], **bearer(seller)).json()
    assert contents(rest) == ["parcel 02"]
    assert rest["next"] is None
    # The partner's own list takes the same filters.
    partner_poll = client.get(
        "/api/v1/shipments/", {"updated_since": since.isoformat()}, **bearer(partner)
    ).json()
    assert contents(partner_poll) == ["parcel 05", "parcel 02"]


def test_page_numbers_still_work_deprecated_and_capped(
    client, seller_with_25, monkeypatch
):
    """?page= answers as before, with a count, and Deprecation and Sunset headers."""
    seller, _ = seller_with_25
    response = client.get("/api/v1/shipments/?page=2&page_size=10", **bearer(seller))
    assert response.status_code == 200
    answer = response.json()
    assert answer["count"] == 25
    assert answer["count_capped"] is False
    assert contents(answer)[0] == "parcel 14"
    assert answer["next"].endswith("page=3&page_size=10")
    assert "page=" not in answer["previous"]
    assert response["Deprecation"] == f"@{int(pagination.DEPRECATED_SINCE.timestamp())}"
    assert response["Sunset"] == "Mon, 01 Mar 2027 00:00:00 GMT"
    assert 'rel="deprecation"' in response["Link"]
    assert (
        client.get(
            "/api/v1/shipments/?page=4&page_size=10", **bearer(seller)
        ).status_code
        == 404
    )
    monkeypatch.setattr(pagination, "COUNT_CAP", 20)
    capped = client.get("/api/v1/shipments/?page=1&page_size=10", **bearer(seller))
    assert capped.json()["count"] == 20
    assert capped.json()["count_capped"] is True
    too_deep = client.get("/api/v1/shipments/?page=3&page_size=10", **bearer(seller))
    assert too_deep.status_code == 400
    assert too_deep.json()["errors"][0]["code"] == "page_too_deep"
    # A cursor answer has no count and no deprecation.
    modern = client.get("/api/v1/shipments/", **bearer(seller))
    assert "count" not in modern.json()
    assert "Deprecation" not in modern


def test_timeline_and_keys_answer_pages_when_asked(client, seller_with_25):
    """Without page_size or cursor they answer the bare array of before, deprecated."""
    seller, partner = seller_with_25
    shipment = Shipment.objects.get(content="parcel 07")
    for zip_code in ("30001", "30002", "30003"):
        shipments.shipment_update(
            shipment_id=shipment.pk,
            partner=partner,
            status="in_transit",
            location_zip_code=zip_code,
        )
    path = f"/api/v1/shipments/{shipment.pk}/events/"
    whole = client.get(path, **bearer(seller))
    assert [e["location_zip_code"] for e in whole.json()] == [
        "10115",
        "30001",
        "30002",
        "30003",
    ]
    assert "Deprecation" in whole
    pages = walk(client, seller, f"{path}?page_size=3")
    assert len(pages) == 2
    first = client.get(f"{path}?page_size=3", **bearer(seller)).json()
    assert [e["location_zip_code"] for e in first["results"]] == [
        "10115",
        "30001",
        "30002",
    ]
    assert ShipmentEvent.objects.filter(shipment=shipment).count() == 4
    for number in range(3):
        api_keys.api_key_create(seller=seller, name=f"key {number}")
    keys = client.get("/api/v1/api-keys/", **bearer(seller))
    assert [k["name"] for k in keys.json()] == ["key 2", "key 1", "key 0"]
    assert "Deprecation" in keys
    paged = client.get("/api/v1/api-keys/?page_size=2", **bearer(seller)).json()
    assert [k["name"] for k in paged["results"]] == ["key 2", "key 1"]
    rest = client.get(paged["next"], **bearer(seller)).json()
    assert [k["name"] for k in rest["results"]] == ["key 0"]


def test_the_schema_documents_cursors_and_the_deprecated_page(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    listing = schema["paths"]["/api/v1/shipments/"]["get"]
    parameters = {p["name"]: p for p in listing["parameters"]}
    assert parameters["page"]["deprecated"] is True
    assert not parameters["cursor"].get("deprecated")
    assert {"created_after", "created_before", "updated_since"} <= set(parameters)
    page = schema["components"]["schemas"]["ShipmentPage"]
    assert set(page["required"]) == {"next", "previous", "results"}
    assert schema["info"]["version"] == "1.1.0"
