"""Webhook self-service: a seller pings, replays, edits, disables and enables
its endpoints and reads their statistics; an operator does the same in the
admin. Deliveries go to a real receiver and are verified as it would."""

from __future__ import annotations

import json

import pytest
from standardwebhooks.webhooks import Webhook

from shipping.models import WebhookDelivery, WebhookEndpoint
from tests.factories import SHIPMENT_BODY, bearer, partner_make, seller_make
from tests.shipping.test_webhooks import attempt_all_due, register
from tests.webhook_receiver import running_receiver

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _local_receivers(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # the receiver is on 127.0.0.1
    settings.WEBHOOK_TIMEOUT = 2


def stats(api, seller, hook) -> dict:
    answer = api.get(f"/api/v1/webhooks/{hook['id']}/stats/", **bearer(seller))
    assert answer.status_code == 200, answer.content
    return answer.json()


def test_a_ping_is_signed_logged_and_counted(api):
    seller = seller_make()
    with running_receiver() as receiver:
        hook = register(api, seller, receiver.url, events=["shipment.created"])
        pinged = api.post(f"/api/v1/webhooks/{hook['id']}/test/", **bearer(seller))
        assert pinged.status_code == 202, pinged.content
        assert pinged.json()["event_type"] == "webhook.ping"
        attempt_all_due()
        (request,) = receiver.wait_for(1)
    payload = Webhook(hook["secret"]).verify(request.body, request.headers)
    assert payload["type"] == "webhook.ping"
    assert payload["livemode"] is True
    assert payload["data"] == {"webhook_id": hook["id"], "url": receiver.url}
    assert request.headers["webhook-id"] == pinged.json()["id"]
    log = api.get(
        f"/api/v1/webhooks/{hook['id']}/deliveries/?page_size=10", **bearer(seller)
    ).json()["results"]
    assert [(d["event_type"], d["state"]) for d in log] == [
        ("webhook.ping", "delivered")
    ]
    counted = stats(api, seller, hook)
    assert counted["delivered"] == 1
    assert counted["delivered_24h"] == 1
    assert counted["success_rate_24h"] == 1.0


def test_a_replay_sends_the_same_event_with_the_same_webhook_id(api):
    seller = seller_make()
    partner_make(zip_codes=("20095",))
    with running_receiver() as receiver:
        hook = register(api, seller, receiver.url, events=["shipment.created"])
        api.post("/api/v1/shipments/", SHIPMENT_BODY, format="json", **bearer(seller))
        attempt_all_due()
        delivery = WebhookDelivery.objects.get()
        replayed = api.post(
            f"/api/v1/webhooks/{hook['id']}/deliveries/{delivery.message_id}/replay/",
            **bearer(seller),
        )
        assert replayed.status_code == 202, replayed.content
        assert replayed.json()["state"] == "pending"
        attempt_all_due()
        first, second = receiver.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    delivery.refresh_from_db()
    assert delivery.state == "delivered"
    assert delivery.attempts == 2
    # Unknown, malformed, or another endpoint's delivery: 404.
    other = register(
        api, seller, "https://127.0.0.1:9/other", events=["shipment.created"]
    )
    for hook_id, message in (
        (other["id"], delivery.message_id),
        (hook["id"], "msg_not-hex"),
        (hook["id"], "msg_" + "0" * 32),
    ):
        missing = api.post(
            f"/api/v1/webhooks/{hook_id}/deliveries/{message}/replay/",
            **bearer(seller),
        )
        assert missing.status_code == 404, (hook_id, message)


def test_a_disabled_endpoint_holds_events_and_enabling_sends_them(api):
    seller = seller_make()
    partner_make(zip_codes=("20095",))
    with running_receiver() as receiver:
        hook = register(api, seller, receiver.url, events=["shipment.created"])
        off = api.patch(
            f"/api/v1/webhooks/{hook['id']}/",
            {"enabled": False},
            format="json",
            **bearer(seller),
        )
        assert off.status_code == 200
        assert off.json()["enabled"] is False
        for _ in range(2):
            api.post(
                "/api/v1/shipments/", SHIPMENT_BODY, format="json", **bearer(seller)
            )
        attempt_all_due()
        assert receiver.wait_for(1, timeout=0.5) == []
        held = stats(api, seller, hook)
        assert held["held"] == 2
        assert held["delivered"] == 0
        # A ping reaches a disabled endpoint (a check before enabling it).
        api.post(f"/api/v1/webhooks/{hook['id']}/test/", **bearer(seller))
        attempt_all_due()
        assert len(receiver.wait_for(1)) == 1
        # A replay of a held one waits for the endpoint to be enabled.
        held_one = WebhookDelivery.objects.filter(event_type="shipment.created")[0]
        refused = api.post(
            f"/api/v1/webhooks/{hook['id']}/deliveries/{held_one.message_id}/replay/",
            **bearer(seller),
        )
        assert refused.status_code == 409
        assert refused.json()["errors"][0]["code"] == "webhook_disabled"
        on = api.patch(
            f"/api/v1/webhooks/{hook['id']}/",
            {"enabled": True},
            format="json",
            **bearer(seller),
        )
        assert on.status_code == 200
        assert on.json()["enabled"] is True
        attempt_all_due()
        received = receiver.wait_for(3)
    created = [
        json.loads(r.body)
        for r in received
        if json.loads(r.body)["type"] == "shipment.created"
    ]
    assert len(created) == 2
    after = stats(api, seller, hook)
    assert after["held"] == 0
    assert after["delivered"] == 3
    assert WebhookEndpoint.objects.get(pk=hook["id"]).failing_since is None


def test_an_edit_changes_url_and_events_and_keeps_the_secret(api):
    seller = seller_make()
    partner_make(zip_codes=("20095",))
    with running_receiver() as old, running_receiver() as new:
        hook = register(api, seller, old.url, events=["shipment.cancelled"])
        edited = api.patch(
            f"/api/v1/webhooks/{hook['id']}/",
            {"url": new.url, "events": ["shipment.created"]},
            format="json",
            **bearer(seller),
        )
        assert edited.status_code == 200, edited.content
        assert edited.json()["url"] == new.url
        assert edited.json()["events"] == ["shipment.created"]
        api.post("/api/v1/shipments/", SHIPMENT_BODY, format="json", **bearer(seller))
        attempt_all_due()
        (request,) = new.wait_for(1)
        assert old.received == []
    Webhook(hook["secret"]).verify(request.body, request.headers)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"url": "not a url"},
        {"events": []},
        {"events": ["shipment.lost"]},
        {"enabled": "maybe"},
        {"secret": "whsec_mine"},
    ],
)
def test_a_bad_edit_is_a_400_and_changes_nothing(api, body):
    seller = seller_make()
    hook = register(api, seller, "https://127.0.0.1:9/hook")
    answer = api.patch(
        f"/api/v1/webhooks/{hook['id']}/", body, format="json", **bearer(seller)
    )
    assert answer.status_code == 400, answer.content
    endpoint = WebhookEndpoint.objects.get(pk=hook["id"])
    assert endpoint.url == hook["url"]
    assert endpoint.events == hook["events"]
    assert endpoint.disabled_at is None


def test_an_edit_to_a_private_address_is_refused(api, settings):
    seller = seller_make()
    hook = register(api, seller, "https://127.0.0.1:9/hook")
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    answer = api.patch(
        f"/api/v1/webhooks/{hook['id']}/",
        {"url": "https://10.0.0.1/hook"},
        format="json",
        **bearer(seller),
    )
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["code"] == "webhook_target_refused"


def test_another_sellers_endpoint_is_a_404_everywhere(api):
    owner, other = seller_make(), seller_make()
    hook = register(api, owner, "https://127.0.0.1:9/hook")
    base = f"/api/v1/webhooks/{hook['id']}/"
    assert (
        api.patch(base, {"enabled": False}, format="json", **bearer(other)).status_code
        == 404
    )
    assert api.post(base + "test/", **bearer(other)).status_code == 404
    assert api.get(base + "stats/", **bearer(other)).status_code == 404
    assert WebhookDelivery.objects.count() == 0
    assert WebhookEndpoint.objects.get(pk=hook["id"]).disabled_at is None


def test_the_admin_shows_statistics_pings_and_enables(api, admin_client):
    seller = seller_make()
    with running_receiver() as receiver:
        hook = register(api, seller, receiver.url)
        api.patch(
            f"/api/v1/webhooks/{hook['id']}/",
            {"enabled": False},
            format="json",
            **bearer(seller),
        )
        page = admin_client.get(f"/admin/shipping/webhookendpoint/{hook['id']}/change/")
        assert page.status_code == 200
        assert b"held while disabled" in page.content
        admin_client.post(
            "/admin/shipping/webhookendpoint/",
            {"action": "send_test_ping", "_selected_action": [hook["id"]]},
        )
        attempt_all_due()
        (ping,) = receiver.wait_for(1)
        assert json.loads(ping.body)["type"] == "webhook.ping"
        admin_client.post(
            "/admin/shipping/webhookendpoint/",
            {"action": "enable_again", "_selected_action": [hook["id"]]},
        )
    assert WebhookEndpoint.objects.get(pk=hook["id"]).disabled_at is None
