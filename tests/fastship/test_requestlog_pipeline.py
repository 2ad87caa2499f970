"""The whole pipeline, real parts: middleware, buffer, Redis, RQ worker, rows."""

from __future__ import annotations

import json
import os
import statistics
import time

import pytest
from django.test import Client
from rq import SimpleWorker

from fastship.handoff import BackgroundHandoff, HandoffConfig
from fastship.jobs import get_queue
from fastship.redis import get_redis
from fastship.requestlog.models import RequestLog
from fastship.requestlog.shipper import (
    get_shipper,
    reset_shipper,
    rq_sender,
    write_fallback,
)
from shipping.models import User
from tests.healthcheck.conftest import PRODUCTION
from tests.servers import (
    closed_port,
    free_port,
    gunicorn_argv,
    hanging_port,
    http_request,
    running_server,
    server_env,
)


@pytest.fixture
def fresh_shipper(settings):
    settings.REQUEST_LOG_FLUSH_INTERVAL = 0.05
    reset_shipper()
    yield
    reset_shipper()


def drain_request_log_queue() -> None:
    queue = get_queue("request_logs")
    SimpleWorker([queue], connection=get_redis()).work(burst=True)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
@pytest.mark.urls("tests.urls")
@pytest.mark.usefixtures("fresh_shipper")
class TestPipelineWithRealRedisAndWorker:
    def test_n_requests_make_exactly_n_rows(self, client):
        """N requests → N rows after a real worker ran: none lost, none doubled."""
        get_queue("request_logs").empty()
        expected = {f"req-{number}" for number in range(40)}
        for request_id in sorted(expected):
            client.get("/api/v1/?token=t0p-secret", HTTP_X_REQUEST_ID=request_id)
        client.get("/health")
        client.head("/health/")
        get_shipper().flush(5)
        drain_request_log_queue()
        drain_request_log_queue()  # a second run finds nothing more to insert
        rows = RequestLog.objects.all()
        assert rows.count() == 40
        assert set(rows.values_list("request_id", flat=True)) == expected
        assert not rows.filter(path__startswith="/health").exists()
        assert set(rows.values_list("query_string", flat=True)) == {"token=***"}

    def test_tokens_in_mailed_links_never_reach_a_row(self, client):
        """A reset or review link opened in a browser is logged with its token masked.

        The reset token still works afterwards: it is a bearer secret, so the
        stored path must not hold it.
        """
        from shipping.services.tokens import password_reset_token
        from tests.factories import seller_make

        get_queue("request_logs").empty()
        seller = seller_make()
        token = password_reset_token(user=seller.user)
        client.get(f"/reset-password/{token}/", HTTP_X_REQUEST_ID="mask-reset")
        client.get("/review/s3cr3t.review-token/", HTTP_X_REQUEST_ID="mask-review")
        client.get(
            "/api/v1/auth/verify-email/?token=v3r1fy", HTTP_X_REQUEST_ID="mask-v"
        )
        get_shipper().flush(5)
        drain_request_log_queue()
        rows = RequestLog.objects.filter(request_id__startswith="mask-")
        paths = dict(rows.values_list("request_id", "path"))
        assert paths == {
            "mask-reset": "/reset-password/***/",
            "mask-review": "/review/***/",
            "mask-v": "/api/v1/auth/verify-email/",
        }
        assert rows.get(request_id="mask-v").query_string == "token=***"
        stored = json.dumps(list(rows.values()), default=str)
        assert token not in stored
        assert "s3cr3t" not in stored
        assert "v3r1fy" not in stored

    def test_rolled_back_request_is_still_logged(self, client):
        """A request whose transaction rolled back still gets its log row."""
        response = client.get("/test/rollback", HTTP_X_REQUEST_ID="rollback-1")
        assert response.status_code == 409
        get_shipper().flush(5)
        drain_request_log_queue()
        assert not User.objects.filter(email="rolled-back@example.com").exists()
        row = RequestLog.objects.get(request_id="rollback-1")
        assert row.status_code == 409

    def test_replayed_batch_inserts_nothing_twice(self):
        """The same batch stored twice (an RQ retry) leaves one row per record."""
        from fastship.requestlog.jobs import store_request_logs

        batch = [
            {
                "record_id": "5f0cc377bde456f65f0cc377bde456f6",
                "request_id": "r",
                "started_at": "2026-11-28T06:00:00+00:00",
                "method": "GET",
                "path": "/x",
                "query_string": "",
                "status_code": 200,
                "duration_ms": 1.0,
                "user_id": None,
                "user_role": "",
                "client_ip": "127.0.0.1",
                "user_agent": "",
                "response_size": 2,
            }
        ]
        store_request_logs(batch)
        store_request_logs(batch)
        assert RequestLog.objects.count() == 1


@pytest.mark.urls("tests.urls")
class TestRequestId:
    @pytest.mark.parametrize(
        ("path", "status"), [("/api/v1/", 200), ("/nope", 404), ("/test/boom", 500)]
    )
    def test_request_id_on_every_response(self, path, status):
        """2xx, 4xx and 5xx responses all carry X-Request-ID."""
        client = Client(raise_request_exception=False)
        kept = client.get(path, HTTP_X_REQUEST_ID="keep-me_42")
        assert kept.status_code == status
        assert kept["X-Request-ID"] == "keep-me_42"
        replaced = client.get(path, HTTP_X_REQUEST_ID="bad id; drop table")
        assert replaced["X-Request-ID"] != "bad id; drop table"
        assert len(replaced["X-Request-ID"]) == 32

    def test_disallowed_host_response_has_request_id(self, settings):
        """Even a 400 for a bad Host header carries the request id."""
        settings.ALLOWED_HOSTS = ["api.example.com"]
        response = Client().get("/api/v1/", HTTP_HOST="evil.example")
        assert response.status_code == 400
        assert "X-Request-ID" in response

    def test_async_path_sets_request_id(self):
        """Under ASGI handling the middleware runs async and still adds the id."""
        import asyncio

        from django.test import AsyncClient

        async def get():
            return await AsyncClient().get(
                "/api/v1/", headers={"X-Request-ID": "async-1"}
            )

        assert asyncio.run(get())["X-Request-ID"] == "async-1"

    def test_request_id_reaches_log_lines(self):
        """Log lines written while a request runs carry its request id."""
        import logging

        from fastship.logs import RequestIdFilter, request_id_var

        token = request_id_var.set("rid-77")
        try:
            record = logging.LogRecord("x", logging.INFO, "f", 1, "m", None, None)
            RequestIdFilter().filter(record)
        finally:
            request_id_var.reset(token)
        assert getattr(record, "request_id", None) == "rid-77"


@pytest.mark.redis
def test_job_enqueued_in_a_request_runs_with_its_request_id(shared_redis):
    """A job enqueued during a request runs on the worker with that request id bound."""
    from fastship.jobs import enqueue
    from fastship.logs import request_id_var
    from tests import jobs_for_tests

    queue = get_queue("default")
    queue.empty()
    token = request_id_var.set("rid-job-1")
    try:
        job = enqueue("default", jobs_for_tests.current_request_id)
    finally:
        request_id_var.reset(token)
    assert job is not None
    assert job.meta["request_id"] == "rid-job-1"
    SimpleWorker([queue], connection=shared_redis, job_class=queue.job_class).work(
        burst=True
    )
    job.refresh()
    assert job.return_value() == "rid-job-1"


@pytest.mark.parametrize("kind", ["hanging", "closed"])
def test_dead_redis_costs_records_never_latency(kind):
    """Redis hung or refused: requests stay fast, breaker opens, lines fall back."""
    make_port = hanging_port if kind == "hanging" else closed_port
    with make_port() as redis_port:
        port = free_port()
        env = server_env(
            DJANGO_ENV="test",
            DATABASE_URL=None,
            REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
            HEALTH_TOKEN=PRODUCTION["HEALTH_TOKEN"],
            REQUEST_LOG_FLUSH_INTERVAL="0.05",
            REQUEST_LOG_BATCH_SIZE="5",
        )
        argv = gunicorn_argv("fastship.asgi:application", port)
        with running_server(argv, port=port, env=env) as server:
            seconds = []
            for number in range(60):
                response = http_request(
                    port,
                    f"/api/v1/?password=pw-{number}-never-logged",
                    headers={
                        "Host": "localhost",
                        "Authorization": "Bearer auth-never-logged",
                        "Cookie": "sessionid=cookie-never-logged",
                    },
                    timeout=5,
                )
                assert response.status == 200
                seconds.append(response.seconds)
            time.sleep(1.5)
            health = http_request(
                port,
                "/api/v1/health",
                headers={
                    "Host": "localhost",
                    "Authorization": f"Bearer {PRODUCTION['HEALTH_TOKEN']}",
                },
                timeout=5,
            )
        output = server.output  # read after the server exited: the exit flush included
    # A request that waited on Redis would pay at least the 0.2 s enqueue
    # timeout; the typical one here costs milliseconds, even on a busy machine.
    # The slowest only has to prove that nothing hangs.
    assert statistics.median(seconds) < 0.2, seconds
    assert max(seconds) < 5.0, seconds
    shipper = json.loads(health.body)["checks"]["requestlog:shipper"][0]
    stats = shipper["observedValue"]
    assert shipper["status"] == "warn"
    assert stats["breaker"] == "open"
    assert stats["batchesFailed"] == 3
    assert stats["stored"] == 0
    assert stats["buffered"] == (
        stats["stored"] + stats["dropped"] + stats["fallbackWritten"] + stats["pending"]
    )
    assert stats["fallbackWritten"] >= 55
    fallback = [
        json.loads(line)
        for line in output.splitlines()
        if line.startswith("{") and '"event": "request_log"' in line
    ]
    # Nothing shipped, nothing lost: every request is a fallback line by exit.
    assert sum(item["path"] == "/api/v1/" for item in fallback) == 60
    # The readiness request itself was still buffered: flushed to stdout at exit.
    assert {item["path"] for item in fallback} == {"/api/v1/", "/api/v1/health"}
    for secret in ("never-logged", "pw-1-"):
        assert secret not in output


@pytest.mark.redis
def test_forked_child_ships_its_own_records(shared_redis):
    """After a fork, the child's shipper starts afresh and ships through Redis."""
    queue = get_queue("request_logs")
    queue.empty()
    shipper = BackgroundHandoff(
        HandoffConfig(batch_size=10, flush_interval=0.05),
        send=rq_sender(0.5)[0],
        fallback=write_fallback,
    )
    shipper.submit({"record_id": "parent"})
    time.sleep(0.3)  # the parent's thread is running when we fork
    os.register_at_fork(after_in_child=shipper.reset_after_fork)
    pid = os.fork()
    if pid == 0:  # the child: ship three records, report through the exit code
        code = 1
        try:
            for number in range(3):
                shipper.submit({"record_id": f"child-{number}"})
            shipper.flush(5)
            stats = shipper.stats()
            code = 0 if stats["stored"] == 3 and stats["buffered"] == 3 else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    shipper.flush(2)
    jobs = queue.get_jobs()
    # Only this test's records: the process-wide shipper may resend its own
    # batches into the queue (their jobs vanished with queue.empty()).
    ours = {"parent", "child-0", "child-1", "child-2"}
    shipped = sorted(
        record["record_id"]
        for job in jobs
        for record in job.args[0]
        if record["record_id"] in ours
    )
    assert shipped == ["child-0", "child-1", "child-2", "parent"]
    queue.empty()


def server_batches(queue) -> list[list[dict]]:
    """The queued batches holding records of ``/api/v1/?n=...`` requests."""
    return [
        [r for r in job.args[0] if r.get("query_string", "").startswith("n=")]
        for job in queue.get_jobs()
        if any(r.get("query_string", "").startswith("n=") for r in job.args[0])
    ]


@pytest.mark.redis
def test_server_shutdown_ships_what_is_buffered(shared_redis, settings):
    """SIGTERM to the server: buffered records are enqueued before the worker dies."""
    queue = get_queue("request_logs")
    queue.empty()
    port = free_port()
    env = server_env(
        DJANGO_ENV="test",
        DATABASE_URL=None,
        REDIS_URL=settings.FASTSHIP_REDIS.url,
        REQUEST_LOG_FLUSH_INTERVAL="600",  # only the shutdown flush can ship them
    )
    argv = gunicorn_argv("fastship.asgi:application", port)
    with running_server(argv, port=port, env=env):
        for number in range(3):
            http_request(port, f"/api/v1/?n={number}", headers={"Host": "localhost"})
        assert server_batches(queue) == []
    # Only this server's records: this process's own shipper may resend its
    # batches into the queue (their jobs vanished with queue.empty()).
    batches = server_batches(queue)
    assert [len(batch) for batch in batches] == [3]
    assert sorted(record["query_string"] for record in batches[0]) == [
        "n=0",
        "n=1",
        "n=2",
    ]
    queue.empty()
