"""The background path under Redis faults: a real worker, Redis, SMTP and PostgreSQL.

The worker is started the way ``docker/entrypoint.sh worker`` starts it, on a
``redis-server`` of the test's own that is hung (SIGSTOP), killed and started
again empty while mail is being recorded. Every mail must arrive exactly once,
with no command run by hand.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.db import transaction
from redis import Redis

from fastship.env import RedisConfig
from shipping.models import Notification
from tests.servers import (
    PG_BIN,
    PrivateRedis,
    ServerProcess,
    entrypoint_worker,
    free_port,
    private_cluster,
    private_redis,
    wait_until,
    worker_env,
)
from tests.shipping.conftest import Mailbox

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

RELAY_EVERY = 3  # seconds: the relay period the worker is started with
_numbers = itertools.count()


@contextmanager
def smtp_mailbox() -> Iterator[tuple[Mailbox, int]]:
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


def start_worker(
    redis: PrivateRedis,
    smtp_port: int,
    *,
    database_url: str | None = None,
    env: dict[str, str] | None = None,
) -> ServerProcess:
    """Start ``docker/entrypoint.sh worker`` against the test's Redis and database."""
    env = worker_env(
        redis.url(),
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        EMAIL_USE_TLS="0",
        NOTIFICATION_RELAY_EVERY=str(RELAY_EVERY),
        **(env or {}),
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return entrypoint_worker(env)


@pytest.fixture
def app_on(settings) -> Iterator[Callable[[PrivateRedis], None]]:
    """Point this process's hand-over (as the API's) at a private Redis."""
    from fastship.jobs import background_enqueuer
    from fastship.redis import reset_shared_client

    def point(redis: PrivateRedis) -> None:
        settings.FASTSHIP_REDIS = RedisConfig(host="127.0.0.1", port=redis.port)
        reset_shared_client()
        background_enqueuer._init_state()

    yield point
    background_enqueuer.drain()
    background_enqueuer._init_state()
    reset_shared_client()


def record_mails(count: int) -> list[str]:
    """Record ``count`` mails as the API does (outbox row, hand-over after commit)."""
    from shipping.services.notifications import notification_queue

    recipients = []
    for _ in range(count):
        recipient = f"r{next(_numbers)}@example.com"
        with transaction.atomic():
            notification_queue(
                kind=Notification.Kind.CANCELLED,
                recipient=recipient,
                context={"tracking_code": "T", "content": "c", "tracking_url": "u"},
            )
        recipients.append(recipient)
    return recipients


def all_sent(mailbox: Mailbox, recipients: list[str]) -> Callable[[], bool]:
    return lambda: all(mailbox.to(recipient) for recipient in recipients)


def assert_each_exactly_once(mailbox: Mailbox, recipients: list[str]) -> None:
    """Each mail arrived once and its row says sent.

    The worker marks a row sent just after the SMTP server took the mail, so
    the row may lag the mailbox by a moment: wait for it (bounded).
    """

    def states() -> set[str]:
        rows = Notification.objects.filter(recipient__in=recipients)
        return set(rows.values_list("state", flat=True))

    wait_until(lambda: states() == {Notification.State.SENT}, seconds=DEADLINE)
    counts = {recipient: len(mailbox.to(recipient)) for recipient in recipients}
    assert counts == dict.fromkeys(recipients, 1)
    assert states() == {Notification.State.SENT}


def registered_workers(redis: PrivateRedis) -> int:
    from rq import Worker

    try:
        return Worker.count(connection=Redis(port=redis.port, socket_timeout=1))
    except OSError:
        return 0


def kill_tree(pid: int) -> None:
    """SIGKILL ``pid`` and every descendant (RQ's work horse has a group of its own),
    as stopping a container does."""
    import subprocess

    children = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True
    ).stdout.split()
    for child in children:
        kill_tree(int(child))
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def stop_worker(worker: ServerProcess) -> None:
    if worker.poll() is None:
        kill_tree(worker.pid)
    worker.stop()


# Generous: two relay periods plus a worker restart, on a busy machine.
DEADLINE = 60


def catches(pid: int, sig: int) -> bool:
    """Whether process ``pid`` has a handler for ``sig`` (its SigCgt mask)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("SigCgt:"):
                return bool(int(line.split()[1], 16) >> (sig - 1) & 1)
    return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_ends_the_worker_instead_of_a_restart(sig):
    """``docker stop`` (SIGTERM) or Ctrl+C ends an idle worker; it is no fault.

    Before, RQ's idle shutdown looked like a fault and the worker started
    again, so a stop waited for ECS's SIGKILL.
    """
    with private_redis() as redis:
        worker = start_worker(redis, free_port())
        try:
            client = Redis(port=redis.port, socket_timeout=2)
            assert wait_until(
                lambda: client.exists("rq:scheduler-lock:emails") == 1, seconds=30
            ), worker.output
            # RQ takes the scheduler locks a moment before it installs its
            # signal handlers: signal only once the process catches SIGTERM.
            assert wait_until(
                lambda: catches(worker.pid, signal.SIGTERM), seconds=30
            ), worker.output
            os.kill(worker.pid, sig)
            # Generous for a loaded machine: it takes about a second.
            assert wait_until(lambda: worker.poll() is not None, seconds=20), (
                worker.output
            )
            assert worker.poll() == 0, worker.output
            assert "starting again" not in worker.output
        finally:
            stop_worker(worker)


def test_every_mail_arrives_once_through_a_redis_hang_and_an_empty_restart(app_on):
    """Redis hung 30 s, then killed and started empty: all mail, once, unattended."""
    with private_redis() as redis, smtp_mailbox() as (mailbox, smtp_port):
        app_on(redis)
        worker = start_worker(redis, smtp_port)
        try:
            before = record_mails(5)
            assert wait_until(all_sent(mailbox, before), seconds=DEADLINE), (
                worker.output
            )

            redis.pause()
            during_hang = record_mails(5)
            time.sleep(30)
            redis.resume()
            after_hang = record_mails(5)
            hang = during_hang + after_hang
            assert wait_until(all_sent(mailbox, hang), seconds=DEADLINE), worker.output

            redis.kill()
            during_outage = record_mails(5)
            redis.start()  # empty: the queues, the schedule, the worker's entry
            after_restart = record_mails(5)
            outage = during_outage + after_restart
            assert wait_until(all_sent(mailbox, outage), seconds=DEADLINE), (
                worker.output
            )
            assert wait_until(lambda: registered_workers(redis) >= 1, seconds=20)

            time.sleep(2 * RELAY_EVERY)  # a late duplicate would show here
            assert_each_exactly_once(mailbox, before + hang + outage)
            assert worker.poll() is None, "the worker must survive, not exit"
        finally:
            stop_worker(worker)


# The lock's own expiry (about 61 s) is fixed time, not work: on a busy machine
# (make test runs two processes, one building a million rows) the rest of the
# test stretches around it; 120 s for all of it was too little there.
@pytest.mark.timeout(420)
def test_relay_and_scheduler_outlive_a_killed_worker(app_on):
    """After a worker SIGKILL its replacement relays and holds the scheduler lock."""
    with private_redis() as redis, smtp_mailbox() as (mailbox, smtp_port):
        app_on(redis)
        first = start_worker(redis, smtp_port)
        client = Redis(port=redis.port, socket_timeout=2)
        try:
            assert wait_until(
                lambda: client.exists("rq:scheduler-lock:emails") == 1, seconds=30
            ), first.output
            first_owner = client.get("rq:scheduler-lock:emails")
        finally:
            stop_worker(first)  # SIGKILL: no clean-up, the lock stays behind
        killed_at = time.monotonic()
        second = start_worker(redis, smtp_port)
        try:
            # Mail whose hand-over was lost: only the periodic relay sends it.
            lost = [f"lost{next(_numbers)}@example.com" for _ in range(5)]
            for recipient in lost:
                Notification.objects.create(
                    kind=Notification.Kind.CANCELLED, recipient=recipient, context={}
                )
            assert wait_until(all_sent(mailbox, lost), seconds=DEADLINE), second.output
            assert_each_exactly_once(mailbox, lost)

            def second_holds_lock() -> bool:
                owner = client.get("rq:scheduler-lock:emails")
                return owner is not None and owner != first_owner

            # The dead worker's lock expires about 61 s after its last beat; the
            # replacement takes it at its next tick (generous for a busy machine).
            assert wait_until(second_holds_lock, seconds=240), second.output
            assert time.monotonic() - killed_at < 240
        finally:
            stop_worker(second)


class KillingMailbox(Mailbox):
    """Takes the whole message, then kills the worker before it hears "250"."""

    worker: ServerProcess | None = None

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        if self.worker is not None and self.worker.poll() is None:
            kill_tree(self.worker.pid)
        return answer


def test_a_mail_interrupted_after_the_server_took_it_is_not_sent_again(
    app_on, settings
):
    """Worker killed mid-send: no automatic resend; the row waits for a person."""
    from aiosmtpd.controller import Controller

    from shipping.services.notification_recovery import notifications_needing_attention

    mailbox = KillingMailbox()
    smtp_port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        with private_redis() as redis:
            app_on(redis)
            killed = start_worker(redis, smtp_port)
            mailbox.worker = killed
            (recipient,) = record_mails(1)
            assert wait_until(lambda: bool(mailbox.to(recipient)), seconds=DEADLINE)
            assert wait_until(lambda: killed.poll() is not None, seconds=10)
            killed.stop()
            mailbox.worker = None
            replacement = start_worker(redis, smtp_port)  # as ECS would
            try:
                # Three relay periods and a worker start: a resend would be here.
                time.sleep(3 * RELAY_EVERY + 10)
                assert len(mailbox.to(recipient)) == 1
                row = Notification.objects.get(recipient=recipient)
                assert row.state == Notification.State.SENDING
                settings.NOTIFICATION_SEND_LEASE = 1
                assert notifications_needing_attention().filter(pk=row.pk).exists()
            finally:
                stop_worker(replacement)
    finally:
        controller.stop()


@pytest.mark.skipif(
    PG_BIN is None or os.geteuid() != 0, reason="needs PostgreSQL's binaries, root"
)
def test_the_relay_runs_on_after_a_run_failed_on_the_database():
    """PostgreSQL refuses while the relay runs: a later run sends the mail anyway."""
    with (
        private_cluster() as cluster,
        private_redis() as redis,
        smtp_mailbox() as (mailbox, smtp_port),
    ):
        worker = start_worker(redis, smtp_port, database_url=cluster.url())
        try:
            assert wait_until(lambda: registered_workers(redis) >= 1, seconds=30)
            cluster.stop()
            time.sleep(3 * RELAY_EVERY)  # relay runs fail: connection refused
            cluster.start()
            recipients = [f"after-db{next(_numbers)}@example.com" for _ in range(3)]
            for recipient in recipients:  # pending, their hand-over lost
                cluster.sql(
                    "INSERT INTO shipping_notification (kind, recipient, context, "
                    "state, attempts, last_error, created_at) VALUES "
                    "('cancelled', %s, '{}', 'pending', 0, '', now())",
                    (recipient,),
                    database="fastship",
                )
            assert wait_until(all_sent(mailbox, recipients), seconds=DEADLINE), (
                worker.output
            )
            assert "OperationalError" in worker.output  # a run did fail
            assert worker.poll() is None
            assert {len(mailbox.to(r)) for r in recipients} == {1}
        finally:
            stop_worker(worker)
