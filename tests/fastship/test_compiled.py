"""Compiled queries answer exactly what the ORM answers, on PostgreSQL and SQLite."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import pytest
from django.db.models import F, QuerySet

from fastship.compiled import CompiledQuery
from shipping.models import Shipment, Tag
from tests.factories import partner_make, seller_make, shipment_make
from tests.servers import PROJECT_DIR, server_env

pytestmark = pytest.mark.django_db

COLUMNS = ("id", "tracking_code", "status", "weight_kg", "created_at", "partner")
OF_SELLER = {"seller": Shipment._meta.get_field("seller")}


def newest_of(seller: Any) -> QuerySet[Any]:
    return (
        Shipment.objects.filter(seller=seller)
        .annotate(partner=F("delivery_partner__user__name"))
        .order_by("-created_at", "-pk")
        .values_list(*COLUMNS)
    )


def as_dicts(queryset: QuerySet[Any]) -> list[dict]:
    return [dict(zip(COLUMNS, row, strict=True)) for row in queryset]


def test_rows_count_and_pages_match_the_orm_for_each_value(seeded_tags):
    partner_make(zip_codes=("20095",))
    sellers = [seller_make(), seller_make()]
    for seller, count in zip(sellers, (5, 2), strict=True):
        for number in range(count):
            shipment_make(seller=seller, content=f"parcel {number}", weight_kg="2.5")
    query = CompiledQuery(newest_of, OF_SELLER, paged=True)
    counted = CompiledQuery(
        lambda seller: Shipment.objects.filter(seller=seller).values_list("pk"),
        OF_SELLER,
    )
    for seller in [*sellers, *sellers]:  # compiled once, run with each value
        expected = as_dicts(newest_of(seller.pk))
        assert query.rows(seller=seller.pk, limit=100, offset=0) == expected
        assert query.rows(seller=seller.pk, limit=2, offset=1) == expected[1:3]
        assert counted.count(seller=seller.pk) == len(expected)
    assert counted.count(seller=-1) == 0
    assert query.rows(seller=-1, limit=10, offset=0) == []


def test_time_parameters_and_a_bounded_count(seeded_tags):
    partner_make(zip_codes=("20095",))
    seller = seller_make()
    made = [shipment_make(seller=seller) for _ in range(4)]
    since = CompiledQuery(
        lambda seller, after: Shipment.objects.filter(
            seller=seller, created_at__gt=after
        ).values_list("pk"),
        {**OF_SELLER, "after": Shipment._meta.get_field("created_at")},
    )
    for start in made:
        expected = Shipment.objects.filter(
            seller=seller, created_at__gt=start.created_at
        )
        assert since.count(seller=seller.pk, after=start.created_at) == expected.count()
    assert since.count(seller=seller.pk, after=made[0].created_at, limit=2) == 2
    assert since.count(seller=seller.pk, after=made[0].created_at, limit=10) == 3


def test_a_parameter_the_query_does_not_use_is_refused_at_compile():
    query = CompiledQuery(lambda seller: Shipment.objects.values_list("pk"), OF_SELLER)
    with pytest.raises(TypeError, match="is not in the query"):
        query.rows(seller=1)


def test_a_parameter_used_twice_gets_its_value_in_both_places(seeded_tags):
    """A keyset condition names its timestamp twice (range, then tie-break)."""
    partner_make(zip_codes=("20095",))
    seller = seller_make()
    made = [shipment_make(seller=seller) for _ in range(3)]
    both = CompiledQuery(
        lambda seller, at: (
            Shipment.objects.filter(seller=seller, created_at__lte=at)
            .filter(created_at__gte=at)
            .values_list("pk")
        ),
        {**OF_SELLER, "at": Shipment._meta.get_field("created_at")},
    )
    for shipment in made:
        rows = both.rows(seller=seller.pk, at=shipment.created_at)
        assert [row["pk"] for row in rows] == [shipment.pk]


def test_every_parameter_must_be_given():
    query = CompiledQuery(
        lambda seller: Shipment.objects.filter(seller=seller).values_list("pk"),
        OF_SELLER,
    )
    with pytest.raises(TypeError, match="give exactly these parameters"):
        query.rows()
    with pytest.raises(TypeError, match="give exactly these parameters"):
        query.rows(seller=1, other=2)


def test_only_plain_values_lists_compile():
    by_name = {"name": Tag._meta.get_field("name")}
    models = CompiledQuery(lambda name: Tag.objects.filter(name=name), by_name)
    with pytest.raises(TypeError, match="values_list"):
        models.rows(name="fragile")
    sliced = CompiledQuery(
        lambda name: Tag.objects.filter(name=name).values_list("name")[:1], by_name
    )
    with pytest.raises(TypeError, match="values_list"):
        sliced.rows(name="fragile")


EMBEDDED = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
from rest_framework import serializers
from shipping.representations import ShipmentOutputSerializer
from shipping.models import Shipment
from tests.factories import bearer, partner_make, seller_make, shipment_make
partner_make(zip_codes=("20095",))
seller = seller_make()
for number in range(3):
    shipment_make(seller=seller, tags=["fragile", "express"][: number], weight_kg="0.5")
client = Client()
listing = client.get("/api/v1/shipments/?page_size=2&page=2", **bearer(seller)).json()
assert listing["count"] == 3, listing
newest = list(Shipment.objects.order_by("-created_at", "-pk"))
generic = [serializers.Serializer.to_representation(ShipmentOutputSerializer(), s)
           for s in newest]
assert listing["results"] == generic[2:], (listing, generic)
detail = client.get(f"/api/v1/shipments/{newest[0].pk}/", **bearer(seller)).json()
assert detail == generic[0], (detail, generic[0])
assert detail["tags"] == ["express", "fragile"]
tracked = client.get(f"/api/v1/track/{newest[0].tracking_code}/").json()
assert tracked["timeline"][0]["status"] == "placed", tracked
assert tracked["timeline"][0]["created_at"].endswith("Z"), tracked
created = client.post(
    "/api/v1/shipments/",
    {"content": "books", "weight_kg": "1.5", "destination_zip_code": "20095",
     "recipient_email": "R@Example.org", "tags": ["fragile"]},
    content_type="application/json",
    **bearer(seller),
)
assert created.status_code == 201, created.content
made = created.json()
shown = client.get(f"/api/v1/shipments/{made['id']}/", **bearer(seller)).json()
assert made == shown, (made, shown)
print("embedded ok")
"""


def test_the_embedded_sqlite_mode_answers_the_same(tmp_path):
    """SQLite stores UUIDs, decimals and times as text: Django's converters run."""
    settings = tmp_path / "embedded_settings.py"
    settings.write_text(
        textwrap.dedent(f"""
        from fastship.settings import *  # noqa: F403
        DATABASES = {{"default": {{
            "ENGINE": "django.db.backends.sqlite3", "NAME": "{tmp_path / "db"}"}}}}
        """)
    )
    result = subprocess.run(
        [sys.executable, "-c", EMBEDDED],
        cwd=PROJECT_DIR,
        env=server_env(
            DJANGO_ENV="development",
            DATABASE_URL=None,
            REDIS_URL=None,
            DJANGO_SETTINGS_MODULE="embedded_settings",
            PYTHONPATH=f"{tmp_path}:{PROJECT_DIR}",
        ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "embedded ok" in result.stdout
