"""One create through the API is one trace: the request, its SQL, the job in the
worker, the SMTP send; and the log lines of each carry its trace id.

A real API server and a real worker (both as the image starts them) export
OTLP over HTTP to a local receiver that decodes the protobuf; SMTP is a real
aiosmtpd, Redis a private one, PostgreSQL the test database.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


class OtlpReceiver:
    """An OTLP/HTTP collector of spans: name, ids, parent, kind, attributes."""

    def __init__(self) -> None:
        self.spans: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
                    ExportTraceServiceRequest,
                )

                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                for resource_spans in request.resource_spans:
                    for scope_spans in resource_spans.scope_spans:
                        for span in scope_spans.spans:
                            receiver.spans.append(
                                {
                                    "name": span.name,
                                    "trace": span.trace_id.hex(),
                                    "id": span.span_id.hex(),
                                    "parent": span.parent_span_id.hex(),
                                    "kind": span.kind,
                                    "attributes": {
                                        a.key: a.value.string_value
                                        for a in span.attributes
                                    },
                                }
                            )
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, name_part: str, seconds: float = 60) -> list[dict]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if any(name_part in span["name"] for span in self.spans):
                return self.spans
            time.sleep(0.2)
        raise AssertionError(
            f"no span {name_part!r}: {[s['name'] for s in self.spans]}"
        )


@pytest.fixture
def otlp() -> Iterator[OtlpReceiver]:
    receiver = OtlpReceiver()
    yield receiver
    receiver.server.shutdown()


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
            OTEL_EXPORTER_OTLP_ENDPOINT=otlp.url,
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
                    spans = otlp.wait_for("smtp send")
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
