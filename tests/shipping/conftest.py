"""Fixtures of the shipping tests: a real SMTP server, job draining, a clean cache."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from django.core.cache import caches
from rest_framework.test import APIClient

from fastship.jobs import background_enqueuer, get_queue, jobs_run_inline
from fastship.redis import QUEUE_NAMES, get_redis
from tests.servers import free_port


class Mailbox:
    """What a real SMTP server (aiosmtpd) received."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            message_from_bytes(envelope.content, policy=policy.default)
        )
        return "250 Message accepted for delivery"

    def to(self, recipient: str) -> list[EmailMessage]:
        return [m for m in self.messages if recipient in m["To"]]

    def last_to(self, recipient: str) -> EmailMessage:
        received = self.to(recipient)
        assert received, (
            f"no mail to {recipient}; got {[m['To'] for m in self.messages]}"
        )
        return received[-1]


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def links_in(message: EmailMessage) -> list[str]:
    return re.findall(r"https?://\S+", text_of(message))


@pytest.fixture
def smtp(settings) -> Iterator[Mailbox]:
    """A real SMTP server on a free port; Django sends to it."""
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    send_mail_to(settings, port)
    yield mailbox
    controller.stop()


def send_mail_to(settings, port: int, *, timeout: int = 10) -> None:
    """Point Django's SMTP backend at 127.0.0.1:``port``, plain, no login."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = timeout


@pytest.fixture
def run_jobs():
    """Return a function that hands queued jobs over and runs them on a real worker."""
    from rq import SimpleWorker

    def run() -> None:
        background_enqueuer.drain()
        if jobs_run_inline():
            return
        queues = [get_queue(name) for name in QUEUE_NAMES]
        SimpleWorker(
            queues, connection=get_redis(), job_class=queues[0].job_class
        ).work(burst=True)

    if not jobs_run_inline():
        for name in QUEUE_NAMES:
            get_queue(name).empty()
    return run


@pytest.fixture(autouse=True)
def _clean_cache():
    """Throttle counters must not leak between tests."""
    for alias in ("default", "throttle"):
        with contextlib.suppress(Exception):  # a dead Redis in a fault test is fine
            caches[alias].clear()
    from shipping.throttles import cache_breaker

    cache_breaker.record_success()


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def in_transit(seeded_tags):
    """A shipment moved to in transit at 10115 (the page tests' parcel)."""
    from shipping.models import Shipment
    from shipping.services import shipments
    from tests.factories import partner_make, seller_make, shipment_make

    partner = partner_make(zip_codes=("20095",))
    made = shipment_make(seller=seller_make())
    shipments.shipment_update(
        shipment_id=made.pk,
        partner=partner,
        status="in_transit",
        location_zip_code="10115",
    )
    return Shipment.objects.get(pk=made.pk)


@pytest.fixture
def delivered(seeded_tags):
    """A shipment delivered with the code from its mail (the review tests' parcel)."""
    from shipping.models import Notification
    from shipping.services import shipments
    from shipping.services.emails import notification_delivery_code
    from tests.factories import partner_make, seller_make, shipment_make

    seller = seller_make()
    partner = partner_make(zip_codes=("20095",))
    shipment = shipment_make(seller=seller)
    shipments.shipment_update(
        shipment_id=shipment.pk, partner=partner, status="in_transit"
    )
    shipments.shipment_update(
        shipment_id=shipment.pk, partner=partner, status="out_for_delivery"
    )
    code = notification_delivery_code(
        Notification.objects.filter(kind="out_for_delivery").latest("pk")
    )
    shipments.shipment_update(
        shipment_id=shipment.pk,
        partner=partner,
        status="delivered",
        verification_code=code,
    )
    return shipment
