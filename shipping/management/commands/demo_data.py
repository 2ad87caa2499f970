"""Create demo accounts (idempotent) and print their logins."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from shipping.models import User

DEMO_PASSWORD = "fastship-demo-2026"  # noqa: S105 - a printed demo login, development only
STAFF_EMAIL = "admin@fastship.local"


class Command(BaseCommand):
    help = "Create demo accounts for local development and print their logins."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.FASTSHIP_ENV == "production":
            raise CommandError(
                "demo_data creates known passwords: never in production."
            )
        staff, created = User.objects.get_or_create(
            email=STAFF_EMAIL,
            defaults={"name": "FastShip staff", "is_staff": True, "is_superuser": True},
        )
        if created:
            staff.set_password(DEMO_PASSWORD)
            staff.save(update_fields=["password"])
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        self.stdout.write(f"  staff (admin): {STAFF_EMAIL}")
