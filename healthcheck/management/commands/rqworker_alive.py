"""``manage.py rqworker_alive``: exit 0 if an RQ worker on this host beat recently.

The ECS container health check of the worker task: RQ workers write a
heartbeat to Redis; a worker that stopped beating is stuck or gone.
"""

from __future__ import annotations

import socket
import sys
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from fastship.redis import fail_fast_client


class Command(BaseCommand):
    help = (
        "Exit 1 unless an RQ worker on this host sent a heartbeat within --max-age s."
    )
    requires_system_checks: list[str] = []  # noqa: RUF012 - Django's own attribute

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--max-age", type=float, default=60.0, help="seconds (default 60)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from django.conf import settings
        from rq import Worker

        if settings.FASTSHIP_REDIS is None:
            self.stderr.write("Redis is not configured: no worker can run")
            sys.exit(1)
        client = fail_fast_client(2.0)
        hostname = socket.gethostname()
        now = datetime.now(tz=UTC)
        try:
            workers = [
                w for w in Worker.all(connection=client) if w.hostname == hostname
            ]
        except Exception as error:
            self.stderr.write(f"cannot read workers from Redis: {type(error).__name__}")
            sys.exit(1)
        for worker in workers:
            beat = worker.last_heartbeat
            if beat is not None:
                age = (now - beat.replace(tzinfo=beat.tzinfo or UTC)).total_seconds()
                if age <= options["max_age"]:
                    self.stdout.write(
                        f"worker {worker.name} alive ({age:.0f}s since heartbeat)"
                    )
                    return
        self.stderr.write(
            f"no RQ worker on {hostname} beat within {options['max_age']:.0f}s"
        )
        sys.exit(1)
