"""One create through the API is one trace: the request, its SQL, the job in the
worker, the SMTP send; and the log lines of each carry its trace id.

A real API server and a real worker (both as the image starts them) export
OTLP over HTTP to a local receiver that decodes the protobuf; SMTP is a real
aiosmtpd, Redis a private one, PostgreSQL the test database.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.factories import SHIPMENT_BODY, bearer, partner_make, seller_make
from tests.servers import (
    entrypoint_worker,
    free_port,
    gunicorn_argv,
    http_request,
    private_redis,
    running_server,
    worker_env,
)
from tests.webhook_receiver import Receiver, running_receiver

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def spans_of(receiver: Receiver) -> list[dict]:
    """The spans OTLP/HTTP requests carried: name, ids, parent, kind, attributes."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    spans = []
    for request in receiver.received:
        exported = ExportTraceServiceRequest()
        exported.ParseFromString(request.body)
        for resource_spans in exported.resource_spans:
            for scope_spans in resource_spans.scope_spans:
                spans += [
                    {
                        "name": span.name,
                        "trace": span.trace_id.hex(),
                        "id": span.span_id.hex(),
                        "parent": span.parent_span_id.hex(),
                        "kind": span.kind,
                        "attributes": {
                            a.key: a.value.string_value for a in span.attributes
                        },
                    }
                    for span in scope_spans.spans
                ]
    return spans


def wait_for_span(
    receiver: Receiver, name_part: str, seconds: float = 60
) -> list[dict]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        spans = spans_of(receiver)
        if any(name_part in span["name"] for span in spans):
            return spans
        time.sleep(0.2)
    names = [span["name"] for span in spans_of(receiver)]
    raise AssertionError(f"no span {name_part!r}: {names}")


@pytest.fixture
def otlp() -> Iterator[Receiver]:
    """A local OTLP/HTTP endpoint (the exporter posts to <base>/v1/traces)."""
    with running_receiver() as receiver:
        yield receiver


def test_one_create_is_one_trace_from_the_request_to_the_smtp_send(
    smtp, settings, otlp
):
    seller = seller_make()
    partner_make(zip_codes=("20095",))
    with private_redis() as redis:
        env = worker_env(
            redis.url(),
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(settings.EMAIL_PORT),
            EMAIL_USE_TLS="0",
            OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{otlp.port}",
            OTEL_BSP_SCHEDULE_DELAY="200",
            LOG_JSON="1",
        )
        worker = entrypoint_worker(env)
        port = free_port()
        try:
            with running_server(
                gunicorn_argv("fastship.asgi:application", port), port=port, env=env
            ) as api:
                import json

                answer = http_request(
                    port,
                    "/api/v1/shipments/",
                    method="POST",
                    headers={
                        "Host": "localhost",
                        "Content-Type": "application/json",
                        **{
                            "Authorization": bearer(seller)["HTTP_AUTHORIZATION"],
                        },
                    },
                    body=json.dumps(SHIPMENT_BODY).encode(),
                    timeout=30,
                )
                assert answer.status == 201, answer.body
                probe = http_request(port, "/health", headers={"Host": "localhost"})
                assert probe.status == 200
                try:
                    spans = wait_for_span(otlp, "smtp send")
                except AssertionError:
                    print("WORKER", worker.output[-5000:])
                    print("MAILS", len(smtp.messages))
                    raise
        finally:
            worker.stop()
    request_id = answer.headers["x-request-id"]
    assert not [s for s in spans if "health" in s["name"]]  # the probe makes none
    (server,) = [s for s in spans if s["kind"] == 2 and "shipments" in s["name"]]
    trace = server["trace"]
    in_trace = [s for s in spans if s["trace"] == trace]
    names = [s["name"] for s in in_trace]
    # The request's SQL, the job in the worker, the SMTP session: one trace.
    assert any(s["attributes"].get("db.system") == "postgresql" for s in in_trace), (
        names
    )
    (job,) = [s for s in in_trace if s["name"].startswith("job ")]
    (send,) = [s for s in in_trace if s["name"] == "smtp send"]
    assert send["parent"] == job["id"]
    assert job["parent"] != ""  # continued from the request's context
    # The log lines of the request and of its job carry its request id and trace id.
    lines = [line for line in (api.output + "\n" + worker.output).splitlines()]
    traced = [line for line in lines if f'"trace_id":"{trace}"' in line]
    assert traced, (api.output[-2000:], worker.output[-2000:])
    assert all(f'"request_id":"{request_id}"' in line for line in traced)


def test_spans_a_full_queue_turns_away_are_counted_not_waited_for(settings, caplog):
    """An exporter that never returns: ending spans does not wait, and what the
    bounded queue cannot hold is counted and written as SpansDropped."""
    import json
    import logging
    import threading

    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

    from fastship import metric_series, tracing

    stuck = threading.Event()

    class Stuck(SpanExporter):
        def export(self, spans):
            stuck.wait(30)
            return SpanExportResult.SUCCESS

    tracing.take_dropped()
    provider = TracerProvider()
    provider.add_span_processor(
        tracing.counting_processor(
            Stuck(), max_queue_size=4, max_export_batch_size=1, schedule_delay_millis=10
        )
    )
    tracer = provider.get_tracer("test")
    started = time.monotonic()
    for n in range(50):
        with tracer.start_as_current_span(f"span {n}"):
            pass
    assert time.monotonic() - started < 5  # never waited on the exporter
    settings.CLOUDWATCH_METRICS_NAMESPACE = "FastShip/test"
    metric_series.reset()
    caplog.set_level(logging.INFO, logger="fastship.metrics")
    try:
        recorder = metric_series.recorder()
        assert recorder is not None
        (line,) = [line for line in recorder.flush() if '"SpansDropped"' in line]
        assert 40 <= json.loads(line)["SpansDropped"] <= 50
    finally:
        metric_series.reset()
        stuck.set()
        provider.shutdown()
