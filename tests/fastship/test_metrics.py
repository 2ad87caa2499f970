"""The application's own metrics: embedded-metric-format lines CloudWatch extracts."""

from __future__ import annotations

import io
import json
import logging
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from fastship import metrics
from fastship.handoff import BackgroundHandoff, HandoffConfig
from tests.fastship.test_requestlog_shipper import Recorder, record, wait_until


@pytest.fixture
def lines():
    """What the metrics logger writes, formatted as on stdout (the raw JSON)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logging.getLogger("fastship.metrics").addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logging.getLogger("fastship.metrics").removeHandler(handler)


def test_a_line_is_a_valid_embedded_metric_format_document():
    """The _aws block names the namespace and each metric with its unit (EMF spec)."""
    line = json.loads(
        metrics.emf_line(
            "FastShip/prod",
            {metrics.REQUEST_LOG_DROPPED: 3, metrics.REQUEST_LOG_FALLBACK: 0},
            now=1_700_000_000.5,
        )
    )
    assert line["_aws"] == {
        "Timestamp": 1_700_000_000_500,
        "CloudWatchMetrics": [
            {
                "Namespace": "FastShip/prod",
                "Dimensions": [[]],
                "Metrics": [
                    {"Name": "RequestLogRecordsDropped", "Unit": "Count"},
                    {"Name": "RequestLogRecordsFallback", "Unit": "Count"},
                ],
            }
        ],
    }
    assert line["RequestLogRecordsDropped"] == 3
    assert line["RequestLogRecordsFallback"] == 0


def test_nothing_is_written_without_a_namespace(settings, lines):
    settings.CLOUDWATCH_METRICS_NAMESPACE = ""
    metrics.emit({metrics.REQUEST_LOG_DROPPED: 1})
    assert lines() == []


@pytest.mark.django_db
def test_the_relay_reports_the_oldest_waiting_mail(settings, lines):
    """Each relay run writes the age of the oldest pending mail (0 when none)."""
    from shipping.jobs import relay_notifications_job
    from shipping.models import Notification

    settings.CLOUDWATCH_METRICS_NAMESPACE = "FastShip/test"
    settings.FASTSHIP_REDIS = None  # the relay's enqueue runs inline
    relay_notifications_job()
    row = Notification.objects.create(
        kind=Notification.Kind.CANCELLED,
        recipient="waiting@example.com",
        context={},
        state=Notification.State.HELD,  # held mail is not "waiting to be sent"
    )
    Notification.objects.filter(pk=row.pk).update(
        created_at=timezone.now() - timedelta(seconds=900)
    )
    relay_notifications_job()
    Notification.objects.filter(pk=row.pk).update(state=Notification.State.PENDING)
    # Not relayed (sent) in this test: only measured.
    settings.NOTIFICATION_RELAY_EVERY = 10**6
    relay_notifications_job()
    written = lines()
    ages = [line[metrics.OLDEST_PENDING_NOTIFICATION] for line in written]
    assert ages[:2] == [0.0, 0.0]
    assert 900 <= ages[2] < 960
    assert {line["_aws"]["CloudWatchMetrics"][0]["Namespace"] for line in written} == {
        "FastShip/test"
    }


def test_losses_are_reported_once_per_interval_not_per_record():
    """An outage writes one report per interval with the counts since the last one."""
    reports: list[tuple[int, int]] = []
    config = HandoffConfig(
        batch_size=10,
        flush_interval=0.05,
        breaker_threshold=1000,
        report_interval=0.5,
    )
    shipper = BackgroundHandoff(
        config,
        send=Recorder(fail=True),
        fallback=Recorder(),
        report_losses=lambda dropped, fallback: reports.append((dropped, fallback)),
    )
    for number in range(30):
        shipper.submit(record(number))
    wait_until(lambda: shipper.stats()["fallbackWritten"] == 30)
    # The idle thread wakes for the report that is due: nothing else prompts it.
    wait_until(lambda: sum(f for _, f in reports) == 30, timeout=5)
    assert len(reports) <= 2
    for number in range(30, 35):
        shipper.submit(record(number))
    shipper.flush(1)  # exit reports at once, whatever the interval
    assert sum(f for _, f in reports) == 35
    assert sum(d for d, _ in reports) == 0


def test_drops_at_exit_are_reported_and_a_failing_reporter_is_harmless():
    release = threading.Event()
    seen: list[tuple[int, int]] = []

    def report(dropped: int, fallback: int) -> None:
        seen.append((dropped, fallback))
        raise RuntimeError("stdout closed")

    shipper = BackgroundHandoff(
        HandoffConfig(buffer_size=2, batch_size=1, report_interval=3600),
        send=Recorder(block=release),
        fallback=Recorder(),
        report_losses=report,
    )
    for number in range(5):
        shipper.submit(record(number))
    release.set()
    shipper.flush(1)
    assert sum(d for d, _ in seen) == shipper.stats()["dropped"] >= 2
