"""Traces with OpenTelemetry: a request, its SQL, its jobs and their mail or POST.

Off unless the standard variables ask for it: ``OTEL_EXPORTER_OTLP_ENDPOINT``
(or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) exports OTLP over HTTP to a
collector (the AWS Distro for OpenTelemetry sidecar in the stack), and
``OTEL_TRACES_EXPORTER=console`` prints spans (development). Every other
``OTEL_*`` variable keeps its standard meaning (``OTEL_SERVICE_NAME``, the
batch processor's ``OTEL_BSP_*`` queue and timeouts, ``OTEL_SDK_DISABLED``).

Spans leave the process from the batch processor's thread, from a bounded
queue: a slow or absent collector never holds a request; when the queue is
full, spans are dropped and counted (``SpansDropped``, fastship.metric_series).
Django's, psycopg's and Redis's instrumentations make the request, SQL and
Redis spans; the liveness probe is answered before Django and makes none.
The trace travels into a job in its metadata (``traceparent``, W3C Trace
Context), where the worker continues it (:func:`job_span`); a webhook POST
carries it as a ``traceparent`` header, and the SMTP session is a span of its
own (:func:`client_span`). Each JSON log line of a traced request or job
carries ``trace_id`` and ``span_id``.

The packages are the ``tracing`` extra (the image and the tests install it;
``make run`` does not need it): asked for without them, tracing stays off and
says why.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from typing import Any

logger = logging.getLogger(__name__)
TRACER_NAME = "fastship"
enabled = False  # set once configure() started tracing in this process
_dropped = 0  # spans the full queue turned away since the last take_dropped()
_dropped_lock = threading.Lock()


def take_dropped() -> int:
    """Spans dropped since the last call (the ``SpansDropped`` metric)."""
    global _dropped
    with _dropped_lock:
        taken, _dropped = _dropped, 0
    return taken


def counting_processor(exporter: Any, **options: Any) -> Any:
    """The SDK's batch processor, counting the spans its full queue drops."""
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    class CountingBatchSpanProcessor(BatchSpanProcessor):
        def on_end(self, span: Any) -> None:
            global _dropped
            inner = getattr(self, "_batch_processor", None)
            queue = getattr(inner, "_queue", None)
            limit = getattr(inner, "_max_queue_size", None)
            if queue is not None and limit is not None and len(queue) >= limit:
                with _dropped_lock:
                    _dropped += 1
            super().on_end(span)

    return CountingBatchSpanProcessor(exporter, **options)


def wanted(environ: Mapping[str, str] = os.environ) -> bool:
    if environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    exporter = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter == "none":
        return False
    return bool(
        exporter
        or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def configure() -> bool:
    """Start tracing in this process when the environment asks for it."""
    global enabled
    if enabled or not wanted():
        return enabled
    try:
        from opentelemetry import trace
        from opentelemetry.instrumentation.django import DjangoInstrumentor
        from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
        from opentelemetry.instrumentation.redis import RedisInstrumentor
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SpanExporter
    except ImportError as error:
        logger.warning("tracing asked for but not installed (%s): off", error)
        return False
    from fastship.version import current

    exporter: SpanExporter
    if os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower() == "console":
        exporter = ConsoleSpanExporter()
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
            OTLPSpanExporter,
        )

        exporter = OTLPSpanExporter()
    resource = Resource.create(
        {
            "service.name": os.environ.get("OTEL_SERVICE_NAME") or "fastship",
            "service.version": current().version,
        }
    )
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(counting_processor(exporter))
    trace.set_tracer_provider(provider)
    DjangoInstrumentor().instrument()
    _probe_first()
    PsycopgInstrumentor().instrument(enable_commenter=False)
    RedisInstrumentor().instrument()
    enabled = True
    return True


def _probe_first() -> None:
    """Django's instrumentation puts its middleware first; the liveness probe's
    stays first (nothing may stand before it), the tracing one right behind."""
    from django.conf import settings

    traced = [m for m in settings.MIDDLEWARE if m.startswith("opentelemetry.")]
    rest = [m for m in settings.MIDDLEWARE if not m.startswith("opentelemetry.")]
    probe = [n for n, m in enumerate(rest) if m.endswith(".ProbeMiddleware")]
    at = probe[0] + 1 if probe else 0
    settings.MIDDLEWARE = [*rest[:at], *traced, *rest[at:]]


def shutdown() -> None:
    """Export what is queued (at a process's end), within the SDK's timeout."""
    if not enabled:
        return
    from opentelemetry import trace

    provider = trace.get_tracer_provider()
    flush = getattr(provider, "force_flush", None)
    if flush is not None:
        flush(timeout_millis=2000)


def context_carrier() -> dict[str, str]:
    """The current trace context as W3C headers (empty when not tracing)."""
    if not enabled:
        return {}
    from opentelemetry import propagate

    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


@contextmanager
def job_span(name: str, carrier: Mapping[str, str] | None) -> Iterator[None]:
    """A job's span, continuing the trace of whoever enqueued it."""
    if not enabled:
        yield
        return
    from opentelemetry import propagate, trace

    parent = propagate.extract(dict(carrier or {}))
    tracer = trace.get_tracer(TRACER_NAME)
    with tracer.start_as_current_span(
        f"job {name}", context=parent, kind=trace.SpanKind.CONSUMER
    ):
        yield


def client_span(name: str, **attributes: Any) -> Any:
    """A span around a call out (SMTP, a webhook POST); nothing when not tracing."""
    if not enabled:
        return nullcontext()
    from opentelemetry import trace

    tracer = trace.get_tracer(TRACER_NAME)
    return tracer.start_as_current_span(
        name, kind=trace.SpanKind.CLIENT, attributes=attributes
    )


def current_ids() -> tuple[str, str] | None:
    """The current trace and span ids (hex), for a log line; None outside one."""
    if not enabled:
        return None
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return f"{context.trace_id:032x}", f"{context.span_id:016x}"
