"""Test mode: a test key's shipments never reach a partner or a recipient,
fire webhooks marked ``livemode: false``, and can be moved through every
status by their seller; test and live never see each other's data."""

from __future__ import annotations

import json

import pytest
from standardwebhooks.webhooks import Webhook

from shipping.models import DeliveryPartner, Notification, Shipment
from tests.factories import SHIPMENT_BODY, bearer, partner_make, seller_make
from tests.webhook_receiver import running_receiver

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _local_receivers(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # the receiver is on 127.0.0.1
    settings.WEBHOOK_TIMEOUT = 2


def key_header(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Api-Key {key}"}


def make_key(api, seller, **fields) -> str:
    answer = api.post(
        "/api/v1/api-keys/", {"name": "shop", **fields}, format="json", **bearer(seller)
    )
    assert answer.status_code == 201, answer.content
    return answer.json()["key"]


def codes_of(response) -> list[str]:
    return [error["code"] for error in response.json()["errors"]]


@pytest.mark.django_db(transaction=True)
def test_a_test_key_goes_end_to_end_without_touching_partner_or_recipient(
    api, smtp, run_jobs
):
    seller = seller_make()
    partner = partner_make(zip_codes=("20095",), capacity=1)
    test_key = make_key(api, seller, mode="test")
    assert test_key.startswith("fsk_test_")
    with running_receiver() as receiver:
        hook = api.post(
            "/api/v1/webhooks/",
            {
                "url": receiver.url,
                "events": ["shipment.created", "shipment.status_changed"],
            },
            format="json",
            **key_header(test_key),
        ).json()
        created = api.post(
            "/api/v1/shipments/", SHIPMENT_BODY, format="json", **key_header(test_key)
        )
        assert created.status_code == 201, created.content
        shipment = created.json()
        assert shipment["livemode"] is False
        # A second test shipment: the partner's one unit of capacity is untouched.
        again = api.post(
            "/api/v1/shipments/", SHIPMENT_BODY, format="json", **key_header(test_key)
        )
        assert again.status_code == 201, again.content
        partner.refresh_from_db()
        assert partner.active_shipments == 0
        for status in ("in_transit", "out_for_delivery", "delivered"):
            moved = api.post(
                f"/api/v1/shipments/{shipment['id']}/simulate/{status}/",
                **key_header(test_key),
            )
            assert moved.status_code == 200, moved.content
            assert moved.json()["status"] == status
        run_jobs()  # committed, handed to Redis, run by a real RQ worker
        received = receiver.wait_for(5)  # 2 created, 3 status changes
    verifier = Webhook(hook["secret"])
    bodies = [verifier.verify(r.body, r.headers) for r in received]
    assert {body["livemode"] for body in bodies} == {False}
    assert sorted(body["type"] for body in bodies).count("shipment.created") == 2
    timeline = api.get(
        f"/api/v1/shipments/{shipment['id']}/events/", **key_header(test_key)
    ).json()
    assert [event["status"] for event in timeline] == [
        "placed",
        "in_transit",
        "out_for_delivery",
        "delivered",
    ]
    # Every mail went to the seller, marked; none to the recipient.
    assert smtp.to(SHIPMENT_BODY["recipient_email"]) == []
    subjects = sorted(m["Subject"] for m in smtp.to(seller.user.email))
    assert subjects == [
        "Verify your FastShip email address",  # the seller's sign-up
        "[TEST] A shipment is on its way to you",
        "[TEST] A shipment is on its way to you",
        "[TEST] Your shipment is out for delivery",
        "[TEST] Your shipment was delivered",
    ], subjects
    coded = smtp.last_to(seller.user.email)
    assert "TEST MODE" in coded.get_body(preferencelist=("plain",)).get_content()
    assert (
        Notification.objects.filter(recipient=SHIPMENT_BODY["recipient_email"]).count()
        == 0
    )
    # The partner never sees them, by list, detail or scan.
    assert api.get("/api/v1/shipments/", **bearer(partner)).json()["results"] == []
    assert (
        api.get(f"/api/v1/shipments/{again.json()['id']}/", **bearer(partner))
    ).status_code == 404
    scanned = api.post(
        "/api/v1/scan/",
        {"code": again.json()["tracking_code"]},
        format="json",
        **bearer(partner),
    )
    assert scanned.status_code == 404
    partner.refresh_from_db()
    assert partner.active_shipments == 0


def test_test_and_live_never_see_each_other(api):
    seller = seller_make()
    partner_make(zip_codes=("20095",))
    live_key = make_key(api, seller)
    test_key = make_key(api, seller, mode="test")
    live = api.post(
        "/api/v1/shipments/",
        {**SHIPMENT_BODY, "reference": "ORDER-1"},
        format="json",
        **key_header(live_key),
    ).json()
    test = api.post(
        "/api/v1/shipments/",
        {**SHIPMENT_BODY, "reference": "ORDER-1"},  # a reference per mode
        format="json",
        **key_header(test_key),
    ).json()
    assert live["livemode"] is True
    assert test["livemode"] is False
    for key, own, other in ((live_key, live, test), (test_key, test, live)):
        headers = key_header(key)
        listed = api.get("/api/v1/shipments/", **headers).json()["results"]
        assert [s["id"] for s in listed] == [own["id"]]
        synced = api.get(
            "/api/v1/shipments/?updated_since=2000-01-01T00:00:00Z", **headers
        ).json()["results"]
        assert [s["id"] for s in synced] == [own["id"]]
        for path in ("", "events/", "label/"):
            url = f"/api/v1/shipments/{other['id']}/{path}"
            assert api.get(url, **headers).status_code == 404, url
        for path in ("cancel/", "tags/"):
            url = f"/api/v1/shipments/{other['id']}/{path}"
            body = {"name": "fragile"} if path == "tags/" else {}
            assert api.post(url, body, format="json", **headers).status_code == 404
    # A login is live, like a live key.
    listed = api.get("/api/v1/shipments/", **bearer(seller)).json()["results"]
    assert [s["id"] for s in listed] == [live["id"]]
    # Only test shipments are simulated, only with a test key.
    refused = api.post(
        f"/api/v1/shipments/{live['id']}/simulate/in_transit/", **key_header(live_key)
    )
    assert refused.status_code == 403
    assert codes_of(refused) == ["test_mode_only"]
    missing = api.post(
        f"/api/v1/shipments/{live['id']}/simulate/in_transit/", **key_header(test_key)
    )
    assert missing.status_code == 404
    bad = api.post(
        f"/api/v1/shipments/{test['id']}/simulate/lost/", **key_header(test_key)
    )
    assert bad.status_code == 400
    # The same Idempotency-Key in both modes is two keys.
    answers = [
        api.post(
            "/api/v1/shipments/",
            SHIPMENT_BODY,
            format="json",
            HTTP_IDEMPOTENCY_KEY="same-key",
            **key_header(key),
        ).json()
        for key in (live_key, test_key)
    ]
    assert [a["livemode"] for a in answers] == [True, False]
    assert Shipment.objects.filter(livemode=False).count() == 2


def test_simulation_follows_the_transition_table_and_cancel_frees_nothing(api):
    seller = seller_make()
    partner = partner_make(zip_codes=("20095",))
    test_key = make_key(api, seller, mode="test")
    made = api.post(
        "/api/v1/shipments/", SHIPMENT_BODY, format="json", **key_header(test_key)
    ).json()
    skipped = api.post(
        f"/api/v1/shipments/{made['id']}/simulate/delivered/", **key_header(test_key)
    )
    assert skipped.status_code == 409
    assert codes_of(skipped) == ["invalid_transition"]
    # A live shipment takes a unit; cancelling the test one gives none back.
    api.post("/api/v1/shipments/", SHIPMENT_BODY, format="json", **bearer(seller))
    cancelled = api.post(
        f"/api/v1/shipments/{made['id']}/simulate/cancelled/", **key_header(test_key)
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert DeliveryPartner.objects.get(pk=partner.pk).active_shipments == 1


def test_a_test_shipment_is_made_even_when_every_partner_is_full(api):
    seller = seller_make()
    partner_make(zip_codes=("20095",), capacity=1)
    api.post("/api/v1/shipments/", SHIPMENT_BODY, format="json", **bearer(seller))
    full = api.post(
        "/api/v1/shipments/", SHIPMENT_BODY, format="json", **bearer(seller)
    )
    assert full.status_code == 409
    test_key = make_key(api, seller, mode="test")
    made = api.post(
        "/api/v1/shipments/", SHIPMENT_BODY, format="json", **key_header(test_key)
    )
    assert made.status_code == 201, made.content
    assert json.loads(made.content)["livemode"] is False
