"""The outbox sends each mail at most once, against a real SMTP server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.utils import timezone

from shipping.models import Notification
from shipping.services.notification_recovery import (
    notifications_needing_attention,
    notifications_resend,
)
from shipping.services.notifications import NotificationNotSent, notification_send
from tests.servers import free_port
from tests.shipping.conftest import Mailbox, send_mail_to

pytestmark = pytest.mark.django_db


class RefusingMailbox(Mailbox):
    """Says 451 (try later) to every recipient: nothing is taken."""

    async def handle_RCPT(self, server, session, envelope, address, options):
        return "451 4.3.0 try again later"


class SlowAfterDataMailbox(Mailbox):
    """Takes the whole message, then answers later than the client waits."""

    async def handle_DATA(self, server, session, envelope):
        await super().handle_DATA(server, session, envelope)
        await asyncio.sleep(3)
        return "250 accepted, too late"


@contextmanager
def smtp_server(settings, mailbox: Mailbox | None, *, timeout: int = 10) -> Iterator:
    """Point Django at a real SMTP server running ``mailbox`` (None: a closed port)."""
    from aiosmtpd.controller import Controller

    port = free_port()
    controller = None
    if mailbox is not None:
        controller = Controller(mailbox, hostname="127.0.0.1", port=port)
        controller.start()
    send_mail_to(settings, port, timeout=timeout)
    try:
        yield mailbox
    finally:
        if controller is not None:
            controller.stop()


def pending_mail(recipient: str = "r@example.com") -> Notification:
    return Notification.objects.create(
        kind=Notification.Kind.CANCELLED,
        recipient=recipient,
        context={"tracking_code": "ABC123", "secret_link": "https://x/secret"},
        created_at=timezone.now() - timedelta(minutes=5),
    )


def test_sent_mail_carries_a_message_id_of_its_row(settings):
    """A sent mail has a Message-ID derived from its row; its secrets are wiped."""
    with smtp_server(settings, Mailbox()) as mailbox:
        row = pending_mail()
        assert notification_send(notification_id=row.pk) is True
        assert notification_send(notification_id=row.pk) is False
    assert len(mailbox.messages) == 1
    assert mailbox.messages[0]["Message-ID"] == f"<notification-{row.pk}." + (
        f"{int(row.created_at.timestamp())}@localhost>"
    )
    row.refresh_from_db()
    assert row.state == Notification.State.SENT
    assert "secret_link" not in row.context


@pytest.mark.parametrize("mailbox", [None, RefusingMailbox()], ids=["closed", "451"])
def test_a_refusal_puts_the_mail_back_for_a_retry(settings, mailbox):
    """No connection, or a 4xx before DATA: pending again, and the job retries."""
    with smtp_server(settings, mailbox):
        row = pending_mail()
        with pytest.raises(NotificationNotSent):
            notification_send(notification_id=row.pk)
    row.refresh_from_db()
    assert row.state == Notification.State.PENDING
    assert row.attempts == 1
    assert row.last_error
    assert row.pk in _relayed_ids()  # the relay hands it over again


def test_an_unknown_outcome_is_never_sent_again_automatically(settings):
    """A timeout after the message went out leaves it claimed, for a person."""
    settings.NOTIFICATION_SEND_LEASE = 30
    with smtp_server(settings, SlowAfterDataMailbox(), timeout=1) as mailbox:
        row = pending_mail("slow@example.com")
        assert notification_send(notification_id=row.pk) is False
        assert len(mailbox.messages) == 1  # the server has it
        row.refresh_from_db()
        assert row.state == Notification.State.SENDING
        # Neither a retry of the job nor the relay sends it again.
        assert notification_send(notification_id=row.pk) is False
        assert row.pk not in _relayed_ids()
        assert not notifications_needing_attention().filter(pk=row.pk).exists()
        Notification.objects.filter(pk=row.pk).update(
            claimed_at=timezone.now() - timedelta(seconds=31)
        )
        assert notifications_needing_attention().filter(pk=row.pk).exists()
    with smtp_server(settings, Mailbox()) as mailbox:
        # An operator re-sends it deliberately (the admin action).
        assert notifications_resend(notification_ids=[row.pk]) == 1
        assert notification_send(notification_id=row.pk) is True
        assert len(mailbox.to("slow@example.com")) == 1


def _relayed_ids() -> set[int]:
    """The ids the relay would hand over now."""
    return set(
        Notification.objects.filter(state=Notification.State.PENDING).values_list(
            "pk", flat=True
        )
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_outbox_readiness_warns_about_mail_needing_attention(settings):
    """The readiness check names claimed mail past its lease."""
    from shipping.health import OutboxCheck

    settings.NOTIFICATION_SEND_LEASE = 30
    row = pending_mail()
    assert OutboxCheck().measure().observed_value["needsAttention"] == 0
    Notification.objects.filter(pk=row.pk).update(
        state=Notification.State.SENDING,
        claimed_at=timezone.now() - timedelta(seconds=60),
    )
    from healthcheck.readiness import CheckError

    with pytest.raises(CheckError, match="1 mail"):
        OutboxCheck().measure()
