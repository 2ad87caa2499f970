"""``manage.py relay_notifications``: enqueue outbox emails still pending."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from shipping.services.notification_recovery import notifications_relay


class Command(BaseCommand):
    help = "Enqueue pending outbox emails now; the worker also does it every minute."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than", type=int, default=60, help="seconds (default 60)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        relayed = notifications_relay(older_than_seconds=options["older_than"])
        self.stdout.write(f"relayed {relayed} pending notifications")
