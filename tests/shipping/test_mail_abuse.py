"""A seller cannot use FastShip to mail anyone anything: limits and inert text."""

from __future__ import annotations

import pytest

from shipping.models import Notification, Shipment
from shipping.throttles import ShipmentCreateThrottle
from tests.factories import bearer, partner_make, seller_make
from tests.shipping.conftest import text_of

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

LURE = "URGENT: your parcel is held, pay the fee at https://pay-fee.example/now"


def create(api, seller, **fields):
    body = {
        "content": "Two books",
        "weight_kg": "1.5",
        "destination_zip_code": "20095",
        "recipient_email": "victim@example.org",
        **fields,
    }
    return api.post("/api/v1/shipments/", body, format="json", **bearer(seller))


def test_shipment_creates_are_limited_per_seller(api, monkeypatch):
    """Past THROTTLE_SHIPMENT_CREATE a create is a 429 and creates nothing."""
    monkeypatch.setattr(ShipmentCreateThrottle, "rate", "3/min", raising=False)
    partner_make(zip_codes=("20095",), capacity=50)
    seller, other = seller_make(), seller_make()
    assert [create(api, seller).status_code for _ in range(3)] == [201] * 3
    refused = create(api, seller)
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["code"] == "throttled"
    assert Shipment.objects.filter(seller=seller).count() == 3
    assert create(api, other).status_code == 201  # per seller
    listing = api.get("/api/v1/shipments/", **bearer(seller))
    assert listing.status_code == 200  # reads are not limited by it


def test_mails_to_one_address_are_held_beyond_the_hourly_limit(
    api, smtp, run_jobs, settings, admin_client
):
    """15 x (create + cancel) to one address: the limit is mailed, the rest held.

    Every API call still succeeds; held mails are counted by readiness and
    sent only when an operator releases them.
    """
    settings.NOTIFICATION_RECIPIENT_HOURLY_LIMIT = 4
    partner_make(zip_codes=("20095",), capacity=50)
    seller = seller_make()
    for number in range(15):
        # The address in another case is the same mailbox.
        address = "Victim@Example.org" if number % 2 else "victim@example.org"
        created = create(api, seller, content=LURE, recipient_email=address)
        assert created.status_code == 201
        url = f"/api/v1/shipments/{created.json()['id']}/cancel/"
        assert api.post(url, **bearer(seller)).status_code == 200
    run_jobs()
    assert len(smtp.to("ictim@")) == 4
    rows = Notification.objects.filter(recipient__iexact="victim@example.org")
    assert rows.filter(state=Notification.State.SENT).count() == 4
    held = rows.filter(state=Notification.State.HELD)
    assert held.count() == 26

    from shipping.health import OutboxCheck

    assert OutboxCheck().measure().observed_value["held"] == 26
    # Mails to other addresses are not affected.
    assert create(api, seller, recipient_email="friend@example.org").status_code == 201
    run_jobs()
    assert len(smtp.to("friend@example.org")) == 1

    released = held.order_by("pk")[:2]
    response = admin_client.post(
        "/admin/shipping/notification/",
        {"action": "release", "_selected_action": [row.pk for row in released]},
    )
    assert response.status_code == 302
    run_jobs()
    assert len(smtp.to("ictim@")) == 6
    assert rows.filter(state=Notification.State.HELD).count() == 24


def test_seller_text_in_mails_is_quoted_and_never_a_link(api, smtp, run_jobs):
    """The content a seller wrote is a quotation with its addresses defanged."""
    partner_make(zip_codes=("20095",))
    seller = seller_make()
    created = create(api, seller, content=f"{LURE}\nor www.pay-fee.example")
    assert created.status_code == 201
    run_jobs()
    mail = smtp.last_to("victim@example.org")
    text = text_of(mail)
    assert (
        "> URGENT: your parcel is held, pay the fee at hxxps[:]//pay-fee[.]example/now"
        in text
    )
    assert "> or www[.]pay-fee[.]example" in text
    html = str(mail.get_body(preferencelist=("html",)).get_content())
    for part in (text, html):
        assert "https://pay-fee" not in part
        assert "pay-fee.example" not in part
    assert "<blockquote" in html
    # FastShip's own tracking link is still a link.
    assert f"/track/{created.json()['tracking_code']}/" in text
