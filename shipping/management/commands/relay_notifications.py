"""``manage.py relay_notifications``: enqueue outbox emails still pending."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fastship.jobs import jobs_run_inline, schedule_every
from shipping.services.notifications import (
    RELAY_EVERY_SECONDS,
    RELAY_JOB_ID,
    notifications_relay,
    relay_notifications_periodically,
)


class Command(BaseCommand):
    help = (
        "Enqueue pending outbox emails (after a Redis outage); --schedule repeats it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than", type=int, default=60, help="seconds (default 60)"
        )
        parser.add_argument(
            "--schedule",
            action="store_true",
            help=f"also run the relay every {RELAY_EVERY_SECONDS}s on the RQ scheduler",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        relayed = notifications_relay(older_than_seconds=options["older_than"])
        self.stdout.write(f"relayed {relayed} pending notifications")
        if options["schedule"]:
            if jobs_run_inline():
                raise CommandError("--schedule needs Redis (REDIS_URL)")
            schedule_every(
                "default",
                relay_notifications_periodically,
                seconds=RELAY_EVERY_SECONDS,
                job_id=RELAY_JOB_ID,
            )
            self.stdout.write("relay scheduled (worker needs --with-scheduler)")
