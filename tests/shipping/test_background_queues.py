"""The background path at load: a row queued once, queues served in turns,
a retry that RQ starts early still makes its attempt.

On a Redis of the test's own, with a real worker class (``FastShipWorker``)
and real receivers.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from redis import Redis

from fastship.jobs import background_enqueuer, enqueue_in, get_queue
from fastship.redis import QUEUE_NAMES
from shipping.jobs import mail_job_id, send_notification_job
from shipping.models import Notification, WebhookDelivery
from shipping.services import webhook_delivery
from shipping.services.notification_recovery import notifications_relay
from shipping.services.notifications import notification_send
from tests.factories import SHIPMENT_BODY, bearer, partner_make, seller_make
from tests.webhook_receiver import running_receiver

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _local_receivers(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True


def old_mails(count: int) -> list[Notification]:
    return Notification.objects.bulk_create(
        Notification(
            kind=Notification.Kind.CANCELLED,
            recipient=f"q{number}@example.com",
            context={"tracking_code": "T"},
            created_at=timezone.now() - timedelta(minutes=5),
        )
        for number in range(count)
    )


def test_the_relays_queue_a_row_once_however_often_they_run(redis_server, api):
    """Ten relay runs while the worker is behind: each row has one job."""
    mails = old_mails(40)
    seller = seller_make()
    partner_make(zip_codes=("20095",))
    with running_receiver() as receiver:
        api.post(
            "/api/v1/webhooks/",
            {"url": receiver.url, "events": ["shipment.created"]},
            format="json",
            **bearer(seller),
        )
        for _ in range(3):
            api.post(
                "/api/v1/shipments/", SHIPMENT_BODY, format="json", **bearer(seller)
            )
        background_enqueuer.drain()
        emails, webhooks = get_queue("emails"), get_queue("webhooks")
        assert webhooks.count == 3  # the hand-over's
        handed_over = emails.count  # the creates' own mails
        relayed = [
            (
                notifications_relay(older_than_seconds=0),
                webhook_delivery.deliveries_relay(older_than_seconds=0),
            )
            for _ in range(10)
        ]
        # The first run queues each mail (they had no job); none is queued again.
        assert relayed == [(len(mails), 0)] + [(0, 0)] * 9
        assert emails.count == handed_over + len(mails)
        assert webhooks.count == 3
        # A job that is lost (Redis emptied, a failed run) is queued again.
        emails.empty()
        webhooks.empty()
        assert notifications_relay(older_than_seconds=0) == handed_over + len(mails)
        assert webhook_delivery.deliveries_relay(older_than_seconds=0) == 3

    # A retry that is scheduled but overdue (its scheduler died with a killed
    # worker, whose lock holds for a minute) does not hold its row back.
    emails.empty()
    (late,) = old_mails(1)
    Notification.objects.filter(pk=late.pk).update(
        attempts=1, next_attempt_at=timezone.now() - timedelta(minutes=2)
    )
    enqueue_in(
        timedelta(hours=1),
        "emails",
        send_notification_job,
        late.pk,
        job_options={"job_id": mail_job_id(late.pk, 1)},
    )
    assert mail_job_id(late.pk, 1) in get_queue("emails").scheduled_job_registry
    assert notifications_relay(older_than_seconds=0) >= 1
    assert mail_job_id(late.pk, 1) in emails.get_job_ids()


def test_a_flooded_queue_does_not_starve_the_others(redis_server):
    """2,000 webhook jobs queued first: a request-log batch and a periodic job
    queued after them run within the first turns, not after the flood."""
    from fastship.worker import FastShipWorker
    from tests import jobs_for_tests

    client = Redis(port=redis_server.port)
    webhooks = get_queue("webhooks")
    with client.pipeline() as pipe:
        for _ in range(2000):
            webhooks.enqueue(jobs_for_tests.note_queue, "webhooks", pipeline=pipe)
        pipe.execute()
    get_queue("request_logs").enqueue(jobs_for_tests.note_queue, "request_logs")
    get_queue("periodic").enqueue(jobs_for_tests.note_queue, "periodic")
    get_queue("emails").enqueue(jobs_for_tests.note_queue, "emails")
    queues = [get_queue(name) for name in QUEUE_NAMES]
    worker = FastShipWorker(queues, connection=client, job_class=queues[0].job_class)
    worker.periodic_jobs = []  # only the jobs queued here
    worker.work(burst=True, max_jobs=20)
    reader = Redis(port=redis_server.port, decode_responses=True)
    ran = [str(name) for name in reader.lrange("test:ran", 0, -1)]
    assert len(ran) == 20
    for name in ("request_logs", "emails", "periodic"):
        assert ran.index(name) < len(QUEUE_NAMES), ran


def test_a_retry_that_starts_early_still_makes_its_attempt(api):
    """RQ's scheduler keeps whole seconds: a retry job may start up to a
    second before its row is due. It claims the row (within 1.5 s) and makes
    the attempt instead of leaving it for the relay."""
    seller = seller_make()
    partner_make(zip_codes=("20095",))
    with running_receiver() as receiver:
        api.post(
            "/api/v1/webhooks/",
            {"url": receiver.url, "events": ["shipment.created"]},
            format="json",
            **bearer(seller),
        )
        api.post("/api/v1/shipments/", SHIPMENT_BODY, format="json", **bearer(seller))
        delivery = WebhookDelivery.objects.get()
        rows = WebhookDelivery.objects.filter(pk=delivery.pk)
        rows.update(next_attempt_at=timezone.now() + timedelta(seconds=3))
        # Too early (beyond the resolution): not claimed, not sent.
        assert webhook_delivery.delivery_attempt(delivery_id=str(delivery.pk)) is False
        rows.update(next_attempt_at=timezone.now() + timedelta(seconds=0.9))
        assert webhook_delivery.delivery_attempt(delivery_id=str(delivery.pk)) is True
        assert len(receiver.wait_for(1)) == 1
    (mail,) = old_mails(1)
    Notification.objects.filter(pk=mail.pk).update(
        next_attempt_at=timezone.now() + timedelta(seconds=3)
    )
    assert notification_send(notification_id=mail.pk) is False
    Notification.objects.filter(pk=mail.pk).update(
        next_attempt_at=timezone.now() + timedelta(seconds=0.9)
    )
    assert notification_send(notification_id=mail.pk) is True
