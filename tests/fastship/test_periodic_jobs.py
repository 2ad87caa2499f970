"""Periodic jobs are due by an expiring marker, whatever became of the last run."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import transaction
from redis import Redis

from fastship.worker import PeriodicJob, periodic_jobs_enqueue_due
from tests.servers import private_redis


@pytest.mark.redis
def test_a_run_is_due_once_per_period_and_again_after_redis_empties():
    """Two workers enqueue one run per period; an emptied Redis makes it due at once."""
    job = PeriodicJob(
        name="t", func="fastship.worker.periodic_jobs_from_settings", every_seconds=3600
    )
    with private_redis() as redis:
        connection = Redis(port=redis.port)

        def due(owner: str) -> list[str]:
            return periodic_jobs_enqueue_due(
                connection=connection, owner=owner, jobs=[job]
            )

        assert due("w1") == ["t"]
        assert due("w2") == []
        assert due("w1") == []
        assert connection.llen("rq:queue:periodic") == 1
        # The run is consumed (it may fail or vanish): the marker decides.
        connection.delete("rq:queue:periodic")
        assert due("w1") == []
        redis.restart_empty()
        connection = Redis(port=redis.port)
        assert due("w1") == ["t"]


@pytest.mark.django_db(transaction=True)
def test_inline_mode_sends_after_commit_in_the_request_thread(settings, mailoutbox):
    """Without Redis the mail goes out right after commit, once, marked sent."""
    from shipping.models import Notification
    from shipping.services.notification_recovery import notifications_relay
    from shipping.services.notifications import notification_queue

    settings.FASTSHIP_REDIS = None
    with transaction.atomic():
        row = notification_queue(
            kind=Notification.Kind.CANCELLED, recipient="inline@example.com", context={}
        )
        assert mailoutbox == []  # nothing before commit
    row.refresh_from_db()
    assert row.state == Notification.State.SENT
    assert [m.to for m in mailoutbox] == [["inline@example.com"]]
    assert notifications_relay(older_than_seconds=0) == 0
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_every_periodic_job_imports_and_the_token_flush_runs():
    """Each FASTSHIP_PERIODIC_JOBS entry names a callable; the token flush works
    (also under the job's name in the previous release)."""
    from datetime import timedelta

    from django.utils import timezone
    from django.utils.module_loading import import_string
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    from fastship.worker import periodic_jobs_from_settings
    from shipping.jobs import flush_expired_tokens_job
    from tests.factories import seller_make

    names = {job.name for job in periodic_jobs_from_settings()}
    assert names == {
        "notifications-relay",
        "requestlog-prune",
        "records-prune",
        "webhooks-relay",
    }
    for job in periodic_jobs_from_settings():
        assert callable(import_string(job.func))
    user = seller_make(email="old-token@example.com").user
    OutstandingToken.objects.create(
        user=user,
        jti="expired-jti",
        token="x",
        created_at=timezone.now() - timedelta(days=30),
        expires_at=timezone.now() - timedelta(days=1),
    )
    flush_expired_tokens_job()
    assert not OutstandingToken.objects.filter(jti="expired-jti").exists()


@pytest.mark.redis
def test_a_stop_signal_during_the_tick_reaches_rq(monkeypatch):
    """SIGTERM while the tick enqueues: RQ's StopRequested is not swallowed.

    RQ raises it from its signal handler wherever the worker is; the tick's
    "a broken periodic job must not stop the worker" guard used to log it and
    carry on, so the worker ignored the stop (and restarted its scheduler).
    """
    from rq.exceptions import StopRequested

    from fastship import worker as worker_module

    with private_redis() as redis:
        worker = worker_module.FastShipWorker(
            ["default"], connection=Redis(port=redis.port)
        )

        def stop_arrives(**kwargs):
            raise StopRequested

        monkeypatch.setattr(worker_module, "periodic_jobs_enqueue_due", stop_arrives)
        with pytest.raises(StopRequested):
            worker.tick()
        # Once a stop is requested, the tick does nothing (no scheduler restart).
        worker._shutdown_requested_date = datetime.now(UTC)
        worker._next_tick = 0
        worker.tick()
        # A stop that something swallowed (logging's emit did) is raised again
        # at the next heartbeat of an idle worker, where RQ's loop catches it.
        with pytest.raises(StopRequested):
            worker.heartbeat()
