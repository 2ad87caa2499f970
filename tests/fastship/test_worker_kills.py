"""A worker SIGKILLed mid-send, six times in a burst: only a mail whose message
went out without a reply waits for a person; every other arrives exactly once,
with nothing run by hand.

The worker is started as ``docker/entrypoint.sh worker`` starts it, on a
private Redis, against a real SMTP server (aiosmtpd) that kills the worker at
chosen points of chosen sessions: after the recipient (the message not sent
yet) or after the message (the server has it, the worker never hears "250").
A replacement worker is started after each kill, as ECS would.
"""

from __future__ import annotations

import threading
import time

import pytest

from shipping.models import Notification
from tests.fastship.test_worker_faults import (
    DEADLINE,
    app_on,  # noqa: F401 - a fixture
    kill_tree,
    record_mails,
    start_worker,
    stop_worker,
)
from tests.servers import ServerProcess, free_port, private_redis, wait_until
from tests.shipping.conftest import Mailbox

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

# Sessions (1-based, counted over the whole run) in which the worker is killed.
KILL_BEFORE_DATA = {2, 5, 9, 14}
KILL_AFTER_DATA = {7, 12}


class KillingMailbox(Mailbox):
    """Kills the worker in hand at chosen sessions, before or after the message."""

    def __init__(self) -> None:
        super().__init__()
        self.worker: ServerProcess | None = None
        self.sessions = 0
        self.killed_before: list[str] = []
        self.killed_after: list[str] = []
        self.lock = threading.Lock()

    def _kill(self) -> None:
        worker = self.worker
        if worker is not None and worker.poll() is None:
            kill_tree(worker.pid)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.sessions += 1
            number = self.sessions
        if number in KILL_BEFORE_DATA:
            self.killed_before.append(address)
            self._kill()
            return "451 gone"
        envelope.rcpt_tos.append(address)
        session.fastship_number = number
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        if getattr(session, "fastship_number", 0) in KILL_AFTER_DATA:
            self.killed_after.extend(envelope.rcpt_tos)
            self._kill()
        return answer


def test_six_kills_in_a_burst_leave_a_person_only_the_mails_that_went_out(
    app_on,  # noqa: F811
    settings,
):
    from aiosmtpd.controller import Controller

    from shipping.services.notification_recovery import notifications_needing_attention

    mailbox = KillingMailbox()
    smtp_port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    lease = {"EMAIL_TIMEOUT": "2", "NOTIFICATION_SEND_LEASE": "6"}
    settings.NOTIFICATION_SEND_LEASE = 6  # this process reads the leases too
    workers: list[ServerProcess] = []
    try:
        with private_redis() as redis:
            app_on(redis)
            mailbox.worker = start_worker(redis, smtp_port, env=lease)
            workers.append(mailbox.worker)
            recipients = record_mails(24)
            kills = len(KILL_BEFORE_DATA) + len(KILL_AFTER_DATA)
            deadline = time.monotonic() + 4 * DEADLINE
            # As ECS would: a dead worker is replaced.
            while time.monotonic() < deadline:
                if mailbox.worker.poll() is not None:
                    mailbox.worker = start_worker(redis, smtp_port, env=lease)
                    workers.append(mailbox.worker)
                done = Notification.objects.filter(
                    recipient__in=recipients, state=Notification.State.SENT
                ).count()
                if done == len(recipients) - len(KILL_AFTER_DATA):
                    break
                time.sleep(0.5)
            assert len(workers) == kills + 1, [w.output for w in workers]
            went_out = set(mailbox.killed_after)
            assert len(went_out) == len(KILL_AFTER_DATA)
            assert len(mailbox.killed_before) == len(KILL_BEFORE_DATA)

            def settled() -> bool:
                rows = Notification.objects.filter(recipient__in=recipients)
                return rows.filter(state=Notification.State.SENT).count() == len(
                    recipients
                ) - len(went_out)

            assert wait_until(settled, seconds=DEADLINE), workers[-1].output
            time.sleep(3)  # a relay run or two more: nothing may be sent again
            for recipient in recipients:
                assert len(mailbox.to(recipient)) == 1, recipient
            rows = {row.recipient: row for row in Notification.objects.all()}
            for recipient in went_out:
                row = rows[recipient]
                assert row.state == Notification.State.SENDING
                assert row.send_stage == Notification.SendStage.DATA_SENT

            def needing() -> set[str]:
                rows = notifications_needing_attention()
                return set(rows.values_list("recipient", flat=True))

            assert wait_until(lambda: needing() == went_out, seconds=DEADLINE)
            # The mails killed before their message were sent again by the
            # relay, on their own: each arrived once.
            for recipient in mailbox.killed_before:
                assert rows[recipient].state == Notification.State.SENT
                assert rows[recipient].attempts >= 2
    finally:
        for worker in workers:
            stop_worker(worker)
        controller.stop()
