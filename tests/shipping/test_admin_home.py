"""The admin opens on what needs a person: counts that link to their lists."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from shipping.models import Notification, WebhookEndpoint
from tests.factories import partner_make, seller_make

pytestmark = pytest.mark.django_db


def cards(html: str) -> dict[str, tuple[str, str, str]]:
    """label → (value, link, alert or ok), as the page shows them."""
    found = re.findall(
        r'<li class="(alert|ok)"><a href="([^"]+)"><span class="value">([^<]+)'
        r'</span><span class="label">([^<]+)</span>',
        html,
    )
    return {
        label: (value, link.replace("&amp;", "&"), level)
        for level, link, value, label in found
    }


def test_the_front_page_counts_what_needs_a_person_and_links_each_list(
    admin_client,
):
    calm = cards(admin_client.get("/admin/").content.decode())
    assert calm["Mails held"][0] == "0"
    assert calm["Partners awaiting approval"][2] == "ok"
    old = timezone.now() - timedelta(hours=2)
    Notification.objects.bulk_create(
        [
            Notification(
                kind=Notification.Kind.CANCELLED,
                recipient=f"held{n}@example.org",
                state=Notification.State.HELD,
                context={"tracking_code": "T"},
            )
            for n in range(3)
        ]
        + [
            Notification(
                kind=Notification.Kind.CANCELLED,
                recipient="late@example.org",
                context={"tracking_code": "T"},
                created_at=old,
            )
        ]
    )
    partner_make(approved=False)
    seller = seller_make()
    WebhookEndpoint.objects.create(
        seller=seller,
        url="https://shop.example/hooks",
        events=["shipment.created"],
        secret="whsec_x",
        failing_since=old,
    )
    html = admin_client.get("/admin/").content.decode()
    assert "Needs a person" in html
    shown = cards(html)
    assert shown["Mails held"][0] == "3"
    assert shown["Partners awaiting approval"][:1] == ("1",)
    assert shown["Webhook endpoints failing"][0] == "1"
    assert shown["Oldest mail waiting"][0] == "2.0 h"
    assert all(
        shown[label][2] == "alert"
        for label in (
            "Mails held",
            "Partners awaiting approval",
            "Webhook endpoints failing",
            "Oldest mail waiting",
        )
    )
    # Each link opens its list, filtered to what the count counted.
    held = admin_client.get(shown["Mails held"][1])
    assert held.status_code == 200
    assert held.context["cl"].result_count == 3
    partners = admin_client.get(shown["Partners awaiting approval"][1])
    assert partners.context["cl"].result_count == 1
    failing = admin_client.get(shown["Webhook endpoints failing"][1])
    assert failing.context["cl"].result_count == 1
    for label, (_, link, _) in shown.items():
        assert admin_client.get(link).status_code == 200, label


def test_the_apps_are_in_the_order_operators_use_them(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert html.index("/admin/shipping/") < html.index("/admin/requestlog/")
    assert html.index("/admin/requestlog/") < html.index("/admin/auth/")


def test_times_read_the_same_in_the_admin_as_on_the_pages(admin_client):
    """24-hour UTC times, as the pages write them, not "12:37 a.m."."""
    import uuid

    from fastship.requestlog.models import RequestLog

    at = timezone.now().replace(hour=0, minute=37, second=0, microsecond=0)
    RequestLog.objects.create(
        record_id=uuid.uuid4(),
        request_id=uuid.uuid4().hex,
        started_at=at,
        method="GET",
        path="/api/v1/",
        status_code=200,
        duration_ms=1.0,
    )
    html = admin_client.get("/admin/requestlog/requestlog/").content.decode()
    assert f"{at.day} {at:%b %Y}, 00:37 UTC" in html
    assert "a.m." not in html


def test_shipment_statuses_read_by_colour_in_the_list(admin_client):
    from tests.factories import shipment_make

    partner_make(zip_codes=("20095",))
    shipment_make(seller=seller_make())
    html = admin_client.get("/admin/shipping/shipment/").content.decode()
    assert '<strong class="status-placed" style="color:#5b6475">Placed</strong>' in html
