"""The admin's lists: exact searches on indexes, and no usable token on any page."""

from __future__ import annotations

import pytest
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from fastship import admin_paging
from shipping.admin import ShipmentAdmin
from shipping.models import Shipment
from tests.factories import partner_make, seller_make, shipment_make

pytestmark = pytest.mark.django_db


def test_shipments_are_found_by_code_id_or_recipient(admin_client, seeded_tags):
    partner_make(zip_codes=("20095",))
    seller = seller_make()
    wanted = shipment_make(seller=seller, recipient_email="Find.Me@example.org")
    other = shipment_make(seller=seller, recipient_email="other@example.org")
    lists = "/admin/shipping/shipment/"
    typed = wanted.tracking_code.lower().replace("-", " ")
    for term in (wanted.tracking_code, typed, str(wanted.pk), "find.me@EXAMPLE.org"):
        page = admin_client.get(lists, {"q": term}).content.decode()
        assert wanted.tracking_code in page, term
        assert other.tracking_code not in page, term
    for odd in ("nothing", "a" * 500):
        assert admin_client.get(lists, {"q": odd}).status_code == 200
    assert admin_client.get(lists, {"q": "\x00"}).status_code == 400


def test_refresh_tokens_are_listed_without_the_token(admin_client):
    """A staff member sees whose sessions exist, never a token to replay."""
    seller = seller_make()
    refresh = RefreshToken.for_user(seller.user)
    token = OutstandingToken.objects.get(jti=refresh["jti"])
    listing = admin_client.get("/admin/token_blacklist/outstandingtoken/")
    detail = admin_client.get(
        f"/admin/token_blacklist/outstandingtoken/{token.pk}/change/"
    )
    for page in (listing, detail):
        assert page.status_code == 200
        assert refresh["jti"] in page.content.decode()
        assert str(refresh) not in page.content.decode()
        assert str(refresh).split(".")[1] not in page.content.decode()


def test_counts_stop_at_the_cap_and_pages_reach_that_far(
    admin_client, seeded_tags, monkeypatch
):
    monkeypatch.setattr(admin_paging, "EXACT_UP_TO", 3)
    partner_make(zip_codes=("20095",), capacity=20)
    seller = seller_make()
    for _ in range(7):
        shipment_make(seller=seller)
    assert Shipment.objects.count() == 7
    monkeypatch.setattr(ShipmentAdmin, "list_per_page", 2)
    assert admin_client.get("/admin/shipping/shipment/?p=2").status_code == 200
    assert admin_client.get("/admin/shipping/shipment/?p=3").status_code == 302
