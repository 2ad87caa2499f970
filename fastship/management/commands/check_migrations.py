"""Fail when a migration is unsafe for the release still serving during a deploy."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from fastship.migration_safety import RELEASED, problems


class Command(BaseCommand):
    help = (
        "Check the migrations after the released ones (fastship.migration_safety."
        "RELEASED) against the expand/contract rules of a rolling deploy."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        found = problems()
        for problem in found:
            self.stderr.write(str(problem))
        if found:
            raise CommandError(
                f"{len(found)} migration operation(s) would break the release that "
                "keeps serving while they run (docs/deploy.md, 'Releases and "
                "migrations')"
            )
        since = ", ".join(f"{app} after {name}" for app, name in RELEASED.items())
        self.stdout.write(f"migrations safe for the running release ({since})")
