"""Metrics by route, status, queue and endpoint health, as EMF lines people can read."""

from __future__ import annotations

import json
import logging
import uuid

import pytest

from fastship import metric_series
from fastship.metric_series import MAX_VALUES, ROLLUPS, Recorder


def documents(lines: list[str]) -> list[dict]:
    found = [json.loads(line) for line in lines]
    for document in found:
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        for metric in directive["Metrics"]:
            assert metric["Name"] in document  # each metric has its value
        for dimension_set in directive["Dimensions"]:
            assert all(name in document for name in dimension_set)
    return found


def test_series_are_counted_per_dimension_and_written_once():
    recorder = Recorder("FastShip/test", "v-1", every=3600)
    with recorder.adding():
        for status in (200, 201, 404, 503):
            series = recorder.series(
                "request",
                Route="api/v1/shipments/",
                Method="GET",
                StatusClass=metric_series.status_class(status),
            )
            series.count(metric_series.REQUESTS)
            series.value(metric_series.REQUEST_LATENCY, 12.5)
    lines = recorder.flush()
    found = {d["StatusClass"]: d for d in documents(lines)}
    assert set(found) == {"2xx", "4xx", "5xx"}
    assert found["2xx"]["Requests"] == 2
    assert found["2xx"]["RequestLatency"] == [12.5, 12.5]
    assert found["5xx"]["Version"] == "v-1"
    directive = found["5xx"]["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "FastShip/test"
    assert directive["Dimensions"] == ROLLUPS["request"]
    assert recorder.flush() == []  # written once, then started afresh


def test_latencies_keep_a_uniform_sample_of_at_most_a_hundred():
    recorder = Recorder("FastShip/test", "v-1", every=3600)
    with recorder.adding():
        series = recorder.series("job", Queue="emails")
        for n in range(10_000):
            series.value(metric_series.JOB_LATENCY, float(n))
    (document,) = documents(recorder.flush())
    kept = document["JobLatency"]
    assert len(kept) == MAX_VALUES
    # A sample of the whole run, not its first hundred.
    assert max(kept) > 5_000


@pytest.fixture
def emitted(settings, caplog):
    settings.CLOUDWATCH_METRICS_NAMESPACE = "FastShip/test"
    metric_series.reset()
    caplog.set_level(logging.INFO, logger="fastship.metrics")
    yield lambda: documents(metric_series.recorder().flush())  # type: ignore[union-attr]
    metric_series.reset()


@pytest.mark.django_db
def test_requests_are_counted_by_route_pattern_never_by_path(client, emitted):
    from tests.factories import bearer, seller_make

    seller = seller_make()
    client.get("/api/v1/shipments/", **bearer(seller))
    for unknown in ("0" * 32, "1" * 32):  # two paths, one pattern
        client.get(f"/api/v1/shipments/{uuid.UUID(unknown)}/", **bearer(seller))
    client.get("/no-such-page/")
    found = {(d["Route"], d["StatusClass"]): d for d in emitted()}
    assert found[("api/v1/shipments/", "2xx")]["Requests"] == 1
    assert found[("api/v1/shipments/<uuid:shipment_id>/", "4xx")]["Requests"] == 2
    assert found[("unmatched", "4xx")]["Requests"] == 1
    assert all("0000" not in route for route, _ in found)


def test_nothing_is_recorded_when_metrics_are_off(settings):
    settings.CLOUDWATCH_METRICS_NAMESPACE = ""
    metric_series.reset()
    metric_series.request_done("x/", "GET", 200, 1.0)
    assert metric_series.recorder() is None


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_jobs_are_counted_by_queue_with_their_failures(redis_server, emitted):
    from redis import Redis

    from fastship.jobs import get_queue
    from fastship.redis import QUEUE_NAMES
    from fastship.worker import FastShipWorker
    from tests import jobs_for_tests

    get_queue("emails").enqueue(jobs_for_tests.note_queue, "emails")
    get_queue("emails").enqueue(jobs_for_tests.fail_on_purpose)
    get_queue("webhooks").enqueue(jobs_for_tests.note_queue, "webhooks")
    queues = [get_queue(name) for name in QUEUE_NAMES]
    client = Redis(port=redis_server.port)
    worker = FastShipWorker(queues, connection=client, job_class=queues[0].job_class)
    worker.periodic_jobs = []
    worker.work(burst=True, max_jobs=3)
    found = {d["Queue"]: d for d in emitted() if "Queue" in d}
    assert (found["emails"]["JobRuns"], found["emails"]["JobFailures"]) == (2, 1)
    assert (found["webhooks"]["JobRuns"], found["webhooks"]["JobFailures"]) == (1, 0)
    assert len(found["emails"]["JobLatency"]) == 2


@pytest.mark.django_db
def test_webhook_attempts_are_counted_by_the_endpoints_health(settings, emitted):
    from django.utils import timezone

    from shipping.models import WebhookDelivery, WebhookEndpoint
    from shipping.services.webhook_delivery import delivery_attempt
    from tests.factories import seller_make
    from tests.webhook_receiver import running_receiver

    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    seller = seller_make()
    with running_receiver(200, 500, 500) as receiver:
        healthy = WebhookEndpoint.objects.create(
            seller=seller, url=receiver.url, secret="whsec_" + "a" * 32, events=[]
        )
        failing = WebhookEndpoint.objects.create(
            seller=seller,
            url=receiver.url,
            secret="whsec_" + "b" * 32,
            events=[],
            failing_since=timezone.now(),
        )
        for endpoint in (healthy, failing, failing):
            delivery = WebhookDelivery.objects.create(
                endpoint=endpoint, event_type="shipment.created", body="{}"
            )
            delivery_attempt(delivery_id=str(delivery.pk))
    found = {d["EndpointHealth"]: d for d in emitted() if "EndpointHealth" in d}
    assert (
        found["healthy"]["WebhookAttempts"],
        found["healthy"]["WebhookFailures"],
    ) == (1, 0)
    assert (
        found["failing"]["WebhookAttempts"],
        found["failing"]["WebhookFailures"],
    ) == (2, 2)
