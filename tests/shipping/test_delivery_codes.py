"""Delivery codes: bounded guesses per shipment, never stored in a usable form."""

from __future__ import annotations

import json
import re

import pytest

from shipping.models import DeliveryVerification, Notification, Shipment
from tests.factories import bearer, partner_make, seller_make, shipment_make
from tests.shipping.conftest import text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    partner = partner_make(zip_codes=("20095",))
    shipment = shipment_make(seller=seller_make())
    return {"partner": partner, "shipment": shipment}


def patch(api, world, body):
    url = f"/api/v1/shipments/{world['shipment'].pk}/"
    return api.patch(url, body, format="json", **bearer(world["partner"]))


def attempt(api, world) -> None:
    """One delivery attempt: in transit, then out for delivery."""
    assert patch(api, world, {"status": "in_transit"}).status_code == 200
    assert patch(api, world, {"status": "out_for_delivery"}).status_code == 200


def guess_wrong_five_times(api, world) -> list[int]:
    return [
        patch(
            api, world, {"status": "delivered", "verification_code": f"{n:06d}"}
        ).status_code
        for n in range(1, 6)
    ]


def out_for_delivery_mails() -> int:
    return Notification.objects.filter(kind="out_for_delivery").count()


def test_codes_per_shipment_are_capped_until_staff_act(api, world, admin_client):
    """3 attempts x 5 guesses, then no new code and 403 until staff allow more."""
    for number in range(3):
        attempt(api, world)
        assert out_for_delivery_mails() == number + 1
        assert guess_wrong_five_times(api, world)[-1] == 403
    attempt(api, world)  # the 4th attempt issues no code and mails nothing
    assert out_for_delivery_mails() == 3
    for code in ("000000", "123456"):
        locked = patch(api, world, {"status": "delivered", "verification_code": code})
        assert locked.status_code == 403
        assert locked.json()["errors"][0]["code"] == "verification_locked"
    assert DeliveryVerification.objects.get(shipment=world["shipment"]).voided

    response = admin_client.post(
        "/admin/shipping/shipment/",
        {"action": "allow_delivery_codes", "_selected_action": [world["shipment"].pk]},
    )
    assert response.status_code == 302
    attempt(api, world)
    assert out_for_delivery_mails() == 4
    from shipping.services.emails import notification_delivery_code

    fresh = notification_delivery_code(
        Notification.objects.filter(kind="out_for_delivery").latest("pk")
    )
    done = patch(api, world, {"status": "delivered", "verification_code": fresh})
    assert done.status_code == 200
    assert Shipment.objects.get(pk=world["shipment"].pk).status == "delivered"


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_the_outbox_never_holds_a_usable_code(api, world, smtp, run_jobs):
    """The pending row holds a nonce, not the code; once sent, not even that."""
    attempt(api, world)
    row = Notification.objects.get(kind="out_for_delivery")
    assert "verification_code" not in row.context
    stored_before = json.dumps(row.context)
    run_jobs()
    mail = smtp.last_to(world["shipment"].recipient_email)
    found = re.search(r"receive it: (\d{6})", text_of(mail))
    assert found is not None
    code = found.group(1)
    assert code not in stored_before
    row.refresh_from_db()
    assert row.state == Notification.State.SENT
    assert "code_nonce" not in row.context
    assert code not in json.dumps(row.context)
    # The code from the mail delivers the shipment.
    done = patch(api, world, {"status": "delivered", "verification_code": code})
    assert done.status_code == 200, done.content
