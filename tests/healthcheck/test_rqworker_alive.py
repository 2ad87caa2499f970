"""`manage.py rqworker_alive`: the worker task's health check reads RQ heartbeats."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from rq import Worker

from fastship.jobs import get_queue

pytestmark = pytest.mark.redis


def test_alive_only_while_a_local_worker_beats(shared_redis):
    """Exit 0 with a fresh heartbeat on this host; exit 1 once it is gone."""
    worker = Worker([get_queue("default")], connection=shared_redis)
    worker.register_birth()
    try:
        worker.heartbeat()
        call_command("rqworker_alive", "--max-age", "60")
    finally:
        worker.register_death()
    with pytest.raises(SystemExit) as stopped:
        call_command("rqworker_alive", "--max-age", "60")
    assert stopped.value.code == 1


def test_dead_redis_is_unhealthy(settings):
    """With Redis unreachable the check fails (quickly) instead of hanging."""
    from fastship.env import RedisConfig
    from tests.servers import closed_port

    with closed_port() as port:
        settings.FASTSHIP_REDIS = RedisConfig(host="127.0.0.1", port=port)
        with pytest.raises(SystemExit) as stopped:
            call_command("rqworker_alive")
    assert stopped.value.code == 1
