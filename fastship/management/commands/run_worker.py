"""``manage.py run_worker``: the RQ worker for every queue, restarted after faults."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fastship.jobs import jobs_run_inline
from fastship.redis import QUEUE_NAMES
from fastship.version import log_start
from fastship.worker import worker_run_forever


class Command(BaseCommand):
    help = (
        "Run the RQ worker (with its scheduler and the periodic jobs) on every "
        "queue; a Redis fault restarts it with backoff instead of ending it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "queues",
            nargs="*",
            default=list(QUEUE_NAMES),
            help=f"in priority order (default: {' '.join(QUEUE_NAMES)})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if jobs_run_inline():
            raise CommandError("a worker needs Redis (REDIS_URL): jobs run inline")
        unknown = sorted(set(options["queues"]) - set(QUEUE_NAMES))
        if unknown:
            raise CommandError(f"unknown queue(s): {', '.join(unknown)}")
        log_start("worker")
        worker_run_forever(options["queues"])
