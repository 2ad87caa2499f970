"""``manage.py prune_request_logs``: delete request logs past their retention."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from fastship.requestlog.pruning import request_logs_prune


class Command(BaseCommand):
    help = "Delete request logs older than the retention (REQUEST_LOG_RETENTION_DAYS)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than-days",
            type=int,
            default=None,
            help="default: REQUEST_LOG_RETENTION_DAYS",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["older_than_days"] or settings.REQUEST_LOG_RETENTION_DAYS
        if days < 1:
            raise CommandError("--older-than-days must be at least 1")
        deleted = request_logs_prune(older_than_days=days)
        self.stdout.write(f"deleted {deleted} request logs older than {days} days")
