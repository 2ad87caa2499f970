"""Readiness: concurrent checks, per-check timeouts, one deadline, single flight."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from fastship.redis import QUEUE_NAMES
from healthcheck.checks import DatabaseCheck, MigrationsCheck, RedisCheck
from healthcheck.readiness import CheckError, CheckResult, Readiness, ReadinessCheck
from healthcheck.views import reset_readiness
from tests.healthcheck.conftest import DB_PASSWORD, PRODUCTION, REDIS_PASSWORD
from tests.servers import http_request

TOKEN = {"Authorization": f"Bearer {PRODUCTION['HEALTH_TOKEN']}"}
HOST = {"Host": "api.fastship.example", "X-Forwarded-Proto": "https"}


class HangingCheck(ReadinessCheck):
    name = "hangs:responseTime"
    failure_status = "fail"

    def __init__(self, release: threading.Event, *, timeout: float = 0.3) -> None:
        super().__init__(timeout=timeout)
        self.release = release
        self.runs = 0

    def measure(self) -> CheckResult:
        self.runs += 1
        self.release.wait(30)
        return CheckResult("pass", 1, "ms")


class FastCheck(ReadinessCheck):
    name = "fast:responseTime"
    failure_status = "warn"

    def __init__(self, outcome: str = "pass") -> None:
        super().__init__(timeout=1.0)
        self.outcome = outcome
        self.runs = 0

    def measure(self) -> CheckResult:
        self.runs += 1
        if self.outcome == "error":
            raise CheckError("degraded")
        if self.outcome == "crash":
            raise RuntimeError("password=hunter2 in a driver message")
        return CheckResult("pass", 0.5, "ms")


class TestReadinessRunner:
    def test_hanging_check_is_cut_at_its_timeout(self):
        """A hanging check is reported as timed out; the round ends in time."""
        release = threading.Event()
        hanging, fast = HangingCheck(release), FastCheck()
        readiness = Readiness([hanging, fast], deadline=2.0, ttl=0)
        started = time.monotonic()
        report = readiness.report_future().result(timeout=5)
        elapsed = time.monotonic() - started
        release.set()
        assert elapsed < 1.5
        assert report.status == "fail"
        assert report.readings["hangs:responseTime"].result.output == "timed out"
        assert report.readings["fast:responseTime"].result.status == "pass"

    def test_overall_deadline_caps_long_check_timeouts(self):
        """The deadline bounds the round even when a check allows itself longer."""
        release = threading.Event()
        readiness = Readiness([HangingCheck(release, timeout=30)], deadline=0.4, ttl=0)
        started = time.monotonic()
        report = readiness.report_future().result(timeout=5)
        release.set()
        assert time.monotonic() - started < 1.5
        assert report.status == "fail"

    def test_hung_check_is_not_started_again_while_it_runs(self):
        """A check still hung from an earlier round is not run twice."""
        release = threading.Event()
        hanging = HangingCheck(release, timeout=0.1)
        readiness = Readiness([hanging], deadline=1.0, ttl=0)
        readiness.report_future().result(timeout=5)
        second = readiness.report_future().result(timeout=5)
        release.set()
        assert hanging.runs == 1
        output = second.readings[hanging.name].result.output
        assert output is not None
        assert "earlier run still pending" in output

    def test_fifty_concurrent_callers_share_one_round(self):
        """Fifty callers while a check hangs: one round, every answer in time."""
        release = threading.Event()
        hanging, fast = HangingCheck(release, timeout=0.5), FastCheck()
        readiness = Readiness([hanging, fast], deadline=2.0, ttl=5.0)

        def call() -> tuple[str, float]:
            started = time.monotonic()
            report = readiness.report_future().result(timeout=5)
            return report.status, time.monotonic() - started

        with ThreadPoolExecutor(max_workers=50) as pool:
            results = list(pool.map(lambda _: call(), range(50)))
        release.set()
        assert readiness.rounds == 1
        assert hanging.runs == 1
        assert fast.runs == 1
        assert all(status == "fail" for status, _ in results)
        assert max(seconds for _, seconds in results) < 1.5

    def test_warn_and_errors_are_safe(self):
        """A warn check failing gives warn; a crash shows no message, only its type."""
        readiness = Readiness([FastCheck("crash")], deadline=1.0, ttl=0)
        report = readiness.report_future().result(timeout=5)
        reading = report.readings["fast:responseTime"].result
        assert report.status == "warn"
        assert reading.output == "RuntimeError"
        body = json.dumps(report.as_health_json(details=True))
        assert "hunter2" not in body

    def test_anonymous_body_has_status_only(self):
        """Without details the body is only the status."""
        readiness = Readiness([FastCheck()], deadline=1.0, ttl=0)
        report = readiness.report_future().result(timeout=5)
        assert report.as_health_json(details=False) == {"status": "pass"}
        entry = report.as_health_json(details=True)["checks"]["fast:responseTime"][0]
        assert set(entry) >= {"status", "observedValue", "observedUnit", "time"}


class TestReadinessOverHttpWithDeadDependencies:
    """A production ASGI server whose database and Redis hang or refuse."""

    def test_answers_within_deadline_with_statuses(self, dead_dependencies_server):
        """Database dead → fail (503), Redis dead → warn, all within the deadline."""
        _, port = dead_dependencies_server
        time.sleep(2.1)  # let any cached report from another test expire
        response = http_request(
            port, "/api/v1/health", headers={**HOST, **TOKEN}, timeout=10
        )
        assert response.seconds < 2.0 + 1.0
        assert response.status == 503
        assert response.headers["content-type"] == "application/health+json"
        body = json.loads(response.body)
        assert body["status"] == "fail"
        checks = body["checks"]
        assert checks["database:responseTime"][0]["status"] == "fail"
        assert checks["redis:responseTime"][0]["status"] == "warn"
        assert checks["rq:queues"][0]["status"] == "warn"
        for entries in checks.values():
            assert entries[0]["status"] == "pass" or entries[0]["output"]

    def test_anonymous_sees_no_checks(self, dead_dependencies_server):
        """Anonymous callers and wrong tokens get only the status."""
        _, port = dead_dependencies_server
        for headers in (HOST, {**HOST, "Authorization": "Bearer wrong"}):
            response = http_request(port, "/api/v1/health", headers=headers, timeout=10)
            assert json.loads(response.body) == {"status": "fail"}

    def test_no_traceback_or_secret_in_output(self, dead_dependencies_server):
        """Details never carry a traceback or a credential."""
        _, port = dead_dependencies_server
        response = http_request(
            port, "/api/v1/health", headers={**HOST, **TOKEN}, timeout=10
        )
        text = response.body.decode()
        for forbidden in (
            "Traceback",
            'File "',
            DB_PASSWORD,
            REDIS_PASSWORD,
            "fastship:",
        ):
            assert forbidden not in text

    def test_fifty_concurrent_requests_answer_in_time(self, dead_dependencies_server):
        """Fifty simultaneous requests while dependencies hang all answer in time."""
        _, port = dead_dependencies_server

        def call(_: int) -> tuple[int, float]:
            response = http_request(port, "/api/v1/health", headers=HOST, timeout=15)
            return response.status, response.seconds

        with ThreadPoolExecutor(max_workers=50) as pool:
            results = list(pool.map(call, range(50)))
        assert {status for status, _ in results} == {503}
        assert max(seconds for _, seconds in results) < 2.0 + 1.5


@pytest.fixture
def fresh_readiness():
    reset_readiness()
    yield
    reset_readiness()


@pytest.mark.django_db
@pytest.mark.usefixtures("fresh_readiness")
class TestReadinessInProcess:
    def test_token_sees_checks_with_healthy_database(self, client, settings):
        """With the token, each check is listed; a healthy database passes."""
        settings.HEALTH_TOKEN = "tok-123"
        response = client.get("/api/v1/health", HTTP_AUTHORIZATION="Bearer tok-123")
        body = response.json()
        assert response["Content-Type"] == "application/health+json"
        assert response["Cache-Control"] == "no-store"
        assert body["checks"]["database:responseTime"][0]["status"] == "pass"
        assert body["checks"]["database:migrations"][0]["status"] == "pass"
        assert response.status_code == 200

    def test_staff_session_sees_checks(self, client, django_user_model):
        """A logged-in staff user sees the checks; a non-staff user does not."""
        staff = django_user_model.objects.create_user(
            "ops@example.com", "pw", is_staff=True
        )
        client.force_login(staff)
        assert "checks" in client.get("/api/v1/health/").json()
        member = django_user_model.objects.create_user("someone@example.com", "pw")
        client.force_login(member)
        assert "checks" not in client.get("/api/v1/health/").json()

    def test_post_is_405(self, client):
        """Readiness answers GET and HEAD only."""
        assert client.post("/api/v1/health").status_code == 405

    @pytest.mark.redis
    def test_real_redis_passes(self, client, settings):
        """With the real Redis, the Redis check passes."""
        settings.HEALTH_TOKEN = "tok-123"
        body = client.get("/api/v1/health", HTTP_AUTHORIZATION="Bearer tok-123").json()
        assert body["checks"]["redis:responseTime"][0]["status"] == "pass"
        queues = body["checks"]["rq:queues"][0]["observedValue"]
        assert set(queues) == set(QUEUE_NAMES)


@pytest.mark.django_db(transaction=True)
def test_unapplied_migration_fails():
    """A migration on disk but not applied makes the migrations check fail."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, app, name, applied FROM django_migrations "
            "WHERE app = 'shipping' ORDER BY id DESC LIMIT 1"
        )
        row = cursor.fetchone()
        cursor.execute("DELETE FROM django_migrations WHERE id = %s", [row[0]])
    try:
        result = Readiness([MigrationsCheck()], deadline=5, ttl=0).run_round()
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO django_migrations (id, app, name, applied) "
                "VALUES (%s, %s, %s, %s)",
                row,
            )
    reading = result.readings["database:migrations"].result
    assert reading.status == "fail"
    assert reading.observed_value == 1


def test_check_classes_declare_their_severity():
    """The database failing is fail; Redis failing is warn."""
    assert DatabaseCheck.failure_status == "fail"
    assert RedisCheck.failure_status == "warn"
