"""Webhooks under faults: Redis hung at the change, and the SSRF guard."""

from __future__ import annotations

import time

import pytest
from django.core.exceptions import ImproperlyConfigured

from fastship.env import RedisConfig
from fastship.jobs import background_enqueuer
from fastship.outbound import TargetRefused, check_target, post
from fastship.redis import reset_shared_client
from shipping.jobs import relay_webhooks_job
from shipping.models import WebhookDelivery, WebhookEndpoint
from shipping.services.webhook_delivery import deliveries_relay
from tests.factories import SHIPMENT_BODY, bearer, partner_make, seller_make
from tests.servers import private_redis
from tests.webhook_receiver import running_receiver

SHIPMENT = {**SHIPMENT_BODY, "recipient_email": "hooks@example.org"}


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_redis_hung_during_the_change_still_delivers_once_afterwards(api, settings):
    """The request does not wait on Redis; the relay delivers once it restarts empty."""
    from rq import SimpleWorker

    from fastship.jobs import get_queue
    from fastship.redis import get_redis

    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    seller = seller_make()
    partner_make(zip_codes=("20095",))
    with private_redis() as redis_server, running_receiver() as receiver:
        settings.FASTSHIP_REDIS = RedisConfig(host="127.0.0.1", port=redis_server.port)
        reset_shared_client()
        background_enqueuer._init_state()
        hook = api.post(
            "/api/v1/webhooks/",
            {"url": receiver.url, "events": ["shipment.created"]},
            format="json",
            **bearer(seller),
        ).json()
        redis_server.pause()
        started = time.monotonic()
        created = api.post(
            "/api/v1/shipments/", SHIPMENT, format="json", **bearer(seller)
        )
        elapsed = time.monotonic() - started
        assert created.status_code == 201
        assert elapsed < 3.0  # a blocked hand-over would cost the request seconds
        background_enqueuer.drain(timeout=10)
        assert WebhookDelivery.objects.get().state == "pending"
        assert receiver.received == []

        redis_server.restart_empty()  # comes back with nothing in it
        reset_shared_client()
        background_enqueuer._init_state()
        assert relay_webhooks_job() == 0  # the hand-over gets its time first
        assert deliveries_relay(older_than_seconds=0) == 1
        queues = [get_queue("webhooks")]
        worker = SimpleWorker(
            queues, connection=get_redis(), job_class=queues[0].job_class
        )
        worker.work(burst=True)
        received = receiver.wait_for(1)
        assert deliveries_relay(older_than_seconds=0) == 0  # nothing due any more
        worker.work(burst=True)
        time.sleep(0.2)
        assert len(receiver.received) == len(received) == 1
    reset_shared_client()
    background_enqueuer._init_state()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts) == ("delivered", 1)
    assert str(delivery.endpoint_id) == hook["id"]


PRIVATE_TARGETS = [
    "https://127.0.0.1/hook",
    "https://localhost/hook",
    "https://10.1.2.3/hook",
    "https://172.16.0.5/hook",
    "https://192.168.1.10/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://100.64.0.1/hook",
    "https://0.0.0.0/hook",
    "https://[::1]/hook",
    "https://[fd00::1]/hook",
    "https://[fe80::1]/hook",
    "https://[::ffff:10.0.0.1]/hook",
    # IPv4 carried in IPv6 (F9): compatible, NAT64 (the metadata address),
    # 6to4, translated, Teredo, site-local and local-use NAT64.
    "https://[::127.0.0.1]/hook",
    "https://[64:ff9b::a9fe:a9fe]/hook",
    "https://[2002:7f00:1::1]/hook",
    "https://[::ffff:0:7f00:1]/hook",
    "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook",
    "https://[fec0::1]/hook",
    "https://[64:ff9b:1::a00:1]/hook",
]


@pytest.mark.parametrize("url", PRIVATE_TARGETS)
def test_the_guard_refuses_private_ranges(url):
    """Refused by the address's class after unwrapping any IPv4 it carries; the
    refusal does not say what the host resolved to."""
    with pytest.raises(TargetRefused, match="an address that is not public") as refused:
        check_target(url, allow_private=False)
    host = url.split("//", 1)[1].split("/", 1)[0].strip("[]")
    assert host not in str(refused.value).split(" resolves")[1]


@pytest.mark.parametrize(
    "url",
    ["https://[2002:808:808::1]/h", "https://[64:ff9b::808:808]/h"],
)
def test_a_public_ipv4_carried_in_ipv6_passes(url):
    assert check_target(url, allow_private=False).port == 443


@pytest.mark.parametrize(
    "url",
    ["http://93.184.215.14/hook", "ftp://example.org/", "https://u:p@example.org/"],
)
def test_the_guard_refuses_plain_http_other_schemes_and_credentials(url):
    with pytest.raises(TargetRefused):
        check_target(url, allow_private=False)


def test_a_public_address_passes_without_dns():
    target = check_target("https://93.184.215.14/h?x=1", allow_private=False)
    assert (target.host, target.port, target.path) == ("93.184.215.14", 443, "/h?x=1")
    with pytest.raises(TargetRefused, match="port, 443"):
        check_target("https://93.184.215.14:8443/h", allow_private=False)


@pytest.mark.django_db
@pytest.mark.parametrize("url", [*PRIVATE_TARGETS[:4], "http://93.184.215.14/hook"])
def test_registration_refuses_private_targets_in_production_settings(
    api, settings, url
):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    seller = seller_make()
    answer = api.post(
        "/api/v1/webhooks/",
        {"url": url, "events": ["shipment.created"]},
        format="json",
        **bearer(seller),
    )
    assert answer.status_code == 400
    error = answer.json()["errors"][0]
    assert (error["code"], error["attr"]) == ("webhook_target_refused", "url")
    assert not WebhookEndpoint.objects.filter(seller=seller).exists()


def test_each_delivery_checks_again_and_follows_no_redirect():
    """A target that became private is refused at delivery, before connecting."""
    with running_receiver() as receiver:
        refused = post(
            receiver.url, b"{}", {}, timeout=1, deadline=2, allow_private=False
        )
        assert refused.status is None
        assert refused.error.startswith("refused:")
        assert receiver.received == []
        with running_receiver(302) as redirecting:
            answered = post(
                redirecting.url, b"{}", {}, timeout=1, deadline=2, allow_private=True
            )
        assert answered.status == 302
        assert not answered.ok
        assert receiver.received == []


def test_check_deploy_warns_when_private_targets_are_allowed():
    from tests.fastship.test_settings import PRODUCTION, run_manage

    on = {**PRODUCTION, "WEBHOOK_ALLOW_PRIVATE_TARGETS": "1"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **on)
    assert result.returncode != 0
    assert "WEBHOOK_ALLOW_PRIVATE_TARGETS" in result.stdout + result.stderr


def test_the_variable_is_a_boolean():
    from fastship.config.features import Webhooks

    with pytest.raises(ImproperlyConfigured):
        Webhooks.WEBHOOK_ALLOW_PRIVATE_TARGETS.read(
            {"WEBHOOK_ALLOW_PRIVATE_TARGETS": "maybe"}
        )


def test_a_tls_handshake_that_trickles_is_cut_at_the_deadline():
    """A server that starts a TLS record and then sends a byte every 0.25 s:
    the handshake ends at the deadline, before its own (total) timeout."""
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def trickle() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.sendall(b"\x16\x03\x03\x40\x00")  # a 16 KiB handshake record
            while not stop.wait(0.25):
                try:
                    connection.sendall(b"\x00")
                except OSError:
                    return

    threading.Thread(target=trickle, daemon=True).start()
    url = f"https://127.0.0.1:{listener.getsockname()[1]}/hooks"
    started = time.monotonic()
    try:
        outcome = post(url, b"{}", {}, timeout=5, deadline=1, allow_private=True)
    finally:
        stop.set()
        listener.close()
    elapsed = time.monotonic() - started
    assert outcome.status is None
    assert outcome.error == "no complete answer within 1 s"
    assert elapsed < 5  # cut by the deadline, not by the handshake's own timeout
