"""Jobs per second of one worker process: outbox mails, webhook deliveries,
request-log batches.

Run: make bench-worker   (needs PostgreSQL and Redis on their local ports)

For each kind, N jobs are queued as the services queue them, then one worker
drains the queue in burst mode, pinned to CPU 1: RQ's forking worker (a work
horse per job, as FastShip ran before: the reference) and FastShip's worker
(``fastship.worker.FastShipWorker``: jobs in-process, a kept SMTP
connection), rounds alternating. A worker's start-up (measured on an empty
queue) is subtracted. Mails go to a local SMTP server (aiosmtpd) that accepts
everything, webhooks to a local receiver answering 204.
Targets on a 2-core machine: at least 50 mails/s and 5,000 request-log
records/s for FastShip's worker.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis

from bench.harness import django_run, median
from bench.request_log import prepare_database
from tests.servers import PROJECT_DIR, free_port, server_env

REDIS_URL = "redis://127.0.0.1:6379/3"
CLASSES = {
    "rq (fork per job)": "rq.worker.Worker",
    "fastship": "fastship.worker.FastShipWorker",
}
TARGETS = {"mails": 50.0, "request-log records": 5000.0}

SEED = """
import sys, uuid
from datetime import UTC, datetime
from fastship.jobs import enqueue
from shipping.jobs import (
    OUTBOX_JOB_OPTIONS, deliver_webhook_job, mail_job_id, send_notification_job,
    webhook_job_id,
)
from shipping.models import Notification, WebhookDelivery, WebhookEndpoint
kind, count, url = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if kind == "mails":
    rows = Notification.objects.bulk_create(
        Notification(kind="cancelled", recipient=f"b{n}@example.com",
                     context={"tracking_code": "BENCH"})
        for n in range(count)
    )
    for row in rows:
        enqueue("emails", send_notification_job, row.pk, job_options={
            **OUTBOX_JOB_OPTIONS, "job_id": mail_job_id(row.pk, 0)})
elif kind == "webhooks":
    from tests.factories import seller_make
    endpoint = WebhookEndpoint.objects.create(
        seller=seller_make(email=f"bench-{uuid.uuid4().hex}@example.com"),
        url=url, events=["shipment.created"],
        secret="whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    rows = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(endpoint=endpoint, event_type="shipment.created",
                        body='{"type": "shipment.created"}')
        for _ in range(count)
    )
    for row in rows:
        enqueue("webhooks", deliver_webhook_job, str(row.pk), job_options={
            **OUTBOX_JOB_OPTIONS, "job_id": webhook_job_id(row.pk, 0)})
else:
    from fastship.requestlog.jobs import store_request_logs
    batch = int(sys.argv[4])
    for _ in range(count):
        now = datetime.now(UTC).isoformat()
        records = [
            {"record_id": uuid.uuid4().hex, "request_id": uuid.uuid4().hex,
             "started_at": now, "method": "GET", "path": "/api/v1/shipments/",
             "query_string": "", "status_code": 200, "duration_ms": 3.2,
             "user_id": None, "user_role": "", "credential": "", "client_ip":
             "10.0.0.1", "user_agent": "bench", "response_size": 512}
            for _ in range(batch)
        ]
        enqueue("request_logs", store_request_logs, records,
                job_options={"result_ttl": 0})
print(count)
"""

KINDS = {
    # name: (queue, jobs, records per job)
    "mails": ("emails", 300, 1),
    "webhooks": ("webhooks", 300, 1),
    "request-log records": ("request_logs", 60, 200),
}


@contextmanager
def smtp_sink() -> Iterator[int]:
    from aiosmtpd.controller import Controller

    class Accept:
        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    port = free_port()
    controller = Controller(Accept(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def worker_seconds(
    worker_class: str, queue: str, database_url: str, smtp_port: int
) -> float:
    """Wall seconds of one burst run of ``worker_class`` on ``queue``."""
    env = server_env(
        DJANGO_ENV="test",
        DATABASE_URL=database_url,
        REDIS_URL=REDIS_URL,
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        EMAIL_USE_TLS="0",
        WEBHOOK_ALLOW_PRIVATE_TARGETS="1",
        NOTIFICATION_RECIPIENT_HOURLY_LIMIT="1000000",
    )
    argv = ["taskset", "-c", "1", sys.executable, "manage.py", "rqworker", queue]
    argv += ["--burst", "--worker-class", worker_class]
    started = time.monotonic()
    subprocess.run(
        argv,
        cwd=PROJECT_DIR,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0, help="jobs x this")
    options = parser.parse_args()
    database_url = prepare_database()
    client = redis.Redis.from_url(REDIS_URL)
    from tests.webhook_receiver import running_receiver

    results: dict[tuple[str, str], list[float]] = {}
    with smtp_sink() as smtp_port, running_receiver() as receiver:
        startup = {
            name: median(
                [
                    worker_seconds(cls, "emails", database_url, smtp_port)
                    for _ in range(2)
                ]
            )
            for name, cls in CLASSES.items()
        }
        for _ in range(options.rounds):
            for kind, (queue, jobs, per_job) in KINDS.items():
                count = max(1, int(jobs * options.scale))
                for name, cls in CLASSES.items():
                    client.flushdb()
                    django_run(
                        SEED,
                        database_url,
                        kind,
                        str(count),
                        receiver.url,
                        str(per_job),
                        REDIS_URL=REDIS_URL,
                    )
                    seconds = worker_seconds(cls, queue, database_url, smtp_port)
                    work = max(seconds - startup[name], 1e-3)
                    results.setdefault((kind, name), []).append(count * per_job / work)
    print(f"one worker process pinned to CPU 1 of {os.cpu_count()}")
    print(
        f"start-up subtracted: {', '.join(f'{n} {s:.2f} s' for n, s in startup.items())}"
    )
    print("| kind | rq (fork per job) /s | fastship /s | ratio | target |")
    print("|---|---|---|---|---|")
    failed = False
    for kind in KINDS:
        reference = median(results[(kind, "rq (fork per job)")])
        ours = median(results[(kind, "fastship")])
        target = TARGETS.get(kind)
        verdict = ""
        if target is not None:
            verdict = f"≥ {target:,.0f} {'✅' if ours >= target else '❌'}"
            failed |= ours < target
        print(
            f"| {kind} | {reference:,.1f} | {ours:,.1f} | {ours / reference:.1f}x "
            f"| {verdict} |"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
