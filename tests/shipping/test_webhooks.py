"""Webhooks: registered by sellers, delivered signed to a real receiver, retried."""

from __future__ import annotations

import json
import time

import pytest
from standardwebhooks.webhooks import Webhook

from shipping.models import WebhookDelivery, WebhookEndpoint
from shipping.services import webhook_delivery
from tests.factories import SHIPMENT_BODY, bearer, partner_make, seller_make
from tests.webhook_receiver import HANG, TRICKLE, running_receiver

pytestmark = pytest.mark.django_db

ALL_EVENTS = [
    "shipment.created",
    "shipment.status_changed",
    "shipment.cancelled",
    "shipment.delivered",
]


@pytest.fixture(autouse=True)
def _local_receivers(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # the receiver is on 127.0.0.1
    settings.WEBHOOK_TIMEOUT = 2


def register(api, seller, url, events=ALL_EVENTS) -> dict:
    answer = api.post(
        "/api/v1/webhooks/",
        {"url": url, "events": events},
        format="json",
        **bearer(seller),
    )
    assert answer.status_code == 201, answer.content
    return answer.json()


def attempt_all_due() -> None:
    for delivery_id in WebhookDelivery.objects.filter(state="pending").values_list(
        "pk", flat=True
    ):
        webhook_delivery.delivery_attempt(delivery_id=str(delivery_id))


def make_due() -> None:
    from django.utils import timezone

    WebhookDelivery.objects.filter(state="pending").update(
        next_attempt_at=timezone.now()
    )


def test_events_arrive_signed_for_a_create_and_each_status_change(api):
    seller = seller_make()
    partner = partner_make(zip_codes=("20095",))
    with running_receiver() as receiver:
        hook = register(api, seller, receiver.url)
        assert hook["secret"].startswith("whsec_")
        shipment = api.post(
            "/api/v1/shipments/", SHIPMENT_BODY, format="json", **bearer(seller)
        )
        shipment_id = shipment.json()["id"]
        api.patch(
            f"/api/v1/shipments/{shipment_id}/",
            {"status": "in_transit"},
            format="json",
            **bearer(partner),
        )
        api.post(f"/api/v1/shipments/{shipment_id}/cancel/", **bearer(seller))
        attempt_all_due()  # the jobs run inline (no Redis) or here
        received = receiver.wait_for(4)
    verifier = Webhook(hook["secret"])
    events = []
    for request in received:
        payload = verifier.verify(request.body, request.headers)
        assert request.headers["webhook-id"].startswith("msg_")
        assert payload["data"]["id"] == shipment_id
        events.append((payload["type"], payload["data"]["status"]))
    assert sorted(events) == sorted(
        [
            ("shipment.created", "placed"),
            ("shipment.status_changed", "in_transit"),
            ("shipment.status_changed", "cancelled"),
            ("shipment.cancelled", "cancelled"),
        ]
    )
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {"delivered"}
    log = api.get(f"/api/v1/webhooks/{hook['id']}/deliveries/", **bearer(seller)).json()
    assert len(log["results"]) == 4
    assert log["next"] is None
    assert {item["state"] for item in log["results"]} == {"delivered"}
    assert all(item["attempts"] == 1 for item in log["results"])


def test_a_receiver_answering_500_gets_the_same_webhook_id_again(api):
    seller = seller_make()
    partner_make(zip_codes=("20095",))
    with running_receiver(500) as receiver:
        register(api, seller, receiver.url, events=["shipment.created"])
        api.post("/api/v1/shipments/", SHIPMENT_BODY, format="json", **bearer(seller))
        attempt_all_due()
        first = receiver.wait_for(1)
        delivery = WebhookDelivery.objects.get()
        assert delivery.state == "pending"
        assert delivery.last_status_code == 500
        assert delivery.claimed_at is not None
        wait = (delivery.next_attempt_at - delivery.claimed_at).total_seconds()
        assert 0 < wait <= 10  # the first retry within 10 s
        make_due()
        attempt_all_due()
        second = receiver.wait_for(2)
    assert len(second) == 2
    assert first[0].headers["webhook-id"] == second[1].headers["webhook-id"]
    assert first[0].body == second[1].body
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == (
        "delivered",
        2,
        200,
    )
    # Delivered: never again, whatever asks.
    make_due()
    assert webhook_delivery.delivery_attempt(delivery_id=str(delivery.pk)) is False
    assert len(receiver.received) == 2


def timed_attempt(api, answer: int | str) -> tuple[float, WebhookDelivery]:
    """One create's event, attempted against a receiver that answers ``answer``:
    the seconds the attempt took, and its delivery row after it."""
    seller = seller_make()
    partner_make(zip_codes=("20095",))
    with running_receiver(answer) as receiver:
        register(api, seller, receiver.url, events=["shipment.created"])
        api.post("/api/v1/shipments/", SHIPMENT_BODY, format="json", **bearer(seller))
        make_due()
        started = time.monotonic()
        attempt_all_due()
        elapsed = time.monotonic() - started
    return elapsed, WebhookDelivery.objects.get()


def test_a_hanging_receiver_costs_the_attempt_no_more_than_the_timeout(api, settings):
    settings.WEBHOOK_TIMEOUT = 1
    elapsed, delivery = timed_attempt(api, HANG)
    assert elapsed < 5 * settings.WEBHOOK_TIMEOUT  # 1 s timeout; generous bound
    assert delivery.state == "pending"
    assert "timeout" in delivery.last_error.lower()


def test_a_trickling_receiver_is_cut_before_the_claim_expires(api, settings):
    """A receiver that sends a byte every 0.25 s never lets one read time out;
    the attempt still ends at its deadline, well before the relay would take
    the claim as a dead worker's and send the event again."""
    settings.WEBHOOK_TIMEOUT = 2
    elapsed, delivery = timed_attempt(api, TRICKLE)
    deadline = webhook_delivery.attempt_deadline()
    assert deadline < webhook_delivery.claim_lease().total_seconds()
    # The trickle alone would take 250 s; the deadline is 4 s, the lease 6 s.
    assert elapsed < webhook_delivery.claim_lease().total_seconds()
    assert delivery.state == "pending"
    assert f"within {deadline:g} s" in delivery.last_error


def test_gives_up_after_the_last_attempt_and_disables_a_long_failing_endpoint(
    api, settings
):
    from datetime import timedelta

    from django.utils import timezone

    from shipping.models import Notification

    seller = seller_make()
    partner_make(zip_codes=("20095",))
    with running_receiver(*([503] * 20)) as receiver:
        hook = register(api, seller, receiver.url, events=["shipment.created"])
        api.post("/api/v1/shipments/", SHIPMENT_BODY, format="json", **bearer(seller))
        for _ in range(webhook_delivery.MAX_ATTEMPTS):
            make_due()
            attempt_all_due()
        assert len(receiver.received) == webhook_delivery.MAX_ATTEMPTS
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts) == (
        "failed",
        webhook_delivery.MAX_ATTEMPTS,
    )
    endpoint = WebhookEndpoint.objects.get(pk=hook["id"])
    assert endpoint.failing_since is not None
    assert endpoint.disabled_at is None
    # Failing for longer than the limit: the next failure disables it.
    WebhookEndpoint.objects.filter(pk=hook["id"]).update(
        failing_since=timezone.now()
        - timedelta(days=settings.WEBHOOK_DISABLE_AFTER_DAYS + 1)
    )
    with running_receiver(503) as receiver:
        WebhookEndpoint.objects.filter(pk=hook["id"]).update(url=receiver.url)
        api.post("/api/v1/shipments/", SHIPMENT_BODY, format="json", **bearer(seller))
        attempt_all_due()
    endpoint.refresh_from_db()
    assert endpoint.disabled_at is not None
    told = Notification.objects.get(kind="webhook_disabled")
    assert told.recipient == seller.user.email
    assert told.context["url"] == receiver.url
    listed = api.get("/api/v1/webhooks/", **bearer(seller)).json()
    assert listed[0]["disabled_at"] is not None


def test_rotation_signs_with_both_secrets_for_a_day(api):
    seller = seller_make()
    partner_make(zip_codes=("20095",))
    with running_receiver() as receiver:
        hook = register(api, seller, receiver.url, events=["shipment.created"])
        rotated = api.post(
            f"/api/v1/webhooks/{hook['id']}/rotate-secret/", **bearer(seller)
        )
        assert rotated.status_code == 200
        new_secret = rotated.json()["secret"]
        assert new_secret != hook["secret"]
        api.post("/api/v1/shipments/", SHIPMENT_BODY, format="json", **bearer(seller))
        attempt_all_due()
        (request,) = receiver.wait_for(1)
    for secret in (hook["secret"], new_secret):
        Webhook(secret).verify(request.body, request.headers)
    assert len(request.headers["webhook-signature"].split(" ")) == 2


def test_registration_validates_and_isolates_sellers(api):
    seller, other = seller_make(), seller_make()
    bad = api.post(
        "/api/v1/webhooks/",
        {"url": "https://example.org/h", "events": ["shipment.exploded"]},
        format="json",
        **bearer(seller),
    )
    assert bad.status_code == 400
    empty = api.post(
        "/api/v1/webhooks/",
        {"url": "https://example.org/h", "events": []},
        format="json",
        **bearer(seller),
    )
    assert empty.status_code == 400
    with running_receiver() as receiver:
        hook = register(api, seller, receiver.url)
    assert "secret" not in api.get("/api/v1/webhooks/", **bearer(seller)).json()[0]
    assert api.get("/api/v1/webhooks/", **bearer(other)).json() == []
    for path in (
        f"/api/v1/webhooks/{hook['id']}/deliveries/",
        f"/api/v1/webhooks/{hook['id']}/rotate-secret/",
        f"/api/v1/webhooks/{hook['id']}/",
    ):
        method = (
            api.post
            if path.endswith("secret/")
            else (api.delete if path.endswith(f"{hook['id']}/") else api.get)
        )
        assert method(path, **bearer(other)).status_code == 404, path
    assert (
        api.delete(f"/api/v1/webhooks/{hook['id']}/", **bearer(seller)).status_code
        == 204
    )
    assert WebhookEndpoint.objects.count() == 0


def test_the_body_is_the_shipment_as_its_seller_sees_it(api):
    seller = seller_make()
    partner_make(zip_codes=("20095",))
    with running_receiver() as receiver:
        register(api, seller, receiver.url, events=["shipment.created"])
        created = api.post(
            "/api/v1/shipments/", SHIPMENT_BODY, format="json", **bearer(seller)
        )
        attempt_all_due()
        (request,) = receiver.wait_for(1)
    payload = json.loads(request.body)
    assert set(payload) == {"type", "timestamp", "livemode", "data"}
    shown = api.get(
        f"/api/v1/shipments/{created.json()['id']}/", **bearer(seller)
    ).json()
    assert payload["data"] == created.json() == shown


def test_the_admin_shows_webhooks_read_only_and_redelivers(api, admin_client):
    seller = seller_make()
    partner_make(zip_codes=("20095",))
    with running_receiver() as receiver:
        register(api, seller, receiver.url, events=["shipment.created"])
        api.post("/api/v1/shipments/", SHIPMENT_BODY, format="json", **bearer(seller))
        attempt_all_due()
        delivery = WebhookDelivery.objects.get()
        assert delivery.state == "delivered"
        listing = admin_client.get("/admin/shipping/webhookdelivery/")
        assert listing.status_code == 200
        assert b"shipment.created" in listing.content
        endpoint_page = admin_client.get("/admin/shipping/webhookendpoint/")
        assert endpoint_page.status_code == 200
        assert b"whsec_" not in endpoint_page.content
        detail = admin_client.get(
            f"/admin/shipping/webhookdelivery/{delivery.pk}/change/"
        )
        assert detail.status_code == 200
        assert b'name="_save"' not in detail.content  # read-only
        admin_client.post(
            "/admin/shipping/webhookdelivery/",
            {"action": "redeliver", "_selected_action": [str(delivery.pk)]},
        )
        delivery.refresh_from_db()
        assert delivery.state == "pending"
        attempt_all_due()
        received = receiver.wait_for(2)
    assert len(received) == 2
    assert received[0].headers["webhook-id"] == received[1].headers["webhook-id"]


def test_an_attempt_a_dead_worker_left_is_tried_again_with_the_same_id(api):
    from datetime import timedelta

    from django.utils import timezone

    seller = seller_make()
    partner_make(zip_codes=("20095",))
    with running_receiver() as receiver:
        register(api, seller, receiver.url, events=["shipment.created"])
        api.post("/api/v1/shipments/", SHIPMENT_BODY, format="json", **bearer(seller))
        delivery = WebhookDelivery.objects.get()
        # A worker claimed it and died before it could record anything.
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            state="sending",
            attempts=1,
            claimed_at=timezone.now() - timedelta(minutes=10),
        )
        assert webhook_delivery.delivery_attempt(delivery_id=str(delivery.pk)) is False
        webhook_delivery.deliveries_relay(older_than_seconds=0)
        delivery.refresh_from_db()
        assert (delivery.state, delivery.last_error) == (
            "pending",
            "attempt did not finish",
        )
        make_due()
        attempt_all_due()
        (request,) = receiver.wait_for(1)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("delivered", 2)
    assert request.headers["webhook-id"] == delivery.message_id


def test_a_delivery_makes_status_changed_and_delivered_events(api):
    from shipping.models import Notification
    from shipping.services.emails import notification_delivery_code

    seller = seller_make()
    partner = partner_make(zip_codes=("20095",))
    with running_receiver() as receiver:
        hook = register(api, seller, receiver.url)
        created = api.post(
            "/api/v1/shipments/", SHIPMENT_BODY, format="json", **bearer(seller)
        )
        path = f"/api/v1/shipments/{created.json()['id']}/"
        for status in ("in_transit", "in_transit", "out_for_delivery"):
            moved = api.patch(
                path, {"status": status}, format="json", **bearer(partner)
            )
            assert moved.status_code == 200
        code = notification_delivery_code(
            Notification.objects.filter(kind="out_for_delivery").latest("pk")
        )
        done = api.patch(
            path,
            {"status": "delivered", "verification_code": code},
            format="json",
            **bearer(partner),
        )
        assert done.status_code == 200
        attempt_all_due()
        received = receiver.wait_for(6)
    verifier = Webhook(hook["secret"])
    events = [verifier.verify(r.body, r.headers) for r in received]
    seen = sorted((event["type"], event["data"]["status"]) for event in events)
    # A scan that keeps the status (in_transit again) changes nothing: no event.
    assert seen == sorted(
        [
            ("shipment.created", "placed"),
            ("shipment.status_changed", "in_transit"),
            ("shipment.status_changed", "out_for_delivery"),
            ("shipment.status_changed", "delivered"),
            ("shipment.delivered", "delivered"),
        ]
    )
    assert len({r.headers["webhook-id"] for r in received}) == 5
