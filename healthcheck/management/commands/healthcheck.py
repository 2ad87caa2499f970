"""``manage.py healthcheck``: probe the running server; exit 0 (healthy) or 1."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from healthcheck.client import default_url, probe


class Command(BaseCommand):
    help = "Probe a running FastShip server over HTTP; exit 1 unless it answers 200."
    requires_system_checks: list[str] = []  # noqa: RUF012 - Django's own attribute

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default=default_url(), help="default: %(default)s")
        parser.add_argument(
            "--timeout", type=float, default=3.0, help="seconds (default 3)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        healthy, message = probe(options["url"], timeout=options["timeout"])
        if healthy:
            self.stdout.write(message)
            return
        self.stderr.write(message)
        sys.exit(1)
