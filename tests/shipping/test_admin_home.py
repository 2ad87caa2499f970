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
    # RQ's dashboard is named for operators, not by its package.
    assert "Background jobs" in html
    assert "Queues, workers and jobs" in html
    assert "Django_Rq" not in html
    assert "Django-RQ" not in html


def test_the_project_app_keeps_its_own_config():
    """Renaming django-rq's app must not cost the project its start-up tuning."""
    from django.apps import apps

    from fastship.apps import FastShipConfig

    assert isinstance(apps.get_app_config("fastship"), FastShipConfig)


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


def test_the_charts_count_the_last_14_days_per_day(admin_client):
    import uuid

    from django.core.cache import cache

    from fastship.requestlog.models import RequestLog
    from shipping.admin_charts import admin_charts
    from shipping.models import Shipment, ShipmentEvent, WebhookDelivery
    from tests.factories import shipment_make

    now = timezone.now()
    seller = seller_make()
    partner_make(zip_codes=("20095",))
    made = [shipment_make(seller=seller) for _ in range(4)]
    # Two today, one three days ago, one 20 days ago (outside the charts).
    for shipment, days in zip(made[2:], (3, 20), strict=True):
        Shipment.objects.filter(pk=shipment.pk).update(
            created_at=now - timedelta(days=days)
        )
    for shipment, days in ((made[0], 0), (made[2], 1), (made[3], 15)):
        ShipmentEvent.objects.create(
            shipment=shipment,
            status=Shipment.Status.DELIVERED,
            created_at=now - timedelta(days=days),
        )
    Notification.objects.filter(recipient="recipient@example.org").update(
        state=Notification.State.SENT
    )
    Notification.objects.create(
        kind=Notification.Kind.CANCELLED,
        recipient="late@example.org",
        context={"tracking_code": "T"},
        created_at=now - timedelta(days=2),
    )
    endpoint = WebhookEndpoint.objects.create(
        seller=seller, url="https://shop.example/hooks", secret="s", events=[]
    )
    for state, days in (("delivered", 0), ("delivered", 1), ("failed", 1)):
        WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_type="shipment.created",
            body="{}",
            state=state,
            created_at=now - timedelta(days=days),
        )
    from fastship.requestlog.partitions import partitions_ensure

    ago = [(500, 0), (503, 5), (404, 0), (502, 30)]
    partitions_ensure(days=[(now - timedelta(days=days)).date() for _, days in ago])
    for status, days in ago:
        RequestLog.objects.create(
            record_id=uuid.uuid4(),
            request_id=uuid.uuid4().hex,
            started_at=now - timedelta(days=days),
            method="GET",
            path="/api/v1/",
            status_code=status,
            duration_ms=1.0,
        )
    cache.clear()
    shipments, mails, hooks, errors = admin_charts()
    assert [len(values) for values in shipments.counts] == [14, 14]
    assert shipments.counts[0][-1] == 2
    assert shipments.counts[0][-4] == 1
    assert sum(shipments.counts[0]) == 3  # the 20-day-old one is not drawn
    assert shipments.counts[1][-1] == 1
    assert sum(shipments.counts[1]) == 2
    sent = Notification.objects.filter(state="sent", created_at__date=now.date())
    assert mails.counts[0][-1] == sent.count() > 0
    assert mails.counts[1][-3] == 1
    assert [hooks.counts[0][-1], hooks.counts[0][-2], hooks.counts[1][-2]] == [1, 1, 1]
    assert errors.counts == [[0] * 8 + [1] + [0] * 4 + [1]]
    # The page draws each day's bars with its figure, and says it in words.
    html = admin_client.get("/admin/").content.decode()
    assert "Shipments, last 14 days: Created 3, Delivered 2." in html
    assert "API server errors (5xx), last 14 days: Errors 2." in html
    assert html.count('<rect class="created" x=') == 14  # and one in the legend
    assert f"{now:%a %d %b}: 2 created" in html
    # Kept for a minute: a second load counts nothing again.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        admin_charts()
    assert not captured.captured_queries
